package controllers_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/yaml"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/testenv"
)

// TestSamplesReachReady applies every manifest of config/samples (what `make
// demo` applies) with the local executor: each DataSource, model and schedule
// reaches Ready=True after a successful run, and together the samples cover
// every method and every report type of the API.
func TestSamplesReachReady(t *testing.T) {
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	files, err := filepath.Glob(filepath.Join(root, "config", "samples", "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	files = slices.DeleteFunc(files, func(f string) bool { return filepath.Base(f) == "kustomization.yaml" })
	h := newHarness(t)
	ns := h.ns("e2e-samples")
	var objs []client.Object
	methods, reports, contents := map[crmv1.MethodType]bool{}, map[crmv1.ReportType]bool{}, map[crmv1.ContentType]bool{}
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		var tm metav1.TypeMeta
		if err := yaml.Unmarshal(b, &tm); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		var o client.Object
		switch tm.Kind {
		case "ConfigMap":
			o = &corev1.ConfigMap{}
		case "DataSource":
			o = &crmv1.DataSource{}
		case "SegmentationModel":
			o = &crmv1.SegmentationModel{}
		case "ReportSchedule":
			o = &crmv1.ReportSchedule{}
		case "ErasureRequest":
			// Erasing needs a Secret of customer IDs and results to erase
			// from: TestErasure* covers it; admission by TestSamplesAccepted.
			continue
		default:
			t.Fatalf("%s: unexpected kind %q", f, tm.Kind)
		}
		if err := yaml.UnmarshalStrict(b, o); err != nil {
			t.Fatalf("%s: %v", f, err)
		}
		o.SetNamespace(ns)
		switch x := o.(type) {
		case *crmv1.DataSource:
			contents[x.Spec.Content] = true
		case *crmv1.SegmentationModel:
			methods[x.Spec.Method.Type] = true
		case *crmv1.ReportSchedule:
			for _, r := range x.Spec.Reports {
				reports[r.Type] = true
			}
			// Run now rather than at the next Monday 06:00.
			x.Annotations = map[string]string{crmv1.RunNowAnnotation: "samples"}
		}
		objs = append(objs, o)
	}
	for _, m := range []crmv1.MethodType{crmv1.MethodRFM, crmv1.MethodKMeans, crmv1.MethodValueMatrix, crmv1.MethodLifecycle, crmv1.MethodCLV} {
		if !methods[m] {
			t.Errorf("no sample SegmentationModel with method %s", m)
		}
	}
	for _, r := range []crmv1.ReportType{"KPI", "VIP", "Pareto", "Cohort", "Forecast", "Basket"} {
		if !reports[r] {
			t.Errorf("no sample ReportSchedule with report %s", r)
		}
	}
	for _, c := range []crmv1.ContentType{crmv1.ContentTransactions, crmv1.ContentCampaigns} {
		if !contents[c] {
			t.Errorf("no sample DataSource with content %s", c)
		}
	}
	// Data first, then DataSources, models and schedules.
	order := map[string]int{"ConfigMap": -1, "DataSource": 0, "SegmentationModel": 1, "ReportSchedule": 2}
	sort.SliceStable(objs, func(i, j int) bool {
		return order[objs[i].GetObjectKind().GroupVersionKind().Kind] < order[objs[j].GetObjectKind().GroupVersionKind().Kind]
	})
	h.startManager(true, nil)
	h.create(objs...)

	ctx := context.Background()
	h.eventually(4*time.Minute, "every sample Ready after a successful run", func() error {
		var notReady []string
		for _, o := range objs {
			if _, isData := o.(*corev1.ConfigMap); isData {
				continue
			}
			key := client.ObjectKeyFromObject(o)
			var conds []metav1.Condition
			ran := true
			switch o.(type) {
			case *crmv1.DataSource:
				var x crmv1.DataSource
				if err := h.c.Get(ctx, key, &x); err != nil {
					return err
				}
				conds = x.Status.Conditions
			case *crmv1.SegmentationModel:
				var x crmv1.SegmentationModel
				if err := h.c.Get(ctx, key, &x); err != nil {
					return err
				}
				conds, ran = x.Status.Conditions, x.Status.LastRunTime != nil
			case *crmv1.ReportSchedule:
				var x crmv1.ReportSchedule
				if err := h.c.Get(ctx, key, &x); err != nil {
					return err
				}
				conds, ran = x.Status.Conditions, x.Status.LastSuccessfulTime != nil
			}
			c := meta.FindStatusCondition(conds, crmv1.ConditionReady)
			if c == nil || c.Status != metav1.ConditionTrue || !ran {
				msg := "no Ready condition"
				if c != nil {
					msg = fmt.Sprintf("Ready=%s %s: %s", c.Status, c.Reason, c.Message)
				}
				notReady = append(notReady, fmt.Sprintf("%T %s (%s, ran %v)", o, o.GetName(), msg, ran))
			}
		}
		if len(notReady) > 0 {
			return fmt.Errorf("not yet: %v", notReady)
		}
		return nil
	})
	// The Campaigns sample feeds the weekly review's campaign KPIs.
	for _, o := range objs {
		if rs, ok := o.(*crmv1.ReportSchedule); ok {
			var x crmv1.ReportSchedule
			if err := h.c.Get(ctx, client.ObjectKeyFromObject(rs), &x); err != nil {
				t.Fatal(err)
			}
			if _, ok := x.Status.KPIs["campaignResponseRate"]; !ok {
				t.Errorf("ReportSchedule %s: no campaignResponseRate in status.kpis %v", x.Name, x.Status.KPIs)
			}
		}
	}
}
