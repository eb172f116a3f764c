package rfm

import (
	"testing"

	"github.com/crmlens/crmlens/analytics/customer"
)

// TestScoreMonetaryBasis: the same five customers rank in opposite M order
// on total revenue and on average order value, so the basis visibly changes
// the M score (and only it).
func TestScoreMonetaryBasis(t *testing.T) {
	// Revenue ascends from a to e while the average order value descends:
	// a spends 50 in 1 order (AOV 50), e 100 in 10 orders (AOV 10).
	cs := []customerT{
		{"a", 50, 1}, {"b", 60, 2}, {"c", 70, 3}, {"d", 80, 4}, {"e", 100, 10},
	}
	var set = make([]customer.Customer, 0, len(cs))
	for _, c := range cs {
		set = append(set, cust(c.id, 1, c.orders, c.revenue))
	}
	cases := []struct {
		name   string
		opts   Options
		wantM  []uint8
		bounds []float64 // Bounds.Monetary min per score 1..5
	}{
		{"total (default)", Options{}, []uint8{1, 2, 3, 4, 5}, []float64{50, 60, 70, 80, 100}},
		{"total", Options{Monetary: MonetaryTotal}, []uint8{1, 2, 3, 4, 5}, []float64{50, 60, 70, 80, 100}},
		// AOVs: a 50, b 30, c 23.33, d 20, e 10.
		{"average", Options{Monetary: MonetaryAverage}, []uint8{5, 4, 3, 2, 1}, []float64{10, 20, 70.0 / 3, 30, 50}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res := ScoreWith(set, asOf, c.opts)
			for i, s := range res.Scores {
				if s.M != c.wantM[i] {
					t.Errorf("customer %s M = %d, want %d", cs[i].id, s.M, c.wantM[i])
				}
				if s.F != uint8(i+1) {
					t.Errorf("customer %s F = %d, want %d (the basis must not touch F)", cs[i].id, s.F, i+1)
				}
			}
			sum, err := Summarize(set, res, nil)
			if err != nil {
				t.Fatal(err)
			}
			want := c.opts.Monetary
			if want == "" {
				want = MonetaryTotal
			}
			if sum.Monetary != want {
				t.Errorf("summary monetary = %q, want %q", sum.Monetary, want)
			}
			for i, b := range sum.Bounds.Monetary {
				if d := b.Min - c.bounds[i]; d > 1e-3 || d < -1e-3 {
					t.Errorf("bounds score %d min = %v, want %v", b.Score, b.Min, c.bounds[i])
				}
			}
		})
	}
	if err := (Options{Monetary: "median"}).Validate(); err == nil {
		t.Error("Options{Monetary: median} validated")
	}
}

type customerT struct {
	id      string
	revenue float64
	orders  int64
}
