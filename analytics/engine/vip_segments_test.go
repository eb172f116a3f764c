package engine

import (
	"context"
	"math"
	"strings"
	"testing"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

// TestVIPSegments: VIPs are every customer the method puts in the named
// segments. With value-matrix thresholds AOV 50 and 3 orders the quadrants
// are hand-computed: a (10 orders, 1000: AOV 100) Best, b (1, 500) Spender,
// c (5, 50: AOV 10) Frequent, d (1, 20) Uncertain, e (4, 400: AOV 100) Best.
func TestVIPSegments(t *testing.T) {
	mk := func(id string, orders int64, revenue int64) customer.Customer {
		return customer.Customer{ID: id, First: day("2024-01-01"), Last: day("2024-06-01"), Orders: orders, Revenue: txn.Money(revenue) * txn.MoneyScale}
	}
	set := &customer.Set{Customers: []customer.Customer{mk("a", 10, 1000), mk("b", 1, 500), mk("c", 5, 50), mk("d", 1, 20), mk("e", 4, 400)}}
	const total = 1970.0
	cases := []struct {
		segments []string
		vips     int
		value    float64
		minValue float64
	}{
		{[]string{"Best"}, 2, 1400, 400},
		{[]string{"Best", "Spender"}, 3, 1900, 400},
		{[]string{"Frequent", "Uncertain"}, 2, 70, 20},
		{[]string{"Champions"}, 0, 0, 0}, // not a value-matrix segment: nobody
	}
	for _, tc := range cases {
		cfg := Config{Method: ValueMatrix, Reports: []Report{VIP}, AsOf: day("2024-12-31"), VIP: VIPParams{Segments: tc.segments}}
		cfg.ValueMatrix.AOVThreshold, cfg.ValueMatrix.FrequencyThreshold = 50, 3
		doc, err := Analyze(context.Background(), cfg, set, nil)
		if err != nil {
			t.Fatalf("%v: %v", tc.segments, err)
		}
		r := doc.VIP.Result
		if r.VIPs != tc.vips || r.Customers != 5 || r.Value != tc.value || r.MinValue != tc.minValue || math.Abs(r.ValueShare-tc.value/total) > 1e-12 {
			t.Errorf("%v: vip = %+v", tc.segments, r)
		}
		if strings.Join(r.Selection.Segments, ",") != strings.Join(tc.segments, ",") || r.Selection.TopPercent != 0 {
			t.Errorf("%v: selection recorded as %+v", tc.segments, r.Selection)
		}
	}
}

func TestVIPSegmentsRefusesRankToo(t *testing.T) {
	cfg := Config{Reports: []Report{VIP}, VIP: VIPParams{Segments: []string{"Champions"}, TopPercent: 5}}
	if err := cfg.Validate(); err == nil || !strings.Contains(err.Error(), "segments or topN/topPercent") {
		t.Errorf("err = %v", err)
	}
}
