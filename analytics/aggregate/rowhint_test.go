package aggregate

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/input"
)

// TestOrderSetReserve: reserve sizes the table to the smallest power of two
// holding n keys at load ≤ 3/4, never shrinks it, and keeps every key.
func TestOrderSetReserve(t *testing.T) {
	for _, tc := range []struct {
		keys, reserve, wantSlots int
	}{
		{keys: 0, reserve: 100, wantSlots: 4096},
		{keys: 10, reserve: 3072, wantSlots: 4096},        // exactly 3/4
		{keys: 10, reserve: 3073, wantSlots: 8192},        // one more
		{keys: 3000, reserve: 10, wantSlots: 4096},        // no shrinking
		{keys: 1000, reserve: 700000, wantSlots: 1 << 20}, // 700000·4/3 = 933334 ≤ 2²⁰
	} {
		t.Run(fmt.Sprintf("%d-%d", tc.keys, tc.reserve), func(t *testing.T) {
			var s orderSet
			for k := 1; k <= tc.keys; k++ {
				s.add(uint64(k)*0x9e3779b97f4a7c15, int32(k), 0)
			}
			s.reserve(tc.reserve)
			if tc.keys == 0 && tc.reserve > 0 && len(s.slots) == 0 {
				t.Fatal("no table")
			}
			if len(s.slots) != tc.wantSlots {
				t.Errorf("slots %d, want %d", len(s.slots), tc.wantSlots)
			}
			if s.n != tc.keys {
				t.Errorf("n %d, want %d", s.n, tc.keys)
			}
			for k := 1; k <= tc.keys; k++ {
				if !s.has(uint64(k) * 0x9e3779b97f4a7c15) {
					t.Fatalf("key %d lost", k)
				}
			}
		})
	}
}

// TestRowHintSizing: on an export where every line is its own order (the
// shape that fills the order set), sizing the set from the reader's row
// estimate changes nothing: each customer has exactly the orders written for
// it, and two workers give the same Set as one.
func TestRowHintSizing(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 10 MB file")
	}
	old := growFast
	growFast = 4096 // reach the sizing path with thousands of orders, not millions
	defer func() { growFast = old }()
	const customers, perCustomer = 20000, 12
	path := filepath.Join(t.TempDir(), "orders.csv")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	fmt.Fprintln(w, "customer_id,order_id,timestamp,amount,channel,category,padding")
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range customers * perCustomer {
		c := (i * 7919) % customers // interleaved customers, as in a time-ordered export
		ts := base.Add(time.Duration(i) * time.Minute).Format("2006-01-02 15:04:05")
		fmt.Fprintf(w, "C%06d,O%08d,%s,%d.50,web,home,xxxxxxxxxxxx\n", c, i, ts, 1+i%40)
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	if err := f.Close(); err != nil {
		t.Fatal(err)
	}
	src := []input.Source{input.FileSource(path, input.Options{}, "")}
	one, err := Build(context.Background(), src, Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	two, err := Build(context.Background(), src, Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if len(one.Customers) != customers {
		t.Fatalf("customers %d, want %d", len(one.Customers), customers)
	}
	for _, c := range one.Customers {
		if c.Orders != perCustomer {
			t.Fatalf("customer %s: %d orders, want %d", c.ID, c.Orders, perCustomer)
		}
	}
	if !reflect.DeepEqual(one, two) {
		t.Fatal("workers=1 and workers=2 differ")
	}
}
