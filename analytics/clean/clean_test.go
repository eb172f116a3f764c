package clean

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/txn"
)

var day = time.Date(2024, 6, 15, 12, 0, 0, 0, time.UTC)

func rec(cust string, amount txn.Money, mod func(*input.Record)) *input.Record {
	r := &input.Record{Customer: []byte(cust), Order: []byte("o1"), HasOrder: true, Time: day, Amount: amount}
	if mod != nil {
		mod(r)
	}
	return r
}

func TestCheckReasons(t *testing.T) {
	window := Rules{WindowStart: day.Add(-24 * time.Hour), AsOf: day.Add(24 * time.Hour)}
	cases := []struct {
		name  string
		rules Rules
		rec   *input.Record
		want  txn.RejectReason
	}{
		{"accepted", Rules{}, rec("c", 10, nil), ""},
		{"missing customer", Rules{}, rec("", 10, nil), txn.RejectMissingCustomer},
		{"missing customer wins over refund", Rules{}, rec("", -10, nil), txn.RejectMissingCustomer},
		{"before window", window, rec("c", 10, func(r *input.Record) { r.Time = day.Add(-48 * time.Hour) }), txn.RejectOutOfWindow},
		{"after as-of", window, rec("c", 10, func(r *input.Record) { r.Time = day.Add(48 * time.Hour) }), txn.RejectOutOfWindow},
		{"window bounds inclusive", window, rec("c", 10, func(r *input.Record) { r.Time = window.AsOf }), ""},
		{"gift flag dropped", Rules{DropGifts: true}, rec("c", 10, func(r *input.Record) { r.Gift, r.HasGift = true, true }), txn.RejectGift},
		{"zero price dropped as gift", Rules{DropGifts: true}, rec("c", 0, nil), txn.RejectGift},
		{"gift kept when not dropping", Rules{}, rec("c", 0, func(r *input.Record) { r.Gift, r.HasGift = true, true }), ""},
		{"zero price kept when not dropping", Rules{}, rec("c", 0, nil), ""},
		{"zero price not flagged as gift", Rules{DropGifts: true}, rec("c", 0, func(r *input.Record) { r.HasGift = true }), txn.RejectNonPositive},
		{"refund dropped by default", Rules{}, rec("c", -5, nil), txn.RejectRefund},
		{"refund dropped", Rules{Refunds: RefundDrop}, rec("c", -5, nil), txn.RejectRefund},
		{"refund netted", Rules{Refunds: RefundNet}, rec("c", -5, nil), ""},
		{"below minimum", Rules{MinAmount: 100}, rec("c", 99, nil), txn.RejectBelowMinimum},
		{"at minimum", Rules{MinAmount: 100}, rec("c", 100, nil), ""},
		{"above maximum", Rules{MaxAmount: 100}, rec("c", 101, nil), txn.RejectAboveMaximum},
		{"at maximum", Rules{MaxAmount: 100}, rec("c", 100, nil), ""},
		{"between minimum and maximum", Rules{MinAmount: 50, MaxAmount: 100}, rec("c", 75, nil), ""},
		{"below minimum with a maximum", Rules{MinAmount: 50, MaxAmount: 100}, rec("c", 49, nil), txn.RejectBelowMinimum},
		{"refund never above maximum", Rules{MaxAmount: 100, Refunds: RefundNet}, rec("c", -500, nil), ""},
		{"refund dropped before maximum", Rules{MaxAmount: 100}, rec("c", -500, nil), txn.RejectRefund},
		{"gift before maximum", Rules{MaxAmount: 100, DropGifts: true}, rec("c", 500, func(r *input.Record) { r.Gift, r.HasGift = true, true }), txn.RejectGift},
		{"maximum before duplicate", Rules{MaxAmount: 100, DedupeOrders: true}, rec("c", 500, nil), txn.RejectAboveMaximum},
		{"zero maximum disables", Rules{}, rec("c", 1<<40, nil), ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			got, detail := NewCleaner(tc.rules).Check(tc.rec)
			if got != tc.want || (got != "" && detail == "") {
				t.Fatalf("Check = %q (%q), want %q", got, detail, tc.want)
			}
		})
	}
}

