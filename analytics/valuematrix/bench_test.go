package valuematrix

import (
	"math/rand/v2"
	"testing"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

func BenchmarkClassify1M(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	cs := make([]customer.Customer, 1_000_000)
	for i := range cs {
		o := 1 + int64(rng.ExpFloat64()*3)
		cs[i] = customer.Customer{Orders: o, Revenue: txn.Money(o * int64(1+rng.IntN(2000000)))}
	}
	b.ResetTimer()
	for b.Loop() {
		Classify(cs, Params{})
	}
}
