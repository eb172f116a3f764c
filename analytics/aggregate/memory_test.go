package aggregate

import (
	"context"
	"fmt"
	"io"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/input"
)

// synthStream generates "customer_id,order_id,timestamp,amount" lines on the
// fly, so the test's own input takes no memory: row i belongs to one of
// customers customers and falls on one of that customer's daysPerCustomer
// purchase days, in that day's order (whatever the number of rows).
type synthStream struct {
	i, rows, customers, daysPerCustomer int
	pending                             []byte
}

func (s *synthStream) Read(p []byte) (int, error) {
	n := 0
	for n < len(p) {
		if len(s.pending) == 0 {
			if s.i > s.rows {
				break
			}
			s.pending = s.line(s.pending[:0])
			s.i++
		}
		k := copy(p[n:], s.pending)
		s.pending = s.pending[k:]
		n += k
	}
	if n == 0 {
		return 0, io.EOF
	}
	return n, nil
}

var synthBase = time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC).Unix()

func (s *synthStream) line(b []byte) []byte {
	if s.i == 0 {
		return append(b, "customer_id,order_id,timestamp,amount\n"...)
	}
	r := s.i - 1
	c := r * 7919 % s.customers
	visit := r / s.customers % s.daysPerCustomer
	day := (c*13 + visit*29) % 365 // the k-th row of c is its k-th visit
	ts := synthBase + int64(day)*86400 + int64(r%86400)
	b = append(b, 'C')
	b = strconv.AppendInt(b, int64(c), 10)
	// One order per customer and visit: more rows are more lines of the
	// same orders, so distinct orders stay fixed.
	b = append(b, ",O"...)
	b = strconv.AppendInt(b, int64(c), 10)
	b = append(b, '-')
	b = strconv.AppendInt(b, int64(visit), 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, ts, 10)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(1+r%200), 10)
	return append(b, ".50\n"...)
}

func liveHeap() uint64 {
	runtime.GC()
	var m runtime.MemStats
	runtime.ReadMemStats(&m)
	return m.HeapAlloc
}

