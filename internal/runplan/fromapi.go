package runplan

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crmlens/crmlens/analytics/clean"
	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// This file is the one translation from the API's specs to a plan's
// Analysis. Admission refuses every value it refuses here (see the twin
// table in api/v1alpha1); these checks only catch objects that bypassed
// admission (older CRDs, objects built in code), so a run never silently
// replaces a declared value by an engine default.

// DefaultKMeansK is the k the API documents when neither k nor kMin/kMax is
// set (the engine alone would choose k by silhouette in 2..8).
const DefaultKMeansK = 4

// ModelAnalysis translates a SegmentationModel's spec.
func ModelAnalysis(m *crmv1.SegmentationModel) (Analysis, error) {
	sp := m.Spec
	a := Analysis{Method: string(sp.Method.Type), Cleaning: CleaningFrom(sp.Cleaning)}
	var errs []error
	if sp.AsOf != nil {
		t, err := date("asOf", *sp.AsOf)
		errs = append(errs, err)
		if err == nil {
			end := t.Add(24*time.Hour - time.Second)
			a.AsOf = &end
		}
	}
	if sp.Window != nil {
		a.WindowSeconds = int64(sp.Window.Duration / time.Second)
	}
	meth := sp.Method
	if p := meth.RFM; p != nil {
		a.RFMMonetary = strings.ToLower(p.Monetary)
		for _, s := range p.SegmentMap {
			a.RFMSegments = append(a.RFMSegments, RFMSegment{Segment: s.Segment, Recency: string(s.Recency), Frequency: string(s.Frequency), Monetary: string(s.Monetary)})
		}
	}
	if p := meth.ValueMatrix; p != nil {
		if p.AverageOrderValue != nil {
			a.AOVThreshold = dec(string(*p.AverageOrderValue))
		}
		if p.Frequency != nil {
			a.FreqThreshold = float64(*p.Frequency)
		}
	}
	if p := meth.Lifecycle; p != nil {
		var err error
		a.NewDays, err = days("method.lifecycle.newWithin", p.NewWithin)
		errs = append(errs, err)
		a.AtRiskDays, err = days("method.lifecycle.activeWithin", p.ActiveWithin)
		errs = append(errs, err)
		a.ChurnDays, err = days("method.lifecycle.churnedAfter", p.ChurnedAfter)
		errs = append(errs, err)
		a.LoyalOrders = int64(p.LoyalMinOrders)
	}
	if p := meth.CLV; p != nil {
		if p.CalibrationEnd != nil {
			t, err := date("method.clv.calibrationEnd", *p.CalibrationEnd)
			errs = append(errs, err)
			if err == nil {
				a.CalibrationEnd = &t
			}
		}
		a.TimeUnit = string(p.TimeUnit)
		c := &CLV{Horizon: float64(p.Horizon), Margin: 1, DiscountRate: dec(string(p.DiscountRate)),
			AcquisitionCost: dec(string(p.AcquisitionCost)), RetentionCost: dec(string(p.RetentionCost)), Tiers: int(p.Tiers)}
		if p.Margin != "" {
			var err error
			c.Margin, err = positive("method.clv.margin", p.Margin)
			errs = append(errs, err)
		}
		a.CLV = c
	}
	if meth.Type == crmv1.MethodKMeans {
		a.KMeans = kmeansPlan(meth.KMeans)
	}
	return a, errors.Join(errs...)
}

// kmeansPlan maps the API's k-means parameters (CRD defaults included; a nil
// block is all defaults) to the plan.
func kmeansPlan(p *crmv1.KMeansParams) *KMeans {
	k := &KMeans{K: DefaultKMeansK, Seed: 1, Restarts: 10, MaxIterations: 100}
	if p == nil {
		return k
	}
	k.Seed = uint64(p.Seed)
	switch {
	case p.K != nil:
		k.K = int(*p.K)
	case p.KMin != nil && p.KMax != nil:
		k.K, k.MinK, k.MaxK = 0, int(*p.KMin), int(*p.KMax)
	}
	for _, f := range p.Features {
		// API names are the engine's with a capital first letter.
		k.Features = append(k.Features, strings.ToLower(string(f[:1]))+string(f[1:]))
	}
	if p.Restarts > 0 {
		k.Restarts = int(p.Restarts)
	}
	if p.MaxIterations > 0 {
		k.MaxIterations = int(p.MaxIterations)
	}
	return k
}

