package controllers

import (
	"context"

	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// currencyOf is the currency a ReportSchedule's money KPIs are in: that of
// its first source (the model's, with modelRef), read from the cache. ""
// when it cannot be told (published as XXX, ISO 4217's "no currency").
func (r *ReportScheduleReconciler) currencyOf(ctx context.Context, rs *crmv1.ReportSchedule) string {
	refs := rs.Spec.Sources
	if len(refs) == 0 && rs.Spec.ModelRef != nil {
		var m crmv1.SegmentationModel
		if err := r.Get(ctx, client.ObjectKey{Namespace: rs.Namespace, Name: rs.Spec.ModelRef.Name}, &m); err != nil {
			return ""
		}
		refs = m.Spec.Sources
	}
	if len(refs) == 0 {
		return ""
	}
	var ds crmv1.DataSource
	if err := r.Get(ctx, client.ObjectKey{Namespace: rs.Namespace, Name: refs[0].Name}, &ds); err != nil {
		return ""
	}
	return ds.Spec.Currency
}
