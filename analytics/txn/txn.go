// Package txn holds the vocabulary every part of the analytics engine shares:
// a cleaned transaction, money as fixed-point decimals, and the reasons a row
// can be rejected. It has no dependencies beyond the standard library so that
// readers, cleaning, aggregation and every method can import it freely.
package txn

import (
	"fmt"
	"math"
	"time"
)

// Money is an amount in ten-thousandths of the currency unit (4 decimal places).
// Amounts are parsed as decimals straight into this fixed-point form, so
// "0.10" + "0.20" is exactly "0.30" and no float parsing surprise can creep in.
type Money int64

// MoneyScale is the number of Money units in one currency unit.
const MoneyScale = 10000

// Float returns the amount in currency units, for statistics.
func (m Money) Float() float64 { return float64(m) / MoneyScale }

// String formats the amount with four decimal places, e.g. "12.5000".
func (m Money) String() string {
	sign := ""
	v := int64(m)
	if v < 0 {
		sign, v = "-", -v
	}
	return fmt.Sprintf("%s%d.%04d", sign, v/MoneyScale, v%MoneyScale)
}

// MoneyFromFloat converts a currency amount to Money, rounding half away from zero.
// Only for generated or computed values; input text is parsed as decimal.
func MoneyFromFloat(f float64) Money { return Money(math.Round(f * MoneyScale)) }

// Transaction is one order line after parsing. Optional columns that the source
// does not map are left at their zero values.
type Transaction struct {
	Customer string    // customer ID, never empty after cleaning
	Order    string    // order ID; empty when the source has no order column
	Time     time.Time // purchase time, in the source's declared time zone
	Amount   Money     // line amount; refunds are negative
	Channel  string    // sales channel (source label or column)
	Category string
	Product  string
	Quantity int  // 0 when not mapped
	Gift     bool // gift / zero-price flag from the source
}

// RejectReason names why a row did not reach the analysis. The string values are
// part of the result document contract (input.rejected keys): never rename them.
type RejectReason string

const (
	RejectMalformed       RejectReason = "malformed"       // a mapped field does not parse, or the row has too few columns
	RejectMissingCustomer RejectReason = "missingCustomer" // customer ID column empty
	RejectNonPositive     RejectReason = "nonPositiveAmount"
	RejectGift            RejectReason = "gift"           // gift flag set or zero price, when gifts are dropped
	RejectDuplicate       RejectReason = "duplicateOrder" // same order line seen before
	RejectRefund          RejectReason = "refund"         // negative-amount rows (refunds) when refunds are dropped
	RejectCancellation    RejectReason = "cancellation"   // lines of a cancellation (order ID with the cancellation prefix) when refunds are dropped
	RejectReturn          RejectReason = "return"         // negative-quantity lines (returns) when refunds are dropped
	RejectOutOfWindow     RejectReason = "outOfWindow"    // before the window start or after as-of
	RejectBelowMinimum    RejectReason = "belowMinAmount" // amount under the declared minimum
	RejectAboveMaximum    RejectReason = "aboveMaxAmount" // amount over the declared maximum (an outlier)
)

// RejectSample is one offending row kept for people to look at: where it was and
// why it was refused. It never holds field values (they may be personal data).
type RejectSample struct {
	Source string       `json:"source,omitempty"` // source label (file name or DataSource name)
	Line   int64        `json:"line"`             // 1-based physical line (or row index for Parquet)
	Reason RejectReason `json:"reason"`
	Detail string       `json:"detail,omitempty"` // e.g. "column amount: invalid decimal" — no values
}
