package pareto

import (
	"math"
	"testing"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

func cs(revenues ...float64) []customer.Customer {
	out := make([]customer.Customer, len(revenues))
	for i, r := range revenues {
		out[i] = customer.Customer{Orders: 1, Revenue: txn.MoneyFromFloat(r)}
	}
	return out
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestAnalyze(t *testing.T) {
	tests := []struct {
		name                string
		revenues            []float64
		p                   Params
		k                   int64
		custShare, revShare float64
		gini                float64
	}{
		// Sorted 50,30,10,10 of 100: top two make exactly 80%.
		{"exact 80%", []float64{10, 50, 10, 30}, Params{}, 2, 0.5, 0.8, 0.35},
		// Ties: 25 each; 80% needs 4 of 5 (4×25=100 of 125 = 0.8).
		{"all equal", []float64{25, 25, 25, 25, 25}, Params{}, 4, 0.8, 0.8, 0},
		{"single customer", []float64{42}, Params{}, 1, 1, 1, 0},
		// 50% of 100 is reached by the first customer alone.
		{"custom share", []float64{10, 50, 10, 30}, Params{Share: 0.5}, 1, 0.25, 0.5, 0.35},
		// One customer has it all: G = (n-1)/n.
		{"maximal concentration", []float64{0, 0, 0, 100}, Params{}, 1, 0.25, 1, 0.75},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Analyze(cs(tt.revenues...), tt.p)
			if err != nil {
				t.Fatal(err)
			}
			if !s.Defined || s.TopCustomers != tt.k || !near(s.CustomerShare, tt.custShare) || !near(s.RevenueShare, tt.revShare) || !near(s.Gini, tt.gini) {
				t.Errorf("got k=%d custShare=%v revShare=%v gini=%v defined=%v; want %d %v %v %v", s.TopCustomers, s.CustomerShare, s.RevenueShare, s.Gini, s.Defined, tt.k, tt.custShare, tt.revShare, tt.gini)
			}
			if n := len(s.Lorenz); n != DefaultLorenzPoints {
				t.Errorf("%d Lorenz points", n)
			}
			first, last := s.Lorenz[0], s.Lorenz[len(s.Lorenz)-1]
			if first != (Point{0, 0}) || !near(last.Customers, 1) || !near(last.Revenue, 1) {
				t.Errorf("Lorenz ends %+v %+v", first, last)
			}
			for i := 1; i < len(s.Lorenz); i++ {
				if s.Lorenz[i].Revenue < s.Lorenz[i-1].Revenue || s.Lorenz[i].Revenue > s.Lorenz[i].Customers+1e-12 {
					t.Errorf("Lorenz point %d %+v not monotone or above the diagonal", i, s.Lorenz[i])
				}
			}
		})
	}
}

func TestLorenzAndTopShares(t *testing.T) {
	s, err := Analyze(cs(10, 50, 10, 30), Params{LorenzPoints: 5})
	if err != nil {
		t.Fatal(err)
	}
	want := []Point{{0, 0}, {0.25, 0.1}, {0.5, 0.2}, {0.75, 0.5}, {1, 1}}
	for i, w := range want {
		if !near(s.Lorenz[i].Customers, w.Customers) || !near(s.Lorenz[i].Revenue, w.Revenue) {
			t.Errorf("point %d = %+v, want %+v", i, s.Lorenz[i], w)
		}
	}
	// Top 1%, 5%, 10%, 20% of 4 customers round up to one customer (50%); top 50% = 2 customers (80%).
	wantTop := []float64{0.5, 0.5, 0.5, 0.5, 0.8}
	for i, w := range wantTop {
		if !near(s.TopShares[i].RevenueShare, w) {
			t.Errorf("top %v = %+v, want %v", TopPercents[i], s.TopShares[i], w)
		}
	}
}

func TestUndefined(t *testing.T) {
	for name, c := range map[string][]customer.Customer{"empty": nil, "net refunds": cs(-5, 0)} {
		s, err := Analyze(c, Params{})
		if err != nil {
			t.Fatal(err)
		}
		if s.Defined || s.TopCustomers != 0 || len(s.Lorenz) != 0 || s.Customers != int64(len(c)) {
			t.Errorf("%s: %+v", name, s)
		}
	}
}

func TestParams(t *testing.T) {
	for _, p := range []Params{{Share: 1.2}, {Share: -0.1}, {LorenzPoints: 1}, {LorenzPoints: MaxLorenzPoints + 1}} {
		if _, err := Analyze(nil, p); err == nil {
			t.Errorf("Analyze accepted %+v", p)
		}
	}
}
