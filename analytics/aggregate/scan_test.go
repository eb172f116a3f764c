package aggregate

import (
	"context"
	"reflect"
	"testing"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/txn"
)

// plainHandler is what Scan did before reusing strings: r.Transaction per
// accepted row.
type plainHandler struct {
	cleaner *clean.Cleaner
	got     []txn.Transaction
}

func (h *plainHandler) Record(r *input.Record) error {
	if reason, _ := h.cleaner.Check(r); reason != "" {
		return nil
	}
	var t txn.Transaction
	r.Transaction(&t)
	h.got = append(h.got, t)
	return nil
}

func (h *plainHandler) Reject(int64, txn.RejectReason, string) {}

// TestScanSameTransactions: Scan hands the callback exactly the transactions
// r.Transaction builds, line for line, on a generated shop with refunds,
// gifts, duplicates and malformed rows, also when the callback overwrites
// the string fields it was given.
func TestScanSameTransactions(t *testing.T) {
	path := shopFile(t, 2000, 10)
	src := []input.Source{input.FileSource(path, input.Options{}, "")}
	rules := clean.Rules{DropGifts: true}
	want := &plainHandler{cleaner: clean.NewCleaner(rules)}
	if err := input.Read(context.Background(), src[0], want); err != nil {
		t.Fatal(err)
	}
	if len(want.got) < 10000 {
		t.Fatalf("only %d transactions", len(want.got))
	}
	for _, overwrite := range []bool{false, true} {
		var got []txn.Transaction
		err := Scan(context.Background(), src, rules, func(tx *txn.Transaction) error {
			got = append(got, *tx)
			if overwrite {
				tx.Customer, tx.Order, tx.Product, tx.Channel, tx.Category = "x", "y", "z", "w", "v"
			}
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != len(want.got) {
			t.Fatalf("overwrite %v: %d transactions, want %d", overwrite, len(got), len(want.got))
		}
		for i := range got {
			if !reflect.DeepEqual(got[i], want.got[i]) {
				t.Fatalf("overwrite %v: transaction %d = %+v, want %+v", overwrite, i, got[i], want.got[i])
			}
		}
	}
}
