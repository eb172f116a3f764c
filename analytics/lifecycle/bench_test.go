package lifecycle

import (
	"math/rand/v2"
	"testing"

	"github.com/crmlens/crmlens/analytics/customer"
)

func BenchmarkAssign1M(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	cs := make([]customer.Customer, 1_000_000)
	for i := range cs {
		last := rng.IntN(700)
		cs[i] = c("", last+rng.IntN(300), last, 1+int64(rng.IntN(10)), 10)
	}
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := Assign(cs, asOf, Params{}, nil); err != nil {
			b.Fatal(err)
		}
	}
}
