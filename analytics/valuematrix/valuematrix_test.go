package valuematrix

import (
	"math"
	"testing"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

func c(orders int64, revenue float64) customer.Customer {
	return customer.Customer{Orders: orders, Revenue: txn.MoneyFromFloat(revenue)}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		name       string
		customers  []customer.Customer
		p          Params
		want       []Quadrant
		aovT, freq float64
		source     string
	}{
		{
			// AOV 100, 100, 10, 10 (median 55); orders 4, 1, 4, 1 (median 2.5).
			name:      "one per quadrant",
			customers: []customer.Customer{c(4, 400), c(1, 100), c(4, 40), c(1, 10)},
			want:      []Quadrant{Best, Spender, Frequent, Uncertain},
			aovT:      55, freq: 2.5, source: "median",
		},
		{
			// AOV 10, 20, 30 (median 20); orders 1,1,3 (median 1): the median value is low.
			name:      "ties at the median are low",
			customers: []customer.Customer{c(1, 10), c(1, 20), c(3, 90)},
			want:      []Quadrant{Uncertain, Uncertain, Best},
			aovT:      20, freq: 1, source: "median",
		},
		{
			name:      "single customer is uncertain",
			customers: []customer.Customer{c(5, 500)},
			want:      []Quadrant{Uncertain},
			aovT:      100, freq: 5, source: "median",
		},
		{
			name:      "one order each: nobody is frequent",
			customers: []customer.Customer{c(1, 5), c(1, 50), c(1, 500)},
			want:      []Quadrant{Uncertain, Uncertain, Spender},
			aovT:      50, freq: 1, source: "median",
		},
		{
			name:      "given thresholds",
			customers: []customer.Customer{c(1, 5), c(2, 100), c(1, 30), c(3, 30)},
			p:         Params{AOVThreshold: 20, FrequencyThreshold: 1},
			want:      []Quadrant{Uncertain, Best, Spender, Frequent},
			aovT:      20, freq: 1, source: "given",
		},
		{
			name:      "mixed thresholds",
			customers: []customer.Customer{c(1, 5), c(2, 100)},
			p:         Params{AOVThreshold: 20},
			want:      []Quadrant{Uncertain, Best},
			aovT:      20, freq: 1.5, source: "given,median",
		},
		{name: "empty", want: []Quadrant{}, source: "median"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			qs, sum := Classify(tt.customers, tt.p)
			if len(qs) != len(tt.want) {
				t.Fatalf("got %d quadrants", len(qs))
			}
			for i := range qs {
				if qs[i] != tt.want[i] {
					t.Errorf("customer %d = %v, want %v", i, qs[i], tt.want[i])
				}
			}
			if sum.AOVThreshold != tt.aovT || sum.FrequencyThreshold != tt.freq || sum.ThresholdSource != tt.source {
				t.Errorf("thresholds = %v/%v (%s), want %v/%v (%s)", sum.AOVThreshold, sum.FrequencyThreshold, sum.ThresholdSource, tt.aovT, tt.freq, tt.source)
			}
			if len(sum.Quadrants) != 4 {
				t.Fatalf("%d quadrants in summary", len(sum.Quadrants))
			}
			var n int64
			var share float64
			for _, q := range sum.Quadrants {
				n += q.Customers
				share += q.RevenueShare
			}
			if n != int64(len(tt.customers)) {
				t.Errorf("summary counts %d customers, want %d", n, len(tt.customers))
			}
			if len(tt.customers) > 0 && math.Abs(share-1) > 1e-12 {
				t.Errorf("revenue shares sum to %v", share)
			}
		})
	}
}

func TestSummaryCells(t *testing.T) {
	_, sum := Classify([]customer.Customer{c(4, 400), c(6, 1200), c(1, 100), c(4, 40), c(1, 10)}, Params{AOVThreshold: 50, FrequencyThreshold: 2})
	best := sum.Quadrants[Best]
	if best.Name != "Best" || best.Customers != 2 || best.Revenue != 1600 || best.MeanAOV != 150 || best.MeanFrequency != 5 {
		t.Errorf("Best = %+v", best)
	}
	if got := best.RevenueShare; math.Abs(got-1600.0/1750) > 1e-12 {
		t.Errorf("Best share = %v", got)
	}
	if u := sum.Quadrants[Uncertain]; u.Customers != 1 || u.Revenue != 10 {
		t.Errorf("Uncertain = %+v", u)
	}
}
