package engine

import (
	"cmp"
	"context"
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/crmlens/crmlens/analytics/clv"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/txn"
)

// NotScored is the CLV segment of customers who first bought after the
// calibration end.
const NotScored = "Not scored"

func init() {
	Register(string(CLV), Model{
		NeedsHistory: true,
		Columns: []result.Column{result.ColPAlive, result.ColExpectedPurchases, result.ColCLV, result.ColSegment,
			result.ColRepeatPurchases, result.ColRecencyTx, result.ColAgeT, result.ColExpectedSpend},
		Run: runCLV,
	})
}

// runCLV fits BG/NBD and Gamma-Gamma on the calibration period and values
// every customer; the summary holds the fits and deciles, the per-customer
// part the values, and the segments equal-sized tiers by predicted CLV.
func runCLV(_ context.Context, cfg *Config, set *customer.Set, asOf time.Time) (Output, error) {
	unit := clv.TimeUnit(cfg.TimeUnit)
	if unit == "" {
		unit = clv.Week
	}
	days, err := unit.Days()
	if err != nil {
		return Output{}, err
	}
	p := cfg.CLV.withDefaults()
	end := cfg.CalibrationEnd
	if end.IsZero() {
		end = asOf
	}
	// The holdout runs from the calibration end to the resolved as-of.
	s := *set
	s.AsOf = asOf
	res, ids, values, err := clv.AnalyzeSet(&s, clv.Config{
		CalibrationEnd: end,
		Unit:           unit,
		Value:          p.valueParams(days),
		Fit:            clv.FitOptions{Workers: cfg.Workers},
	})
	if err == nil && len(ids) == 0 {
		err = fmt.Errorf("no customer bought on or before the calibration end %s", end.Format(time.DateOnly))
	}
	if err != nil {
		return Output{}, fmt.Errorf("fit CLV models: %w", err)
	}
	cs := set.Customers
	// ids are a subsequence of cs (same order): map each customer to its value.
	pos := make([]int32, len(cs))
	j := 0
	for i := range cs {
		pos[i] = -1
		if j < len(ids) && cs[i].ID == ids[j] {
			pos[i] = int32(j)
			j++
		}
	}
	if j != len(ids) {
		return Output{}, fmt.Errorf("clv: %d of %d valued customers not found in the set", len(ids)-j, len(ids))
	}
	tier := tiers(values, p.Tiers)
	names := make([]string, p.Tiers)
	for t := range names {
		names[t] = fmt.Sprintf("Tier %d", t+1)
	}
	segs := make([]result.Segment, p.Tiers, p.Tiers+1)
	for t := range segs {
		segs[t].Name = names[t]
	}
	notScored := result.Segment{Name: NotScored}
	// Revenue sums in fixed point (exact decimals), converted once.
	segRev := make([]txn.Money, p.Tiers+1)
	var total txn.Money
	for i := range cs {
		rev := cs[i].Revenue
		total += rev
		seg, k := &notScored, p.Tiers
		if pos[i] >= 0 {
			seg, k = &segs[tier[pos[i]]], tier[pos[i]]
		}
		seg.Customers++
		segRev[k] += rev
	}
	notScored.Revenue = segRev[p.Tiers].Float()
	for t := range segs {
		segs[t].Revenue = segRev[t].Float()
	}
	if notScored.Customers > 0 {
		segs = append(segs, notScored)
	}
	for k := range segs {
		if total > 0 {
			segs[k].RevenueShare = segs[k].Revenue / total.Float()
		}
	}
	nan := math.NaN()
	return Output{
		Section:  &result.CLVSection{Result: res, AnnualDiscountRate: p.DiscountRate, NotScored: int(notScored.Customers)},
		Segments: segs,
		Warnings: res.Degenerate,
		Fill: func(i int, r *result.Row) {
			k := pos[i]
			if k < 0 {
				r.PAlive, r.ExpectedPurchases, r.CLV, r.Segment = nan, nan, nan, NotScored
				r.RepeatPurchases, r.RecencyTx, r.AgeT, r.ExpectedSpend = nan, nan, nan, nan
				return
			}
			v := values[k]
			r.PAlive, r.ExpectedPurchases, r.CLV, r.Segment = v.PAlive, v.ExpectedPurchases, v.CLV, names[tier[k]]
			r.RepeatPurchases, r.RecencyTx, r.AgeT, r.ExpectedSpend = float64(v.X), v.Tx, v.T, v.ExpectedSpend
		},
	}, nil
}

// tiers splits customers into n equal-sized groups by CLV, highest first
// (ties keep customer order): with m customers, rank q goes to tier q·n/m.
func tiers(values []clv.CustomerValue, n int) []int {
	// Sorting (value, index) pairs rather than indices into values keeps the
	// comparisons in one array (a million customers: 3× faster); ties go by
	// index, which is the order a stable sort keeps.
	type ranked struct {
		v float64
		i int
	}
	idx := make([]ranked, len(values))
	for i := range idx {
		idx[i] = ranked{values[i].CLV, i}
	}
	slices.SortFunc(idx, func(a, b ranked) int {
		switch {
		case a.v > b.v:
			return -1
		case b.v > a.v:
			return 1
		}
		return cmp.Compare(a.i, b.i)
	})
	out := make([]int, len(values))
	for q, r := range idx {
		out[r.i] = q * n / len(values)
	}
	return out
}
