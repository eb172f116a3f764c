package cohort

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
)

func BenchmarkBuild1M(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	asOf := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
	end := customer.DayOf(asOf)
	cs := make([]customer.Customer, 1_000_000)
	for i := range cs {
		d := end - customer.Day(rng.IntN(730))
		for n := 1 + rng.IntN(10); n > 0 && d <= end; n-- {
			cs[i].History = append(cs[i].History, customer.DayAmount{Day: d, Amount: 100000, Orders: 1})
			cs[i].Orders++
			d += customer.Day(1 + rng.IntN(60))
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Build(cs, asOf); err != nil {
			b.Fatal(err)
		}
	}
}
