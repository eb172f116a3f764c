package engine

import (
	"context"
	"fmt"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/sample"
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

// BenchmarkModelsSample runs each pluggable model end to end on the built-in
// sample shop with 20,000 customers (about 200,000 lines): reading, the
// model, and for vip and basket their second pass over the lines.
func BenchmarkModelsSample(b *testing.B) {
	for _, tc := range []struct {
		name    string
		method  Method
		reports []Report
	}{
		{"clv", CLV, nil},
		{"kmeans", KMeans, nil},
		{"vip", RFM, []Report{VIP}},
		{"basket", RFM, []Report{Basket}},
		{"forecast", RFM, []Report{Forecast}},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cfg := Config{
				Sources: []input.Source{sample.Source(sample.DefaultConfig(20000))},
				Rules:   clean.Rules{DropGifts: true, DedupeOrders: true},
				Method:  tc.method, Reports: tc.reports,
			}
			for b.Loop() {
				if _, err := Run(context.Background(), cfg, result.Discard); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