func TestDuplicates(t *testing.T) {
	c := NewCleaner(Rules{DedupeOrders: true})
	a := rec("c", 10, nil)
	sameLine := rec("c", 10, nil)
	otherProduct := rec("c", 10, func(r *input.Record) { r.Product = []byte("p2") })
	otherOrder := rec("c", 10, func(r *input.Record) { r.Order = []byte("o2") })
	noOrderCol := rec("c", 10, func(r *input.Record) { r.Order, r.HasOrder = nil, false })
	steps := []struct {
		r    *input.Record
		want txn.RejectReason
	}{
		{a, ""}, {sameLine, txn.RejectDuplicate}, {otherProduct, ""}, {otherOrder, ""}, {otherOrder, txn.RejectDuplicate},
		{noOrderCol, ""}, {noOrderCol, ""}, // without order IDs identical lines are separate purchases
	}
	for i, s := range steps {
		if got, _ := c.Check(s.r); got != s.want {
			t.Fatalf("step %d: %q, want %q", i, got, s.want)
		}
	}
	// Field boundaries matter: "ab"+"c" is not "a"+"bc".
	x := rec("ab", 1, func(r *input.Record) { r.Order = []byte("c") })
	y := rec("a", 1, func(r *input.Record) { r.Order = []byte("bc") })
	if LineFingerprint(x) == LineFingerprint(y) {
		t.Fatal("fingerprint ignores field boundaries")
	}
	if got, _ := NewCleaner(Rules{}).Check(sameLine); got != "" {
		t.Fatal("dedupe applied while off")
	}
}

func TestFingerprintSetConcurrent(t *testing.T) {
	s := NewFingerprintSet()
	var wg sync.WaitGroup
	dups := make([]int, 4)
	for w := range 4 {
		wg.Go(func() {
			for i := range 50000 {
				if s.Add(uint64(i+1) * 0x9e3779b97f4a7c15) {
					dups[w]++
				}
			}
		})
	}
	wg.Wait()
	if s.Len() != 50000 || dups[0]+dups[1]+dups[2]+dups[3] != 150000 {
		t.Fatalf("len %d dups %v; want 50000 and 150000 in total", s.Len(), dups)
	}
	if s.Add(0) || !s.Add(0) {
		t.Fatal("zero fingerprint not stored once")
	}
}

func TestTally(t *testing.T) {
	var a, b Tally
	for i := range 7 {
		a.Add("f", int64(i+1), txn.RejectMalformed, "x")
	}
	b.Add("f", 3, txn.RejectRefund, "y")
	b.Add("f", 4, txn.RejectMalformed, "x")
	a.Merge(&b, 100)
	if a.Counts[txn.RejectMalformed] != 8 || a.Counts[txn.RejectRefund] != 1 || a.Total() != 9 {
		t.Fatalf("counts %v", a.Counts)
	}
	got := fmt.Sprint(a.SortedSamples())
	want := "[{f 1 malformed x} {f 2 malformed x} {f 3 malformed x} {f 4 malformed x} {f 5 malformed x} {f 103 refund y}]"
	if got != want {
		t.Fatalf("samples\n got %s\nwant %s", got, want)
	}
}

func TestValidate(t *testing.T) {
	bad := []Rules{
		{Refunds: "keep"},
		{MinAmount: -1},
		{MaxAmount: -1},
		{MinAmount: 101, MaxAmount: 100},
		{WindowStart: day, AsOf: day.Add(-time.Hour)},
	}
	for _, r := range bad {
		if r.Validate() == nil {
			t.Errorf("Validate(%+v) accepted", r)
		}
	}
	if err := (Rules{MinAmount: 100, MaxAmount: 100}).Validate(); err != nil {
		t.Error(err)
	}
	if err := (Rules{Refunds: RefundNet, WindowStart: day, AsOf: day}).Validate(); err != nil {
		t.Error(err)
	}
}
