package engine

import (
	"context"
	"time"

	"github.com/crmlens/crmlens/analytics/cohort"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/kpi"
	"github.com/crmlens/crmlens/analytics/lifecycle"
	"github.com/crmlens/crmlens/analytics/pareto"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/rfm"
	"github.com/crmlens/crmlens/analytics/valuematrix"
)

// The methods and reports of the analytics packages themselves go through
// the same registry as the adapters in models_*.go, so every method and
// report takes one dispatch path (analyze looks each up by name).
func init() {
	Register(string(RFM), Model{
		Columns: []result.Column{result.ColR, result.ColF, result.ColM, result.ColRFM, result.ColSegment},
		Run:     runRFM,
	})
	Register(string(ValueMatrix), Model{Columns: []result.Column{result.ColSegment}, Run: runValueMatrix})
	Register(string(Lifecycle), Model{Columns: []result.Column{result.ColSegment, result.ColStage}, Run: runLifecycle})
	Register(string(KPI), Model{Run: runKPI})
	Register(string(Pareto), Model{Run: func(_ context.Context, cfg *Config, set *customer.Set, _ time.Time) (Output, error) {
		s, err := pareto.Analyze(set.Customers, cfg.Pareto)
		return Output{Section: s}, err
	}})
	Register(string(Cohort), Model{NeedsHistory: true, Run: func(_ context.Context, cfg *Config, set *customer.Set, asOf time.Time) (Output, error) {
		s, err := cohort.BuildWith(set.Customers, asOf, cfg.Cohort)
		return Output{Section: s}, err
	}})
}

func runRFM(_ context.Context, cfg *Config, set *customer.Set, asOf time.Time) (Output, error) {
	cs := set.Customers
	sc := rfm.ScoreWith(cs, asOf, cfg.RFM)
	m := cfg.SegmentMap
	if m == nil {
		m = rfm.Standard()
	}
	sum, err := rfm.Summarize(cs, sc, m)
	if err != nil {
		return Output{}, err
	}
	sum.SegmentMap = "standard"
	if cfg.SegmentMap != nil {
		sum.SegmentMap = "custom"
	}
	segs := make([]result.Segment, 0, len(sum.Segments))
	for _, s := range sum.Segments {
		segs = append(segs, result.Segment(s))
	}
	return Output{Section: sum, Segments: segs, Fill: func(i int, r *result.Row) {
		s := sc.Scores[i]
		r.R, r.F, r.M = s.R, s.F, s.M
		r.Segment = m.Segment(s)
	}}, nil
}

func runValueMatrix(_ context.Context, cfg *Config, set *customer.Set, _ time.Time) (Output, error) {
	qs, sum := valuematrix.Classify(set.Customers, cfg.ValueMatrix)
	segs := make([]result.Segment, 0, len(sum.Quadrants))
	for _, q := range sum.Quadrants {
		segs = append(segs, result.Segment{Name: q.Name, Customers: q.Customers, Revenue: q.Revenue, RevenueShare: q.RevenueShare})
	}
	return Output{Section: sum, Segments: segs, Fill: func(i int, r *result.Row) { r.Segment = qs[i].String() }}, nil
}

func runLifecycle(_ context.Context, cfg *Config, set *customer.Set, asOf time.Time) (Output, error) {
	st, sum, err := lifecycle.Assign(set.Customers, asOf, cfg.Lifecycle, cfg.PreviousStages)
	if err != nil {
		return Output{}, err
	}
	segs := make([]result.Segment, 0, len(sum.Stages))
	for _, s := range sum.Stages {
		segs = append(segs, result.Segment{Name: string(s.Name), Customers: s.Customers, Revenue: s.Revenue, RevenueShare: s.RevenueShare})
	}
	return Output{Section: sum, Segments: segs, Fill: func(i int, r *result.Row) { r.Segment, r.Stage = string(st[i]), string(st[i]) }}, nil
}

func runKPI(_ context.Context, cfg *Config, set *customer.Set, asOf time.Time) (Output, error) {
	s, err := kpi.Compute(set.Customers, asOf, cfg.KPI, cfg.Contacts)
	if err != nil {
		return Output{}, err
	}
	if s.Campaign != nil && cfg.ContactsReport != nil {
		s.Campaign.RejectedContacts = cfg.ContactsReport.Rejected
		s.Campaign.RejectSamples = cfg.ContactsReport.Samples
	}
	return Output{Section: s}, nil
}
