package engine

import (
	"context"
	"fmt"
	"time"

	"github.com/crmlens/crmlens/analytics/aggregate"
	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/txn"
	"github.com/crmlens/crmlens/analytics/vip"
)

func init() {
	Register(string(VIP), Model{NeedsHistory: true, Run: runVIP})
}

// runVIP selects the top customers by revenue, checks each against their own
// baseline (History) for an activity drop, and profiles their purchases in a
// second pass over the raw transactions.
func runVIP(ctx context.Context, cfg *Config, set *customer.Set, asOf time.Time) (Output, error) {
	cs := set.Customers
	p := cfg.VIP
	sel := p.selection()
	values := make([]float64, len(cs))
	for i := range cs {
		values[i] = cs[i].Revenue.Float()
	}
	idx, err := vipIndices(cfg, values)
	if err != nil {
		return Output{}, err
	}
	sec := &result.VIPSection{Result: vip.Summarize(values, idx, sel), ValueBasis: "revenue"}
	if sec.ValueBuckets, err = vip.ValueBuckets(values, idx, p.valueEdges()); err != nil {
		return Output{}, err
	}
	vips := make([]customer.Customer, len(idx))
	ids := make([]string, len(idx))
	for k, i := range idx {
		vips[k], ids[k] = cs[i], cs[i].ID
	}
	dc := p.Drop
	dc.AsOf = asOf
	_, drops, err := vip.DetectDrops(vips, dc)
	if err != nil {
		return Output{}, err
	}
	sec.Drops = &drops

	srcs := rawSources(cfg)
	if len(ids) == 0 {
		srcs = nil // nothing to profile: skip the second pass
	} else if len(srcs) == 0 {
		sec.ProfileSkipped = "no raw transaction source to read for the purchase profile"
		return Output{Section: sec}, nil
	}
	acc, err := vip.NewAccumulator(ids, vip.AccumulatorConfig{SpendEdges: p.SpendBuckets})
	if err != nil {
		return Output{}, err
	}
	if len(srcs) > 0 {
		cfg.progress("analyze", fmt.Sprintf("vip: reading the transactions again to profile %d VIPs", len(ids)))
	}
	loc := cfg.location()
	err = aggregate.Scan(ctx, srcs, scanRules(cfg), func(t *txn.Transaction) error {
		tt := *t
		tt.Time = tt.Time.In(loc) // weekday × hour in the analysis time zone
		acc.Add(&tt)
		return nil
	})
	if err != nil {
		return Output{}, fmt.Errorf("second pass for the VIP profile: %w", err)
	}
	prof := acc.Profile()
	sec.Profile = &prof
	return Output{Section: sec}, nil
}

// vipIndices picks the VIPs among the customers (values are their
// revenues): the top by rank, or every member of the named segments of the
// run's method.
func vipIndices(cfg *Config, values []float64) ([]int, error) {
	p := cfg.VIP
	if len(p.Segments) == 0 {
		return vip.Select(values, p.selection())
	}
	if cfg.segmentOf == nil {
		return nil, fmt.Errorf("vip segments %v: the method %s assigns no segments", p.Segments, cfg.method())
	}
	want := make(map[string]bool, len(p.Segments))
	for _, s := range p.Segments {
		want[s] = true
	}
	member := make([]bool, len(values))
	for i := range member {
		member[i] = want[cfg.segmentOf(i)]
	}
	return vip.SelectMembers(values, member)
}

// rawSources returns the sources that can be read again line by line (a set
// built elsewhere may come with sources that only name its inputs).
func rawSources(cfg *Config) []input.Source {
	var out []input.Source
	for _, s := range cfg.Sources {
		if s.Open != nil {
			out = append(out, s)
		}
	}
	return out
}

// scanRules are the cleaning rules of the first pass, so a second pass
// accepts exactly the same lines.
func scanRules(cfg *Config) clean.Rules {
	r := cfg.Rules
	if r.AsOf.IsZero() {
		r.AsOf = cfg.AsOf
	}
	return r
}

func (c *Config) location() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}
