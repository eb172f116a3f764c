package input

import (
	"time"

	"github.com/crmlens/crmlens/analytics/txn"
)

// Record is one parsed data row. Its byte-slice fields point into the reader's
// buffer and are valid only during the Handler.Record call; copy what you keep
// (Transaction does). Unmapped fields are empty / zero; Channel already falls
// back to the source's channel label.
type Record struct {
	Source   string // source name
	Line     int64  // 1-based physical line of the row's start (row index for Parquet)
	Customer []byte
	Order    []byte
	Time     time.Time
	Amount   txn.Money
	Channel  []byte
	Category []byte
	Product  []byte
	Quantity int
	Gift     bool
	// HasOrder and HasGift say whether the source maps those columns, so that
	// cleaning can tell "no order column" from "empty order ID".
	HasOrder, HasGift bool
	// HasQuantity says whether the source maps a quantity column (a negative
	// quantity is a return only then).
	HasQuantity bool
	// Netted is set by cleaning on a kept refund, cancellation or return line
	// (its Amount then negative): the reason it would have been dropped for.
	Netted txn.RejectReason
}

// Transaction copies the record into t (allocating its strings).
func (r *Record) Transaction(t *txn.Transaction) {
	*t = txn.Transaction{
		Customer: string(r.Customer),
		Order:    string(r.Order),
		Time:     r.Time,
		Amount:   r.Amount,
		Channel:  string(r.Channel),
		Category: string(r.Category),
		Product:  string(r.Product),
		Quantity: r.Quantity,
		Gift:     r.Gift,
	}
}

// Handler receives the rows of one stream, in order. Record may return an error
// to stop the read (it is returned, wrapped, by Read). Reject receives rows that
// could not be parsed; detail names the column and problem, never a value.
type Handler interface {
	Record(r *Record) error
	Reject(line int64, reason txn.RejectReason, detail string)
}
