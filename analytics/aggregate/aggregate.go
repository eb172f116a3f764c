// Package aggregate builds the per-customer view (customer.Set) from one or
// more transaction sources in a single pass, and offers Scan for the second
// passes that need raw lines (VIP timing, baskets, cohorts by line).
//
// API:
//
//	Options{Rules, History, Workers, Location, Progress}
//	Build(ctx, sources, opts) (*customer.Set, error)
//	Scan(ctx, sources, rules, fn func(*txn.Transaction) error) error
//
// Memory grows with customers (and their orders), never with transactions: each worker interns
// customer IDs into a pointer-free hash table (IDs concatenated in one byte
// arena, IDs up to 23 bytes also inline in their 32-byte slot) and keeps a
// 64-byte accumulator per customer; nothing per row is stored beyond a
// 64-row batch. At 1M customers a worker holds about 64 MB of slots, 64 MB of
// accumulators and the IDs; the merged result adds the same again plus the
// customer.Set itself (measured peak RSS for 10M rows / 1M customers: see
// hack/bench-analytics.sh). With History on, each customer also keeps one
// DayAmount per distinct purchase day. The only other structure that grows
// with the data is the duplicate-line set of clean.Rules.DedupeOrders (see
// package clean). Table offsets are 32-bit: the IDs of one Build may total at
// most 4 GiB.
//
// Parallelism: a CSV file is cut into Workers contiguous byte ranges, a
// Parquet file into runs of row groups (input.ReadParallel); each range is
// parsed and aggregated by its own worker with no locking, and the partial
// results are merged in file order at the end. Sources are read one after the
// other, each in parallel. Streams (HTTP bodies, the sample generator) are
// parsed by one worker.
//
// Orders are distinct orders: a purchase line starts an order unless its
// (customer, order ID) pair was seen before, wherever the earlier line was.
// Each worker keeps the 64-bit keys of the pairs it saw (orderset.go:
// pointer-free, 16 bytes an order), so memory grows with customers' orders,
// never with lines; consecutive lines of one order skip the lookup. Merging
// the workers' parts in file order counts an order that straddles parts
// once, on the day its first line was seen, exactly as a sequential read
// (the last part's orders are only looked up). Two distinct orders of one
// customer share a key with odds of about n²/2⁶⁵. Lines without an order ID
// (no order column, or an empty ID) are an order each.
//
// With clean.Rules.MergeSameDay, Customer.Orders is instead the number of
// distinct calendar days (in Options.Location) with an accepted purchase:
// several orders of one customer on one day count once, the frequency of the
// BG/NBD literature. It keeps each customer's purchase days during the build
// (as History does; dropped from the result unless History was asked for).
// DayAmount.Orders and the Daily series still count orders.
//
// Refunds, cancellations and returns kept by clean.RefundNet net Revenue,
// Lines and the Daily revenue (on their own day) but count no order, do not
// move First/Last and add no History day (a refund is not a purchase
// occasion); with History they net the customer's latest purchase day on or
// before them (the first one when none is), so History sums to Revenue.
// Set.Netted counts them by kind. Customers whose accepted lines are all
// refunds are left out of Set.Customers (their lines still count in
// Set.Transactions).
//
// Determinism: for a given input and options the Set is identical for any
// Workers value. The one exception is DedupeOrders with Workers > 1: the
// duplicate set is shared, so which copy of a duplicated line is refused
// depends on timing: the line numbers in duplicate samples may change, and so
// may the day an order is counted on when the copies fall on different days
// (identical copies carry identical values, so sums and order counts do not
// change).
package aggregate

import (
	"cmp"
	"context"
	"encoding/binary"
	"fmt"
	"runtime"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/txn"
)

// ProgressEvery is the number of rows between Progress calls.
const ProgressEvery = 1 << 20

// MaxChannels is the number of distinct channels a Set can tell apart
// (customer.Customer.Channels is a 32-bit mask); further channels are counted
// in the totals but set no bit.
const MaxChannels = 32

// Options control Build.
type Options struct {
	Rules clean.Rules
	// History keeps each customer's purchase days (customer.Customer.History),
	// needed by CLV, lifecycle transitions, cohorts and VIP baselines.
	History bool
	// Workers is the number of goroutines parsing one CSV file; 0 means
	// runtime.GOMAXPROCS(0).
	Workers int
	// Location is the analysis time zone: calendar days (History, Daily) and
	// the First/Last times are expressed in it. nil means UTC.
	Location *time.Location
	// Progress, when set, is called with the number of rows read so far about
	// every ProgressEvery rows. It may be called from different goroutines but
	// never concurrently.
	Progress func(rows int64)
}

