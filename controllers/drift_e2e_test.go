package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// operatorAnnotations are the only metadata keys the operator may add to a
// user's object; everything else a GitOps tool applied must stay as applied.
var operatorAnnotations = map[string]bool{
	crmv1.LastRunNowAnnotation: true,
	"crmlens.io/alert-streaks": true,
}

// TestNoDriftForGitOps: after sources, a model and a schedule have been
// reconciled and have run, their spec, labels and applied annotations are
// exactly what the user applied, the generation never moved, and no field
// manager other than the applier owns anything under spec — so Argo CD and
// Flux see no drift caused by the operator.
func TestNoDriftForGitOps(t *testing.T) {
	h := newHarness(t)
	ns := h.ns("e2e-drift")
	h.startManager(true, nil)

	src := sampleSource(ns, "shop", 200)
	src.Labels = map[string]string{"app.kubernetes.io/part-of": "shop"}
	model := rfmModel(ns, "rfm", "shop")
	model.Annotations = map[string]string{crmv1.RunNowAnnotation: "1", "argocd.argoproj.io/tracking-id": "shop:analytics.crmlens.io/SegmentationModel:" + ns + "/rfm"}
	rs := schedule(ns, "weekly", "@weekly", crmv1.ConcurrencyForbid)
	rs.Annotations = map[string]string{crmv1.RunNowAnnotation: "1"}
	rs.Spec.Alerts = []crmv1.AlertRule{{Name: "churn-high", Metric: "churnRate", Operator: crmv1.OpGreaterThan, Threshold: "0.01"}}
	objs := []client.Object{src, model, rs}
	h.create(objs...) // Create fills in the schema defaults: that is what was "applied".
	applied := make([]client.Object, len(objs))
	for i, o := range objs {
		applied[i] = o.DeepCopyObject().(client.Object)
	}

	h.waitModelRun(ns, "rfm", "")
	h.eventually(90*time.Second, "schedule ran", func() error {
		if got := h.rs(ns, "weekly"); got.Status.LastSuccessfulTime == nil {
			return fmt.Errorf("no successful run yet: %+v", got.Status.Conditions)
		}
		return nil
	})
	// Let periodic probes, alert bookkeeping and status updates settle.
	time.Sleep(2 * time.Second)

	for _, want := range applied {
		live := want.DeepCopyObject().(client.Object)
		if err := h.c.Get(context.Background(), client.ObjectKeyFromObject(want), live); err != nil {
			t.Fatal(err)
		}
		kind := fmt.Sprintf("%T %s", want, want.GetName())
		if live.GetGeneration() != want.GetGeneration() {
			t.Errorf("%s: generation %d → %d: the operator changed the spec", kind, want.GetGeneration(), live.GetGeneration())
		}
		if !reflect.DeepEqual(specOf(t, live), specOf(t, want)) {
			t.Errorf("%s: spec drifted:\n live %s\n want %s", kind, specOf(t, live), specOf(t, want))
		}
		if !reflect.DeepEqual(live.GetLabels(), want.GetLabels()) {
			t.Errorf("%s: labels %v, applied %v", kind, live.GetLabels(), want.GetLabels())
		}
		for k, v := range want.GetAnnotations() {
			if live.GetAnnotations()[k] != v {
				t.Errorf("%s: applied annotation %s=%q is now %q", kind, k, v, live.GetAnnotations()[k])
			}
		}
		for k := range live.GetAnnotations() {
			if _, applied := want.GetAnnotations()[k]; !applied && !operatorAnnotations[k] {
				t.Errorf("%s: operator added undocumented annotation %q", kind, k)
			}
		}
		for _, mf := range live.GetManagedFields() {
			if mf.Manager == applierManager(want) || mf.FieldsV1 == nil {
				continue
			}
			if strings.Contains(mf.FieldsV1.GetRawString(), `"f:spec"`) {
				t.Errorf("%s: field manager %q (%s) owns spec fields: %s", kind, mf.Manager, mf.Operation, mf.FieldsV1.GetRawString())
			}
		}
	}
}

// specOf returns the object's spec as JSON, for comparison and messages.
func specOf(t *testing.T, o client.Object) string {
	t.Helper()
	raw, err := json.Marshal(o)
	if err != nil {
		t.Fatal(err)
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(raw, &m); err != nil {
		t.Fatal(err)
	}
	return string(m["spec"])
}

// applierManager is the field manager of the test's own Create call: the
// manager entry with operation Update that was first to touch the object.
func applierManager(o client.Object) string {
	for _, mf := range o.GetManagedFields() {
		if mf.Operation == metav1.ManagedFieldsOperationUpdate && mf.Subresource == "" {
			return mf.Manager
		}
	}
	return ""
}
