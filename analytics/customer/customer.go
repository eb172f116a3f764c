// Package customer defines the per-customer view that the engine builds in one
// pass over the transactions and that every per-customer method consumes.
// Its size grows with customers (and, when History is kept, with their distinct
// purchase days), never with raw transaction lines.
package customer

import (
	"cmp"
	"slices"
	"time"

	"github.com/crmlens/crmlens/analytics/txn"
)

// Day is a calendar day, counted in days since 1970-01-01 in the analysis time zone.
type Day int32

// DayOf returns the calendar day of t in t's own location.
func DayOf(t time.Time) Day {
	y, m, d := t.Date()
	return Day(time.Date(y, m, d, 0, 0, 0, 0, time.UTC).Unix() / 86400)
}

// Time returns midnight UTC of the day (calendar arithmetic only).
func (d Day) Time() time.Time { return time.Unix(int64(d)*86400, 0).UTC() }

// DayAmount is one purchase day of a customer: same-day purchases merged, as the
// buy-till-you-die literature requires.
type DayAmount struct {
	Day    Day
	Amount txn.Money // net amount of that day: purchases, plus kept refunds up to the next purchase day (refunds before the first purchase net the first day)
	Orders int32     // distinct orders that day
}

// Customer is the aggregate of one customer's accepted transactions.
type Customer struct {
	ID       string
	First    time.Time // first accepted purchase
	Last     time.Time // last accepted purchase
	Orders   int64     // distinct order IDs of the customer's purchase lines, plus one per purchase line without an order ID; purchase days with MergeSameDay
	Lines    int64     // accepted transaction lines
	Revenue  txn.Money // sum of accepted amounts: net of kept refunds, cancellations and returns
	Channels uint32    // bit i set when the customer bought in Set.Channels[i]
	// History holds one entry per purchase day, ascending, when the build was
	// asked to keep it (CLV, lifecycle transitions, cohorts, VIP baselines).
	History []DayAmount
	// Summary condenses the purchase days around Set.SummaryEnd instead of
	// History: a database pushdown for CLV fills it so one row per customer
	// travels. Nil when the set carries no summaries.
	Summary *DaySummary
}

// DaySummary is what a CLV fit needs of one customer's purchase days (same-day
// purchases merged, as in History), split at a calibration end day, inclusive.
// Spend is exact Money, summed before any conversion to float.
type DaySummary struct {
	First        Day       // first purchase day (may lie after the end)
	LastCal      Day       // last purchase day on or before the end
	CalDays      int32     // purchase days on or before the end, First included; 0 when First is after it
	CalSpend     txn.Money // spend of those days
	FirstSpend   txn.Money // spend of the first purchase day
	HoldoutDays  int32     // purchase days after the end
	HoldoutSpend txn.Money // their spend
}

// Set is the result of one aggregation run over all sources of a model.
type Set struct {
	Customers    []Customer                 // sorted by ID for deterministic output
	Channels     []string                   // channel names indexed by Customer.Channels bits
	AsOf         time.Time                  // reference time for recency (end of window)
	Rows         int64                      // rows read from all sources, including rejected
	Transactions int64                      // accepted lines
	Rejected     map[txn.RejectReason]int64 // rejected rows by reason
	Samples      []txn.RejectSample         // first few rejected rows per reason
	Daily        []DailyRevenue             // revenue per calendar day, ascending
	// Netted counts kept refund lines by reason (refund, cancellation,
	// return) when refunds are netted.
	Netted map[txn.RejectReason]int64
	// OrderIDs is true when a source maps an order column: orders are then
	// distinct order IDs (lines without one count one each); false, every
	// purchase line is an order (or every purchase day with MergeSameDay).
	OrderIDs bool
	// SummaryEnd is the calibration end day of every Customer.Summary; nil
	// when the set carries none.
	SummaryEnd *Day
}

// DailyRevenue is the total accepted revenue of one calendar day, for forecasts.
type DailyRevenue struct {
	Day     Day
	Revenue txn.Money
	Orders  int64
}

// NetDays adds each kept refund to the customer's latest purchase day on or
// before the refund's day, or to the first purchase day when the refund came
// before any: History then carries net spend (its days sum to the customer's
// revenue) while its days stay purchase days. h is sorted by day.
func NetDays(h []DayAmount, refunds []DayAmount) {
	for _, r := range refunds {
		k, found := slices.BinarySearchFunc(h, r.Day, func(e DayAmount, d Day) int { return cmp.Compare(e.Day, d) })
		if !found {
			k = max(k-1, 0)
		}
		h[k].Amount += r.Amount
	}
}