// Build reads every source once, applies the cleaning rules and returns the
// per-customer view. Row-level problems are counted in Set.Rejected and
// Set.Samples; only source-level failures (unreadable input, unknown column,
// cancelled context) return an error.
func Build(ctx context.Context, sources []input.Source, opts Options) (*customer.Set, error) {
	if err := opts.Rules.Validate(); err != nil {
		return nil, fmt.Errorf("cleaning rules: %w", err)
	}
	workers := opts.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	loc := opts.Location
	if loc == nil {
		loc = time.UTC
	}
	// Counting purchase days exactly needs each customer's days, whatever the
	// order of the lines: MergeSameDay keeps History internally.
	history := opts.History || opts.Rules.MergeSameDay
	sh := &shared{cleaner: clean.NewCleaner(opts.Rules), history: history, keepHistory: opts.History, loc: loc, progressFn: opts.Progress}
	m := newMerger(history)
	for si, src := range sources {
		parts, err := input.ReadParallel(ctx, src, workers, func() input.Handler { return newPartial(sh, src.Name) })
		if err != nil {
			return nil, err
		}
		for pi, p := range parts {
			m.add(p.Handler.(*partial), p.LineOffset, si == len(sources)-1 && pi == len(parts)-1)
		}
	}
	// Every order is counted: the set (the largest table on files where
	// each line is an order) can go before the result is allocated.
	m.orders = orderSet{}
	return m.finish(opts.Rules.AsOf, loc, opts.Rules.MergeSameDay, opts.History), nil
}

// shared is what all workers of one Build read (and the progress counter).
type shared struct {
	cleaner     *clean.Cleaner
	history     bool
	keepHistory bool // History is in the result: kept refunds net its days
	loc         *time.Location
	rows        atomic.Int64
	progressMu  sync.Mutex
	progressFn  func(int64)
}

// Scan reads every source sequentially and calls fn with each transaction that
// passes the rules, in source order. fn must not keep the pointer (copy the
// value). Rejected rows are skipped; Build reports their counts.
func Scan(ctx context.Context, sources []input.Source, rules clean.Rules, fn func(*txn.Transaction) error) error {
	if err := rules.Validate(); err != nil {
		return fmt.Errorf("cleaning rules: %w", err)
	}
	h := &scanHandler{cleaner: clean.NewCleaner(rules), fn: fn}
	for _, src := range sources {
		if err := input.Read(ctx, src, h); err != nil {
			return err
		}
	}
	return nil
}

type scanHandler struct {
	cleaner *clean.Cleaner
	fn      func(*txn.Transaction) error
	t       txn.Transaction
	// Strings of the previous line and of few-valued fields are reused:
	// a fresh string per field per line was most of a second pass's
	// allocations (docs/benchmarks.md). Values are identical either way.
	customer, order string
	small           map[string]string
}

// Record passes an accepted row to the callback: the fields of
// r.Transaction, with strings reused where the bytes match.
func (h *scanHandler) Record(r *input.Record) error {
	if reason, _ := h.cleaner.Check(r); reason != "" {
		return nil
	}
	if string(r.Customer) != h.customer {
		h.customer = string(r.Customer)
	}
	if string(r.Order) != h.order {
		h.order = string(r.Order)
	}
	h.t = txn.Transaction{
		Customer: h.customer,
		Order:    h.order,
		Time:     r.Time,
		Amount:   r.Amount,
		Channel:  h.intern(r.Channel),
		Category: h.intern(r.Category),
		Product:  h.intern(r.Product),
		Quantity: r.Quantity,
		Gift:     r.Gift,
	}
	return h.fn(&h.t)
}

// maxInterned bounds the reused channel, category and product strings, so a
// catalogue of millions of products costs no more than a string per line.
const maxInterned = 1 << 14

func (h *scanHandler) intern(b []byte) string {
	if len(b) == 0 {
		return ""
	}
	if s, ok := h.small[string(b)]; ok {
		return s
	}
	s := string(b)
	if h.small == nil {
		h.small = map[string]string{}
	}
	if len(h.small) < maxInterned {
		h.small[s] = s
	}
	return s
}

// Reject ignores unparseable rows: Build is where they are counted.
func (h *scanHandler) Reject(int64, txn.RejectReason, string) {}

// idKey is a customer to sort: the first 8 bytes of its ID, big-endian, decide
// most comparisons without touching the string.
type idKey struct {
	prefix uint64
	g      int32
}

func prefix8(id []byte) uint64 {
	var b [8]byte
	copy(b[:], id)
	return binary.BigEndian.Uint64(b[:])
}

// sortByID sorts customers by ID, with two goroutines for large sets: sorting
// a million IDs is a visible share of a Build.
func sortByID(keys []idKey, id func(int32) string) {
	less := func(a, b idKey) int {
		if a.prefix != b.prefix {
			return cmp.Compare(a.prefix, b.prefix)
		}
		return cmp.Compare(id(a.g), id(b.g))
	}
	if len(keys) < 1<<16 || runtime.GOMAXPROCS(0) < 2 {
		slices.SortFunc(keys, less)
		return
	}
	mid := len(keys) / 2
	var wg sync.WaitGroup
	wg.Go(func() { slices.SortFunc(keys[:mid], less) })
	slices.SortFunc(keys[mid:], less)
	wg.Wait()
	out := make([]idKey, 0, len(keys))
	i, j := 0, mid
	for i < mid && j < len(keys) {
		if less(keys[j], keys[i]) < 0 {
			out = append(out, keys[j])
			j++
		} else {
			out = append(out, keys[i])
			i++
		}
	}
	out = append(out, keys[i:mid]...)
	out = append(out, keys[j:]...)
	copy(keys, out)
}