// ScheduleAnalysis translates a ReportSchedule's spec; model is the
// SegmentationModel of spec.modelRef (nil without one), whose method,
// parameters, window, asOf and cleaning apply. The schedule's own window,
// when set, replaces the model's.
func ScheduleAnalysis(rs *crmv1.ReportSchedule, model *crmv1.SegmentationModel) (Analysis, error) {
	var errs []error
	a := Analysis{Method: string(crmv1.MethodRFM), Cleaning: CleaningFrom(rs.Spec.Cleaning)}
	if model != nil {
		var err error
		a, err = ModelAnalysis(model)
		errs = append(errs, err)
	}
	if rs.Spec.Window != nil {
		a.WindowSeconds = int64(rs.Spec.Window.Duration / time.Second)
	}
	for i, rep := range rs.Spec.Reports {
		field := fmt.Sprintf("reports[%d]", i)
		a.Reports = append(a.Reports, string(rep.Type))
		if k := rep.KPI; k != nil {
			var err error
			a.KPIActiveDays, err = days(field+".kpi.activeWithin", k.ActiveWithin)
			errs = append(errs, err)
			a.KPIChurnDays, err = days(field+".kpi.churnedAfter", k.ChurnedAfter)
			errs = append(errs, err)
			a.KPIResponseDays, err = days(field+".kpi.responseWindow", k.ResponseWindow)
			errs = append(errs, err)
		}
		if p := rep.Pareto; p != nil && p.RevenueShare != "" {
			var err error
			a.ParetoShare, err = positive(field+".pareto.revenueShare", p.RevenueShare)
			errs = append(errs, err)
		}
		if rep.Type == crmv1.ReportCohort {
			// An absent block means the API's defaults: 12 monthly cohorts.
			c := Cohort{Period: "month", Periods: 12}
			if p := rep.Cohort; p != nil {
				if p.Period != "" {
					c.Period = strings.ToLower(string(p.Period))
				}
				if p.Periods > 0 {
					c.Periods = int(p.Periods)
				}
			}
			a.Cohort = &c
		}
		if v := rep.VIP; v != nil {
			vp := &VIP{Segments: v.Segments}
			if v.TopFraction != nil {
				f, err := positive(field+".vip.topFraction", *v.TopFraction)
				errs = append(errs, err)
				vp.TopPercent = f * 100
			}
			for _, b := range v.SpendBuckets {
				vp.SpendBuckets = append(vp.SpendBuckets, dec(string(b)))
			}
			a.VIP = vp
		}
		if b := rep.Basket; b != nil {
			bp := &Basket{MinLift: dec(string(b.MinLift)), MaxRules: int(b.MaxRules), Item: strings.ToLower(b.Level)}
			var err error
			if b.MinSupport != "" {
				bp.MinSupport, err = positive(field+".basket.minSupport", b.MinSupport)
				errs = append(errs, err)
			}
			if b.MinConfidence != "" {
				bp.MinConfidence, err = positive(field+".basket.minConfidence", b.MinConfidence)
				errs = append(errs, err)
			}
			if bp.MinLift < 0 {
				errs = append(errs, fmt.Errorf("%s.basket.minLift %s: want ≥ 0", field, b.MinLift))
			}
			a.Basket = bp
		}
		if f := rep.Forecast; f != nil {
			fp := &Forecast{Unit: strings.ToLower(string(f.Period)), Horizon: int(f.Horizon), Seasonality: strings.ToLower(string(f.Seasonality))}
			if f.SeasonLength != nil {
				fp.SeasonLength = int(*f.SeasonLength)
				if fp.SeasonLength == 0 {
					fp.Seasonality = "none" // no seasonal component: the trend model
				}
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
			a.VIP = &VIP{}
		}
		var err error
		a.VIP.DropThreshold, err = positive("vipActivityDrop.threshold", v.Threshold)
		errs = append(errs, err)
		a.VIP.RecentDays, err = days("vipActivityDrop.recent", v.Recent)
		errs = append(errs, err)
		a.VIP.BaselineDays, err = days("vipActivityDrop.baseline", v.Baseline)
		errs = append(errs, err)
	}
	return a, errors.Join(errs...)
}

// CleaningFrom maps the API's cleaning rules (with CRD defaults) to the plan.
// Unset rules take clean.Defaults, the one set of defaults the CLI and the
// CRD's default markers share (checked by a test).
func CleaningFrom(c *crmv1.CleaningRules) Cleaning {
	def := clean.Defaults()
	out := Cleaning{DropGifts: def.DropGifts, DedupeOrders: def.DedupeOrders, Refunds: def.Refunds}
	if c == nil {
		return out
	}
	if c.DropGifts != nil {
		out.DropGifts = *c.DropGifts
	}
	if c.DedupeOrders != nil {
		out.DedupeOrders = *c.DedupeOrders
	}
	if c.Refunds != "" {
		out.Refunds = strings.ToLower(string(c.Refunds))
	}
	if c.MinAmount != nil {
		out.MinAmount = string(*c.MinAmount)
	}
	if c.MaxAmount != nil {
		out.MaxAmount = string(*c.MaxAmount)
	}
	out.MergeSameDay = c.MergeSameDay
	out.CancellationPrefix = c.CancellationPrefix
	return out
}

// date parses an API date; impossible dates (2023-02-29) are refused, never
// dropped.
func date(field string, d crmv1.Date) (time.Time, error) {
	t, err := time.Parse(time.DateOnly, string(d))
	if err != nil {
		return time.Time{}, fmt.Errorf("%s %q: not a calendar date: %w", field, d, err)
	}
	return t, nil
}

// days converts a whole-days duration; nil is 0 (the engine's default, as
// the CRD's). Shorter or fractional durations would be truncated to a
// different day count (or to 0, the default), so they are refused.
func days(field string, d *metav1.Duration) (int, error) {
	if d == nil {
		return 0, nil
	}
	if d.Duration < 24*time.Hour || d.Duration%(24*time.Hour) != 0 {
		return 0, fmt.Errorf("%s %s: want a whole number of days (a multiple of 24h, at least 24h)", field, d.Duration)
	}
	return int(d.Duration / (24 * time.Hour)), nil
}

// positive parses a decimal that must be above 0: the engine reads 0 as
// "use the default", which would silently replace the declared value.
func positive[T ~string](field string, s T) (float64, error) {
	v, err := strconv.ParseFloat(string(s), 64)
	if err != nil {
		return 0, fmt.Errorf("%s %q: not a decimal: %w", field, s, err)
	}
	if v <= 0 {
		return 0, fmt.Errorf("%s %s: want above 0", field, s)
	}
	return v, nil
}

// dec parses an API decimal string (validated at admission); "" is 0.
func dec(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}
