package vip

import (
	"strconv"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

func BenchmarkAccumulatorAdd(b *testing.B) {
	ids := make([]string, 10_000)
	for i := range ids {
		ids[i] = "c" + strconv.Itoa(i*10)
	}
	a, err := NewAccumulator(ids, AccumulatorConfig{})
	if err != nil {
		b.Fatal(err)
	}
	lines := make([]txn.Transaction, 100_000)
	t0 := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range lines {
		lines[i] = txn.Transaction{Customer: "c" + strconv.Itoa(i%100_000), Time: t0.Add(time.Duration(i) * time.Minute),
			Amount: txn.Money(i % 5000 * 100), Category: "cat" + strconv.Itoa(i%40), Channel: "web"}
	}
	b.ResetTimer()
	for b.Loop() {
		for i := range lines {
			a.Add(&lines[i])
		}
	}
}

func BenchmarkDetectDrops100k(b *testing.B) {
	cs := make([]customer.Customer, 100_000)
	for i := range cs {
		for d := 0; d < 700; d += 7 + i%20 {
			cs[i].History = append(cs[i].History, customer.DayAmount{Day: customer.Day(20000 + d), Amount: 100000, Orders: 1})
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, _, err := DetectDrops(cs, DropConfig{AsOf: customer.Day(20700).Time()}); err != nil {
			b.Fatal(err)
		}
	}
}
