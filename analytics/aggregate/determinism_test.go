package aggregate

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"sync/atomic"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/sample"
	"github.com/crmlens/crmlens/analytics/txn"
)

// shopFile writes a generated shop of the given size to a temp file.
func shopFile(tb testing.TB, customers int, lines float64) string {
	tb.Helper()
	path := filepath.Join(tb.TempDir(), "shop.csv")
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	cfg := sample.DefaultConfig(customers)
	cfg.LinesPerCustomer = lines
	if _, err := sample.Generate(cfg, f); err != nil {
		tb.Fatal(err)
	}
	if err := f.Close(); err != nil {
		tb.Fatal(err)
	}
	return path
}

// TestDeterministicAcrossWorkers: the ~15 MB file splits into 1–3 parts whose
// boundaries cut through orders; every Set field must be identical.
func TestDeterministicAcrossWorkers(t *testing.T) {
	if testing.Short() {
		t.Skip("generates a 15 MB file")
	}
	path := shopFile(t, 22000, 10)
	if st, _ := os.Stat(path); st.Size() < 12<<20 {
		t.Fatalf("file %d bytes: too small for 3 parts", st.Size())
	}
	src := []input.Source{input.FileSource(path, input.Options{}, "")}
	var sets []*customer.Set
	for _, w := range []int{1, 2, 3} {
		set, err := Build(context.Background(), src, Options{History: true, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, set)
	}
	for i := 1; i < len(sets); i++ {
		if !reflect.DeepEqual(sets[0], sets[i]) {
			a, b := sets[0], sets[i]
			t.Fatalf("workers=1 and workers=%d differ: customers %d/%d rows %d/%d daily equal %v", i+1,
				len(a.Customers), len(b.Customers), a.Rows, b.Rows, reflect.DeepEqual(a.Daily, b.Daily))
		}
	}
	// Orders are counted by order-ID changes; the generator writes each order's
	// lines together, so the count must equal the number of distinct order IDs
	// among accepted lines, collected here the slow way.
	var orders int64
	for _, c := range sets[0].Customers {
		orders += c.Orders
	}
	distinct := map[string]bool{}
	if err := Scan(context.Background(), src, clean.Rules{}, func(tx *txn.Transaction) error { distinct[tx.Order] = true; return nil }); err != nil {
		t.Fatal(err)
	}
	if orders != int64(len(distinct)) {
		t.Fatalf("orders %d, distinct order IDs %d", orders, len(distinct))
	}
}

func TestProgress(t *testing.T) {
	old := progressEvery
	progressEvery = progressChunk
	defer func() { progressEvery = old }()
	path := shopFile(t, 20000, 9)
	var calls, last atomic.Int64
	set, err := Build(context.Background(), []input.Source{input.FileSource(path, input.Options{}, "")}, Options{Workers: 2, Progress: func(n int64) {
		calls.Add(1)
		if n <= last.Load() {
			t.Errorf("progress went from %d to %d", last.Load(), n)
		}
		last.Store(n)
	}})
	if err != nil {
		t.Fatal(err)
	}
	if want := set.Rows / progressChunk; calls.Load() < want-1 || calls.Load() > want {
		t.Fatalf("%d progress calls for %d rows", calls.Load(), set.Rows)
	}
}

// TestCDNOWRepeatBuyers cross-checks History with the published calibration
// summary: 946 of 2357 customers bought again (on another day) by 1997-09-30.
func TestCDNOWRepeatBuyers(t *testing.T) {
	set, err := Build(context.Background(), []input.Source{cdnowSource(t)}, Options{History: true,
		Rules: clean.Rules{AsOf: time.Date(1997, 9, 30, 23, 59, 59, 0, time.UTC)}})
	if err != nil {
		t.Fatal(err)
	}
	repeat := 0
	for _, c := range set.Customers {
		if len(c.History) > 1 {
			repeat++
		}
	}
	if len(set.Customers) != 2357 || repeat != 946 {
		t.Fatalf("%d customers, %d repeat buyers; want 2357 and 946", len(set.Customers), repeat)
	}
}