// TestMemoryGrowsWithCustomersNotTransactions aggregates the same 20,000
// customers from 100,000 and from 1,000,000 transactions and compares the
// live heap (after a GC) at its peak during the build and retained by the
// result. Ten times the transactions must cost well under twice the memory.
//
// Covered: the streaming reader, cleaning without duplicate detection, the
// per-customer accumulators and ID table, the daily series (bounded by the
// days in the data), and History, which grows with each customer's distinct
// purchase days — fixed here, so it must not grow either.
//
// Documented exception (package clean): DedupeOrders keeps a fingerprint per
// distinct order line for the duration of the build. The test checks that it
// is released with the build and costs at most 32 bytes per extra line at the
// peak (the package documents about 12–16).
func TestMemoryGrowsWithCustomersNotTransactions(t *testing.T) {
	if testing.Short() {
		t.Skip("generates 2.2M rows")
	}
	old := progressEvery
	progressEvery = progressChunk // a peak sample every 65,536 rows
	defer func() { progressEvery = old }()
	const customers = 20_000
	measure := func(t *testing.T, rows int, opts Options) (peak, retained uint64) {
		t.Helper()
		src := input.ReaderSource("synthetic", func() (io.ReadCloser, error) {
			return io.NopCloser(&synthStream{rows: rows, customers: customers, daysPerCustomer: 5}), nil
		}, input.Options{TimeLayout: input.LayoutUnix}, "")
		base := liveHeap()
		opts.Workers = 1
		opts.Progress = func(int64) { peak = max(peak, liveHeap()) }
		set, err := Build(context.Background(), []input.Source{src}, opts)
		if err != nil {
			t.Fatal(err)
		}
		after := liveHeap()
		if set.Rows != int64(rows) || len(set.Customers) != customers || len(set.Rejected) != 0 {
			t.Fatalf("rows %d customers %d rejected %v", set.Rows, len(set.Customers), set.Rejected)
		}
		if opts.History {
			for _, c := range set.Customers[:100] {
				if len(c.History) != 5 {
					t.Fatalf("customer %s: %d purchase days, want 5", c.ID, len(c.History))
				}
			}
		}
		runtime.KeepAlive(set)
		peak = max(peak, after)
		return peak - min(base, peak), after - min(base, after)
	}
	const small, large = 100_000, 1_000_000
	for _, tc := range []struct {
		name string
		opts Options
	}{
		{"customers only", Options{}},
		{"history and same-day merge", Options{History: true, Rules: clean.Rules{MergeSameDay: true, MaxAmount: 10_000_000}}}, // maximum 1000.00 rejects nothing,
	} {
		t.Run(tc.name, func(t *testing.T) {
			p1, r1 := measure(t, small, tc.opts)
			p2, r2 := measure(t, large, tc.opts)
			t.Logf("live heap: peak %d → %d KiB, retained %d → %d KiB for %d → %d transactions", p1>>10, p2>>10, r1>>10, r2>>10, small, large)
			if r2 > 2*r1 || p2 > 2*p1 {
				t.Errorf("10× the transactions: peak %.1f×, retained %.1f× the memory; want < 2×", float64(p2)/float64(p1), float64(r2)/float64(r1))
			}
		})
	}
	t.Run("dedupe exception", func(t *testing.T) {
		opts := Options{Rules: clean.Rules{DedupeOrders: true}}
		p1, r1 := measure(t, small, opts)
		p2, r2 := measure(t, large, opts)
		t.Logf("live heap with DedupeOrders: peak %d → %d KiB, retained %d → %d KiB", p1>>10, p2>>10, r1>>10, r2>>10)
		if r2 > 2*r1 {
			t.Errorf("duplicate set outlives the build: retained %d → %d KiB", r1>>10, r2>>10)
		}
		if perLine := float64(p2-min(p1, p2)) / (large - small); perLine > 32 {
			t.Errorf("duplicate detection costs %.1f bytes per line at the peak, want ≤ 32", perLine)
		}
	})
}

// TestHistoryOutOfOrderDays: a customer whose lines cycle through more days
// than the look-back covers gets the same History as when its lines arrive
// in time order (the in-build compaction that bounds its memory is measured
// by TestMemoryGrowsWithCustomersNotTransactions).
func TestHistoryOutOfOrderDays(t *testing.T) {
	var shuffled, sorted []byte
	shuffled = append(shuffled, "customer,order,time,amount\n"...)
	sorted = append(sorted, shuffled...)
	const days, lines = 12, 600
	for i := range lines {
		d := i * 5 % days // 0, 5, 10, 3, 8, 1, …: never the previous few days
		shuffled = append(shuffled, "c,o"+strconv.Itoa(i)+",2024-03-"+pad2(1+d)+"T10:00:00Z,"+strconv.Itoa(1+i%7)+".25\n"...)
	}
	for d := range days {
		for i := range lines {
			if i*5%days == d {
				sorted = append(sorted, "c,o"+strconv.Itoa(i)+",2024-03-"+pad2(1+d)+"T10:00:00Z,"+strconv.Itoa(1+i%7)+".25\n"...)
			}
		}
	}
	build := func(data []byte) *customer.Set {
		set, err := Build(context.Background(), []input.Source{input.BytesSource("h", data, input.Options{}, "")}, Options{History: true, Workers: 1})
		if err != nil {
			t.Fatal(err)
		}
		return set
	}
	got, want := build(shuffled).Customers[0], build(sorted).Customers[0]
	if len(got.History) != days || fmt.Sprint(got.History) != fmt.Sprint(want.History) || got.Orders != lines {
		t.Fatalf("history %v (orders %d), want %v", got.History, got.Orders, want.History)
	}
}

func pad2(n int) string {
	if n < 10 {
		return "0" + strconv.Itoa(n)
	}
	return strconv.Itoa(n)
}
