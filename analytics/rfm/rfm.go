// Package rfm scores customers by recency, frequency and monetary value and
// maps the scores to named segments.
//
// Measures, for each customer at the reference time asOf:
//   - recency: whole calendar days from the last purchase day to asOf's day;
//   - frequency: customer.Customer.Orders as the aggregation counts it — a
//     customer's accepted purchase line starts a new order when it has no
//     order ID or its order ID differs from that customer's previous accepted
//     line's (so an order counts once when its lines are consecutive for the
//     customer; the Postgres pushdown counts distinct order IDs, which agrees
//     then); with cleaning's MergeSameDay, distinct purchase days instead;
//   - monetary: revenue (sum of accepted amounts), or with Options.Monetary
//     Average the average order value (revenue / orders).
//
// Scores are quintiles 1–5, 5 being best (most recent, most frequent, highest
// revenue). Tie rule: customers are ranked from worst to best value, and tied
// customers all take the score of the first (worst-placed) member of their tied
// group:
//
//	score = 1 + ⌊5 · w / n⌋
//
// where w is the number of customers with a strictly worse value and n the
// number of customers — the same as SQL's
// 1 + floor(5 * (RANK() OVER (ORDER BY v) - 1) / COUNT(*)). With distinct values
// this is an exact split into fifths; equal values never get different scores.
// Consequences worth knowing: a value shared by many customers (e.g. one order
// each) pulls them all to the lowest score their group reaches, and when every
// customer has the same value (or there is only one customer) all score 1.
//
// Scores map to segments through a SegmentMap: data, not code. The standard
// map (segments.csv) names 11 segments; users may supply their own in the same
// format.
package rfm

