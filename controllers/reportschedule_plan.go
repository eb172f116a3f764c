package controllers

import (
	"context"
	"fmt"
	"strconv"
	"strings"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/runplan"
)

func (r *ReportScheduleReconciler) plan(ctx context.Context, rs *crmv1.ReportSchedule, run string) (*runplan.Plan, []secretUse, error) {
	refs := rs.Spec.Sources
	clean := rs.Spec.Cleaning
	method := "RFM"
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
		if clean == nil {
			clean = m.Spec.Cleaning
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
	a := runplan.Analysis{Method: method, Cleaning: cleaning(clean)}
	if model != nil {
		// The model's method and parameters, but the schedule's own window:
		// reports such as cohorts and forecasts need the longer history.
		a = modelAnalysis(model)
		a.Cleaning = cleaning(clean)
		a.WindowSeconds = 0
	}
	if rs.Spec.Window != nil {
		a.WindowSeconds = int64(rs.Spec.Window.Duration / time.Second)
	}
	for _, rep := range rs.Spec.Reports {
		a.Reports = append(a.Reports, string(rep.Type))
		if k := rep.KPI; k != nil {
			a.KPIActiveDays = days(k.ActiveWithin.Duration)
			a.KPIChurnDays = days(k.ChurnedAfter.Duration)
			a.KPIResponseDays = days(k.ResponseWindow.Duration)
		}
		if p := rep.Pareto; p != nil && p.RevenueShare != "" {
			a.ParetoShare, _ = strconv.ParseFloat(string(p.RevenueShare), 64)
		}
		if v := rep.VIP; v != nil {
			vp := &runplan.VIP{}
			if v.TopFraction != nil {
				vp.TopPercent = dec(string(*v.TopFraction)) * 100
			}
			vp.Segments = v.Segments
			for _, b := range v.SpendBuckets {
				vp.SpendBuckets = append(vp.SpendBuckets, dec(string(b)))
			}
			a.VIP = vp
		}
		if b := rep.Basket; b != nil {
			a.Basket = &runplan.Basket{MinSupport: dec(string(b.MinSupport)), MinConfidence: dec(string(b.MinConfidence)), MinLift: dec(string(b.MinLift)),
				MaxRules: int(b.MaxRules), Item: strings.ToLower(b.Level)}
		}
		if f := rep.Forecast; f != nil {
			fp := &runplan.Forecast{Unit: strings.ToLower(string(f.Period)), Horizon: int(f.Horizon)}
			if f.SeasonLength != nil {
				fp.SeasonLength = int(*f.SeasonLength)
			}
			if fp.Unit == "quarter" {
				// The engine steps in days, weeks or months: a quarter is three months.
				fp.Unit, fp.Horizon = "month", fp.Horizon*3
			}
			a.Forecast = fp
		}
	}
	if v := rs.Spec.VIPActivityDrop; v != nil {
		if a.VIP == nil {
			a.VIP = &runplan.VIP{}
		}
		a.VIP.DropThreshold = dec(string(v.Threshold))
		a.VIP.RecentDays = days(v.Recent.Duration)
		a.VIP.BaselineDays = days(v.Baseline.Duration)
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
	return p, append(append(secrets, ss...), ps...), nil
}
