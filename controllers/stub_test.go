package controllers

import (
	"context"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/testenv"
)

// TestStubReconcilerStatus drives each stub reconciler by hand against a
// real API server: the first reconcile writes observedGeneration and
// Ready=Unknown/NotImplemented, a second one writes nothing, and a spec
// change is reflected in observedGeneration.
func TestStubReconcilerStatus(t *testing.T) {
	e := testenv.Start(t)
	ctx := context.Background()
	c := e.Client
	ns := "stub"
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}

	cases := []struct {
		name   string
		obj    client.Object
		mutate func(client.Object)
		recon  reconcileFunc
	}{
		{
			name: "DataSource",
			obj: &crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: ns},
				Spec: crmv1.DataSourceSpec{Sample: &crmv1.SampleSource{}}},
			mutate: func(o client.Object) { o.(*crmv1.DataSource).Spec.Sample.Seed = 7 },
			recon:  (&stubReconciler[*crmv1.DataSource]{client: c, access: dataSourceAccess}).Reconcile,
		},
		{
			name: "SegmentationModel",
			obj: &crmv1.SegmentationModel{ObjectMeta: metav1.ObjectMeta{Name: "rfm", Namespace: ns},
				Spec: crmv1.SegmentationModelSpec{Sources: []crmv1.SourceRef{{Name: "shop"}}, Method: crmv1.Method{Type: crmv1.MethodRFM}}},
			mutate: func(o client.Object) { o.(*crmv1.SegmentationModel).Spec.Suspend = true },
			recon:  (&stubReconciler[*crmv1.SegmentationModel]{client: c, access: segmentationModelAccess}).Reconcile,
		},
		{
			name: "ReportSchedule",
			obj: &crmv1.ReportSchedule{ObjectMeta: metav1.ObjectMeta{Name: "weekly", Namespace: ns},
				Spec: crmv1.ReportScheduleSpec{Schedule: "@weekly", ModelRef: &crmv1.LocalObjectReference{Name: "rfm"},
					Reports: []crmv1.Report{{Type: crmv1.ReportKPI}}}},
			mutate: func(o client.Object) { o.(*crmv1.ReportSchedule).Spec.Suspend = true },
			recon:  (&stubReconciler[*crmv1.ReportSchedule]{client: c, access: reportScheduleAccess}).Reconcile,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			if err := c.Create(ctx, tc.obj); err != nil {
				t.Fatal(err)
			}
			req := ctrl.Request{NamespacedName: client.ObjectKeyFromObject(tc.obj)}
			reconcileAndCheck := func(wantGen int64) string {
				t.Helper()
				if _, err := tc.recon(ctx, req); err != nil {
					t.Fatalf("reconcile: %v", err)
				}
				if err := c.Get(ctx, req.NamespacedName, tc.obj); err != nil {
					t.Fatal(err)
				}
				conds, og := statusOf(tc.obj)
				if og != wantGen {
					t.Errorf("observedGeneration = %d, want %d", og, wantGen)
				}
				ready := meta.FindStatusCondition(conds, crmv1.ConditionReady)
				if ready == nil || ready.Status != metav1.ConditionUnknown || ready.Reason != crmv1.ReasonNotImplemented || ready.ObservedGeneration != wantGen {
					t.Errorf("Ready condition = %+v, want Unknown/NotImplemented at generation %d", ready, wantGen)
				}
				return tc.obj.GetResourceVersion()
			}

			rv1 := reconcileAndCheck(1)
			if rv2 := reconcileAndCheck(1); rv2 != rv1 {
				t.Errorf("second reconcile wrote status although nothing changed (resourceVersion %s -> %s)", rv1, rv2)
			}
			tc.mutate(tc.obj)
			if err := c.Update(ctx, tc.obj); err != nil {
				t.Fatal(err)
			}
			reconcileAndCheck(2)
		})
	}

	// A deleted object is not an error.
	if _, err := cases[0].recon(ctx, ctrl.Request{NamespacedName: client.ObjectKey{Namespace: ns, Name: "gone"}}); err != nil {
		t.Errorf("reconciling a missing object: %v", err)
	}
}

type reconcileFunc func(context.Context, ctrl.Request) (ctrl.Result, error)

func statusOf(o client.Object) ([]metav1.Condition, int64) {
	switch v := o.(type) {
	case *crmv1.DataSource:
		return v.Status.Conditions, v.Status.ObservedGeneration
	case *crmv1.SegmentationModel:
		return v.Status.Conditions, v.Status.ObservedGeneration
	case *crmv1.ReportSchedule:
		return v.Status.Conditions, v.Status.ObservedGeneration
	}
	return nil, -1
}
