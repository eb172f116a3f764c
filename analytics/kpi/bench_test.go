package kpi

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

func BenchmarkCompute1M(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	cs := make([]customer.Customer, 1_000_000)
	for i := range cs {
		last := asOf.Add(-time.Duration(rng.IntN(700*24)) * time.Hour)
		o := 1 + int64(rng.IntN(10))
		cs[i] = customer.Customer{Last: last, Orders: o, Revenue: txn.Money(o * 100000)}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Compute(cs, asOf, Params{}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