import (
	"fmt"
	"slices"
	"sync"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

// Scores holds the R, F and M scores of one customer, each 1–5.
type Scores struct{ R, F, M uint8 }

// Code returns the scores written together, e.g. "545".
func (s Scores) Code() string { return string([]byte{'0' + s.R, '0' + s.F, '0' + s.M}) }

func (s Scores) key() int { return int(s.R-1)*25 + int(s.F-1)*5 + int(s.M-1) }

// Result is the per-customer scoring of a Set, parallel to Set.Customers.
type Result struct {
	Recency []int32  // days since last purchase at asOf
	Scores  []Scores // quintile scores
	// Monetary is the basis the M score was computed on.
	Monetary Monetary
}

// Monetary is the basis of the M score.
type Monetary string

// Monetary bases.
const (
	// MonetaryTotal scores total revenue (the default).
	MonetaryTotal Monetary = "total"
	// MonetaryAverage scores the average order value, revenue / orders.
	MonetaryAverage Monetary = "average"
)

// Options tune Score; the zero value is the classic RFM.
type Options struct {
	// Monetary is the M score's basis; "" means MonetaryTotal.
	Monetary Monetary
}

// Validate refuses an unknown monetary basis.
func (o Options) Validate() error {
	switch o.Monetary {
	case "", MonetaryTotal, MonetaryAverage:
		return nil
	}
	return fmt.Errorf("rfm monetary %q: want total or average", o.Monetary)
}

// monetaryValue is the customer's value on basis b, in currency units.
func monetaryValue(c *customer.Customer, b Monetary) float64 {
	if b == MonetaryAverage {
		if c.Orders <= 0 {
			return 0
		}
		return c.Revenue.Float() / float64(c.Orders)
	}
	return c.Revenue.Float()
}

// RecencyDays returns the whole calendar days from the customer's last
// purchase to asOf (0 when they bought on asOf's day; negative never happens
// after cleaning drops purchases after asOf).
func RecencyDays(c *customer.Customer, asOf time.Time) int32 {
	return RecencyFrom(c, customer.DayOf(asOf))
}

// RecencyFrom is RecencyDays with asOf's day computed once by the caller.
func RecencyFrom(c *customer.Customer, today customer.Day) int32 {
	return int32(today - customer.DayOf(c.Last))
}

// Score computes recency and the three quintile scores of every customer.
func Score(customers []customer.Customer, asOf time.Time) Result {
	return ScoreWith(customers, asOf, Options{})
}

// ScoreWith is Score on the monetary basis of o.
func ScoreWith(customers []customer.Customer, asOf time.Time, o Options) Result {
	n := len(customers)
	basis := o.Monetary
	if basis == "" {
		basis = MonetaryTotal
	}
	res := Result{Recency: make([]int32, n), Scores: make([]Scores, n), Monetary: basis}
	if n == 0 {
		return res
	}
	// The three measures are ranked independently, so they sort in parallel.
	rv, fv, mv := make([]int64, n), make([]int64, n), make([]int64, n)
	today := customer.DayOf(asOf)
	for i := range customers {
		c := &customers[i]
		res.Recency[i] = RecencyFrom(c, today)
		rv[i] = -int64(res.Recency[i]) // fewer days is better
		fv[i] = c.Orders
		mv[i] = int64(c.Revenue)
		if basis == MonetaryAverage {
			mv[i] = 0
			if c.Orders > 0 {
				mv[i] = int64(c.Revenue) / c.Orders // exact in Money units, truncated
			}
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { scoreInto(rv, res.Scores, func(s *Scores, v uint8) { s.R = v }) })
	wg.Go(func() { scoreInto(fv, res.Scores, func(s *Scores, v uint8) { s.F = v }) })
	scoreInto(mv, res.Scores, func(s *Scores, v uint8) { s.M = v })
	wg.Wait()
	return res
}

// Quintile returns the score 1–5 of a value given the number of values
// strictly worse (w) out of n, per the package tie rule.
func Quintile(w, n int) uint8 { return uint8(1 + 5*w/n) }

// scoreInto scores vals (higher is better) and stores each score with set.
// By the tie rule, score(v) ≥ s+1 exactly when at least ⌈s·n/5⌉ values are
// below v, i.e. when v exceeds the ⌈s·n/5⌉-th smallest value; so four order
// statistics and four comparisons per customer give every score.
func scoreInto(vals []int64, out []Scores, set func(*Scores, uint8)) {
	n := len(vals)
	sorted := slices.Clone(vals)
	slices.Sort(sorted)
	var cut [4]int64
	for s := 1; s <= 4; s++ {
		cut[s-1] = sorted[(s*n+4)/5-1]
	}
	for i, v := range vals {
		sc := uint8(1)
		for _, c := range cut {
			if v > c {
				sc++
			}
		}
		set(&out[i], sc)
	}
}

// Segment is the size and revenue of one named segment.
type Segment struct {
	Name         string  `json:"name"`
	Customers    int64   `json:"customers"`
	Revenue      float64 `json:"revenue"`
	RevenueShare float64 `json:"revenueShare"` // of total revenue; 0 when total revenue is not positive
}

// Cell is one cell of the R×F heat map.
type Cell struct {
	R             uint8   `json:"r"`
	F             uint8   `json:"f"`
	Customers     int64   `json:"customers"`
	MeanMonetary  float64 `json:"meanMonetary"` // mean revenue per customer in the cell; 0 when empty
	MeanRecency   float64 `json:"meanRecencyDays"`
	MeanFrequency float64 `json:"meanFrequency"`
}

// Summary is the aggregate RFM result: segments, the R×F heat map and the
// value range behind each score.
type Summary struct {
	// SegmentMap says which map named the segments: "standard" or "custom"
	// (set by the caller; Summarize leaves it empty).
	SegmentMap string `json:"segmentMap,omitempty"`
	// Monetary is the basis of the M score: "total" revenue or "average"
	// order value; Bounds.Monetary is in that basis.
	Monetary Monetary  `json:"monetary"`
	Segments []Segment `json:"segments"`
	// Heatmap has 25 cells, R-major (R=1,F=1 … R=5,F=5), including empty cells.
	Heatmap []Cell `json:"heatmap"`
	// Bounds gives, per score 1–5, the smallest and largest measured value of
	// customers with that score (empty scores are omitted).
	Bounds Bounds `json:"bounds"`
}

// Bounds lists the value range per score of each measure.
type Bounds struct {
	Recency   []Range `json:"recencyDays"`
	Frequency []Range `json:"frequency"`
	Monetary  []Range `json:"monetary"`
}

// Range is the value range of the customers with one score.
type Range struct {
	Score     uint8   `json:"score"`
	Min       float64 `json:"min"`
	Max       float64 `json:"max"`
	Customers int64   `json:"customers"`
}

// Summarize aggregates a scoring into segments (in map order, empty segments
// included so the list is stable), the heat map and the score bounds.
func Summarize(customers []customer.Customer, res Result, m *SegmentMap) (*Summary, error) {
	if len(res.Scores) != len(customers) {
		return nil, fmt.Errorf("rfm summarize: %d scores for %d customers", len(res.Scores), len(customers))
	}
	if m == nil {
		m = Standard()
	}
	basis := res.Monetary
	if basis == "" {
		basis = MonetaryTotal
	}
	names := m.names
	segCount := make([]int64, len(names))
	segRev := make([]txn.Money, len(names))
	var cnt [25]int64
	var mon, rec, freq [25]float64
	var total txn.Money
	type acc struct {
		min, max float64
		n        int64
	}
	var bounds [3][5]acc
	add := func(a *acc, v float64) {
		if a.n == 0 || v < a.min {
			a.min = v
		}
		if a.n == 0 || v > a.max {
			a.max = v
		}
		a.n++
	}
	for i := range customers {
		c := &customers[i]
		s := res.Scores[i]
		k := m.index(s)
		segCount[k]++
		segRev[k] += c.Revenue
		total += c.Revenue
		cell := int(s.R-1)*5 + int(s.F-1)
		cnt[cell]++
		mon[cell] += c.Revenue.Float()
		rec[cell] += float64(res.Recency[i])
		freq[cell] += float64(c.Orders)
		add(&bounds[0][s.R-1], float64(res.Recency[i]))
		add(&bounds[1][s.F-1], float64(c.Orders))
		add(&bounds[2][s.M-1], monetaryValue(c, basis))
	}
	sum := &Summary{Monetary: basis, Segments: make([]Segment, len(names)), Heatmap: make([]Cell, 25)}
	for k, name := range names {
		sum.Segments[k] = Segment{Name: name, Customers: segCount[k], Revenue: segRev[k].Float(), RevenueShare: share(segRev[k], total)}
	}
	for cell := range sum.Heatmap {
		c := Cell{R: uint8(cell/5 + 1), F: uint8(cell%5 + 1), Customers: cnt[cell]}
		if cnt[cell] > 0 {
			n := float64(cnt[cell])
			c.MeanMonetary, c.MeanRecency, c.MeanFrequency = mon[cell]/n, rec[cell]/n, freq[cell]/n
		}
		sum.Heatmap[cell] = c
	}
	lists := []*[]Range{&sum.Bounds.Recency, &sum.Bounds.Frequency, &sum.Bounds.Monetary}
	for j, l := range lists {
		*l = []Range{}
		for s, a := range bounds[j] {
			if a.n > 0 {
				*l = append(*l, Range{Score: uint8(s + 1), Min: a.min, Max: a.max, Customers: a.n})
			}
		}
	}
	return sum, nil
}

func share(part, total txn.Money) float64 {
	if total <= 0 {
		return 0
	}
	return float64(part) / float64(total)
}
