package controllers

import (
	"context"
	"fmt"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/runplan"
)

func (r *ReportScheduleReconciler) plan(ctx context.Context, rs *crmv1.ReportSchedule, run string) (*runplan.Plan, []secretUse, error) {
	refs := rs.Spec.Sources
	var model *crmv1.SegmentationModel
	if rs.Spec.ModelRef != nil {
		var m crmv1.SegmentationModel
		if err := r.Get(ctx, client.ObjectKey{Namespace: rs.Namespace, Name: rs.Spec.ModelRef.Name}, &m); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, nil, &MissingRefError{Reason: crmv1.ReasonModelNotFound, Msg: fmt.Sprintf("SegmentationModel %q not found", rs.Spec.ModelRef.Name)}
			}
			return nil, nil, err
		}
		model = &m
		if len(refs) == 0 {
			refs = m.Spec.Sources
		}
	}
	srcs, err := loadSources(ctx, r.Client, rs.Namespace, refs)
	if err != nil {
		return nil, nil, err
	}
	camps, err := campaignSources(ctx, r.Client, rs.Namespace, rs.Spec.Reports, refs)
	if err != nil {
		return nil, nil, err
	}
	srcs = append(srcs, camps...)
	a, err := runplan.ScheduleAnalysis(rs, model)
	if err != nil {
		return nil, nil, &MissingRefError{Reason: crmv1.ReasonInvalidSpec, Msg: err.Error()}
	}
	p := &runplan.Plan{
		Owner:           runplan.Owner{APIVersion: crmv1.GroupVersion.String(), Kind: kindSchedule, Namespace: rs.Namespace, Name: rs.Name, UID: string(rs.UID)},
		Run:             run,
		ResultConfigMap: run,
		Analysis:        a,
		Created:         r.clock().Now().UTC(),
	}
	var secrets []secretUse
	for _, s := range srcs {
		p.Sources = append(p.Sources, s.Source)
		secrets = append(secrets, s.Secrets...)
	}
	store, ss, err := renderStore(ctx, r.Client, rs.Namespace, rs.Spec.Output.Store)
	if err != nil {
		return nil, nil, err
	}
	p.Store = store
	// The HTML report compares with the last result and lists the alerts
	// this run fires.
	p.PreviousResultConfigMap = rs.Status.ResultConfigMap
	p.Alerts = alertPlan(rs)
	pz, ps := renderPseudonymize(rs.Spec.Output.Pseudonymize)
	p.Pseudonymize = pz
	secrets = append(append(secrets, ss...), ps...)
	if err := applyPrivacy(ctx, r.Client, r.APIReader, p, &secrets, rs.Spec.Output.Pseudonymize, rs.Spec.Output.Retention); err != nil {
		return nil, nil, err
	}
	return p, secrets, nil
}
