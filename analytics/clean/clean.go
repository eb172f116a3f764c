// Package clean decides, row by row, whether a parsed transaction reaches the
// analysis, and keeps the count of everything it refuses.
//
// API:
//
//	Rules{DropGifts, MinAmount, MaxAmount, DedupeOrders, Refunds, WindowStart, AsOf, MergeSameDay}
//	Rules.Validate() error
//	NewCleaner(rules) *Cleaner; Cleaner.Check(*input.Record) (txn.RejectReason, detail)
//	Tally{Counts, Samples}; Tally.Add / Tally.Merge / Tally.Total
//	FingerprintSet: the compact concurrent set used for duplicate detection
//
// Checks run in this order, and a row is counted under the first that fails:
//
//  1. missingCustomer: the customer ID is empty (after trimming spaces).
//  2. outOfWindow: time before WindowStart or after AsOf (when set).
//  3. gift: the gift flag is set, or the amount is exactly zero while the source
//     maps no gift column, and DropGifts is on. With DropGifts off these rows
//     are kept (a zero-price gift is still a purchase occasion).
//  4. nonPositiveAmount: the amount is zero although the source maps a gift
//     column and the row is not flagged as a gift — a price is missing.
//  5. cancellation, return, refund: a line whose order ID starts with
//     CancellationPrefix is a cancellation; else one with a negative quantity
//     (sources mapping quantity) is a return; else a negative amount is a
//     refund. With Refunds "drop" they are refused under that reason. With
//     Refunds "net" (the default, see Defaults) they are kept with a negative
//     amount (the absolute value of the line amount, negated, so a
//     cancellation exported with positive amounts still nets) and
//     Record.Netted names the reason: they net revenue and never count as an
//     order.
//  6. belowMinAmount: 0 < amount < MinAmount.
//  7. aboveMaxAmount: amount > MaxAmount (outliers such as test orders or
//     wholesale lines), when MaxAmount is set.
//  8. duplicateOrder: with DedupeOrders, a row whose order ID and whole line
//     (customer, order, time, amount, channel, category, product, quantity,
//     gift) were seen before. Only sources that map an order column are
//     deduplicated: without order IDs two identical lines may well be two
//     purchases (CDNOW has such days).
//
// MergeSameDay refuses no row: it tells the aggregation to count a customer's
// purchase days instead of orders (see aggregate.Build).
//
// Memory: everything here is constant size except the duplicate set, the one
// structure of the engine that grows with distinct order lines (not customers)
// when DedupeOrders is on: 8 bytes per line plus open-addressing slack, about
// 12–16 bytes per distinct line (≈150 MB for 10M lines).
package clean

import (
	"fmt"
	"time"

	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/txn"
)

// Refund policies.
const (
	RefundDrop = "drop" // refunds, cancellations and returns are rejected (also when Refunds is "")
	RefundNet  = "net"  // they are kept and net revenue (the default, see Defaults)
)

// Defaults are the cleaning rules of every entry point that does not set
// them: `crmlens analyze` flags and the SegmentationModel CRD's
// cleaning defaults (kubebuilder markers, checked against this by a test)
// are both this. Gift and zero-price rows are dropped, repeated order lines
// are dropped, refunds are netted.
func Defaults() Rules {
	return Rules{DropGifts: true, DedupeOrders: true, Refunds: RefundNet}
}

// Rules are the declared cleaning rules of one analysis.
type Rules struct {
	DropGifts    bool      // reject gift-flagged and zero-price rows
	MinAmount    txn.Money // reject 0 < amount < MinAmount; 0 disables
	MaxAmount    txn.Money // reject amount > MaxAmount; 0 disables
	DedupeOrders bool      // reject repeated order lines (sources with an order column only)
	Refunds      string    // RefundDrop ("" means drop) or RefundNet
	WindowStart  time.Time // zero: no lower bound; inclusive
	AsOf         time.Time // zero: no upper bound; inclusive
	// MergeSameDay counts several purchases of one customer on one calendar
	// day as one purchase: Customer.Orders becomes the number of distinct
	// purchase days (frequency as the BG/NBD literature defines it).
	MergeSameDay bool
	// CancellationPrefix, when set, marks lines whose order ID starts with it
	// as cancellations (e.g. "C" for invoices C536379); they follow Refunds.
	CancellationPrefix string
}

