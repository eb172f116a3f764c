package rfm

import (
	"math/rand/v2"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

func benchCustomers(n int) []customer.Customer {
	rng := rand.New(rand.NewPCG(1, 2))
	cs := make([]customer.Customer, n)
	for i := range cs {
		last := asOf.Add(-time.Duration(rng.IntN(730*24)) * time.Hour)
		orders := 1 + int64(rng.ExpFloat64()*3)
		cs[i] = customer.Customer{First: last.AddDate(0, 0, -rng.IntN(365)), Last: last, Orders: orders, Revenue: txn.Money(orders * int64(1+rng.IntN(2000000)))}
	}
	return cs
}

func BenchmarkScoreSummarize1M(b *testing.B) {
	cs := benchCustomers(1_000_000)
	m := Standard()
	b.ResetTimer()
	for b.Loop() {
		res := Score(cs, asOf)
		if _, err := Summarize(cs, res, m); err != nil {
			b.Fatal(err)
		}
	}
}
