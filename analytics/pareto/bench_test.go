package pareto

import (
	"math/rand/v2"
	"testing"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

func BenchmarkAnalyze1M(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	c := make([]customer.Customer, 1_000_000)
	for i := range c {
		c[i] = customer.Customer{Orders: 1, Revenue: txn.Money(rng.ExpFloat64() * 1e6)}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Analyze(c, Params{}); err != nil {
			b.Fatal(err)
		}
	}
}