// Validate reports the first rule that makes no sense.
func (r Rules) Validate() error {
	switch r.Refunds {
	case "", RefundDrop, RefundNet:
	default:
		return fmt.Errorf("refunds %q: want %q or %q", r.Refunds, RefundDrop, RefundNet)
	}
	if r.MinAmount < 0 {
		return fmt.Errorf("minAmount %s: must not be negative", r.MinAmount)
	}
	if r.MaxAmount < 0 {
		return fmt.Errorf("maxAmount %s: must not be negative", r.MaxAmount)
	}
	if r.MaxAmount > 0 && r.MinAmount > r.MaxAmount {
		return fmt.Errorf("minAmount %s exceeds maxAmount %s", r.MinAmount, r.MaxAmount)
	}
	if !r.WindowStart.IsZero() && !r.AsOf.IsZero() && r.AsOf.Before(r.WindowStart) {
		return fmt.Errorf("asOf %s is before windowStart %s", r.AsOf.Format(time.RFC3339), r.WindowStart.Format(time.RFC3339))
	}
	return nil
}

// Cleaner applies Rules. Check is safe for concurrent use: the only shared state
// is the duplicate set, which locks internally.
type Cleaner struct {
	rules      Rules
	start, end int64 // window bounds in Unix nanoseconds
	hasStart   bool
	hasEnd     bool
	seen       *FingerprintSet
}

// NewCleaner returns a cleaner for rules (assumed valid).
func NewCleaner(rules Rules) *Cleaner {
	c := &Cleaner{rules: rules}
	if !rules.WindowStart.IsZero() {
		c.hasStart, c.start = true, rules.WindowStart.UnixNano()
	}
	if !rules.AsOf.IsZero() {
		c.hasEnd, c.end = true, rules.AsOf.UnixNano()
	}
	if rules.DedupeOrders {
		c.seen = NewFingerprintSet()
	}
	return c
}

// Rules returns the rules the cleaner applies.
func (c *Cleaner) Rules() Rules { return c.rules }

// Check returns "" when the row is accepted, or the reason it is refused and a
// detail without field values.
func (c *Cleaner) Check(r *input.Record) (reason txn.RejectReason, detail string) {
	if len(r.Customer) == 0 {
		return txn.RejectMissingCustomer, "column customer: empty"
	}
	if c.hasStart || c.hasEnd {
		t := r.Time.UnixNano()
		if c.hasStart && t < c.start {
			return txn.RejectOutOfWindow, "before the window start"
		}
		if c.hasEnd && t > c.end {
			return txn.RejectOutOfWindow, "after as-of"
		}
	}
	if r.Gift || (r.Amount == 0 && !r.HasGift) {
		if c.rules.DropGifts {
			if r.Gift {
				return txn.RejectGift, "gift flag set"
			}
			return txn.RejectGift, "zero price"
		}
	} else if r.Amount == 0 {
		return txn.RejectNonPositive, "zero amount on a row not flagged as gift"
	}
	switch {
	case c.rules.CancellationPrefix != "" && len(r.Order) >= len(c.rules.CancellationPrefix) &&
		string(r.Order[:len(c.rules.CancellationPrefix)]) == c.rules.CancellationPrefix:
		r.Netted = txn.RejectCancellation
	case r.HasQuantity && r.Quantity < 0:
		r.Netted = txn.RejectReturn
	case r.Amount < 0:
		r.Netted = txn.RejectRefund
	}
	if r.Netted != "" {
		if c.rules.Refunds != RefundNet {
			reason := r.Netted
			r.Netted = ""
			switch reason {
			case txn.RejectCancellation:
				return reason, "order ID has the cancellation prefix"
			case txn.RejectReturn:
				return reason, "negative quantity"
			}
			return reason, "negative amount"
		}
		if r.Amount > 0 {
			r.Amount = -r.Amount
		}
	}
	if c.rules.MinAmount > 0 && r.Amount > 0 && r.Amount < c.rules.MinAmount {
		return txn.RejectBelowMinimum, "amount below the minimum"
	}
	if c.rules.MaxAmount > 0 && r.Amount > c.rules.MaxAmount {
		return txn.RejectAboveMaximum, "amount above the maximum"
	}
	if c.seen != nil && r.HasOrder {
		if c.seen.Add(LineFingerprint(r)) {
			return txn.RejectDuplicate, "order line seen before"
		}
	}
	return "", ""
}
