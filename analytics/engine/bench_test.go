package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/txn"
)

// BenchmarkAnalyze1M runs RFM with the KPI and Pareto reports on a prebuilt
// set of one million customers and streams the per-customer part as CSV.
func BenchmarkAnalyze1M(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	set := &customer.Set{Customers: make([]customer.Customer, 1_000_000)}
	for i := range set.Customers {
		last := asOf.Add(-time.Duration(rng.IntN(700*24)) * time.Hour)
		o := 1 + int64(rng.ExpFloat64()*3)
		set.Customers[i] = customer.Customer{ID: fmt.Sprintf("C%07d", i), First: last.AddDate(0, 0, -rng.IntN(365)), Last: last, Orders: o, Revenue: txn.Money(o * int64(1+rng.IntN(2000000)))}
	}
	cfg := Config{AsOf: asOf, Reports: []Report{KPI, Pareto}}
	for b.Loop() {
		w, err := result.NewCSVWriter(discard{}, Columns(cfg))
		if err != nil {
			b.Fatal(err)
		}
		if _, err := Analyze(context.Background(), cfg, set, w); err != nil {
			b.Fatal(err)
		}
	}
}

type discard struct{}

func (discard) Write(p []byte) (int, error) { return len(p), nil }
