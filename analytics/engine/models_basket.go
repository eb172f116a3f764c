package engine

import (
	"context"
	"errors"
	"fmt"
	"hash/fnv"
	"math"
	"time"

	"github.com/crmlens/crmlens/analytics/aggregate"
	"github.com/crmlens/crmlens/analytics/basket"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/txn"
)

func init() {
	Register(string(Basket), Model{Run: runBasket})
}

// runBasket groups the raw lines into baskets (one per order, or per
// customer and day without order IDs) in a second pass and mines
// association rules. Only baskets of the chosen scope are held, and above
// MaxLines lines a deterministic hash sample of baskets keeps memory bounded.
func runBasket(ctx context.Context, cfg *Config, set *customer.Set, _ time.Time) (Output, error) {
	p := cfg.Basket
	srcs := rawSources(cfg)
	if len(srcs) == 0 {
		return Output{}, errors.New("basket rules need a raw transaction source to read (the customer set alone has no items)")
	}
	sec := &result.BasketSection{Item: p.Item, Scope: p.Scope, SampleFraction: 1}
	if sec.Item == "" {
		sec.Item = "product"
	}
	if sec.Scope == "" {
		sec.Scope = "all"
	}
	var keep map[string]struct{}
	lines := set.Transactions
	if sec.Scope == "vip" {
		cs := set.Customers
		values := make([]float64, len(cs))
		for i := range cs {
			values[i] = cs[i].Revenue.Float()
		}
		idx, err := vipIndices(cfg, values)
		if err != nil {
			return Output{}, err
		}
		keep = make(map[string]struct{}, len(idx))
		lines = 0
		for _, i := range idx {
			keep[cs[i].ID] = struct{}{}
			lines += cs[i].Lines
		}
	}
	if lines > p.maxLines() {
		sec.SampleFraction = float64(p.maxLines()) / float64(lines)
	}
	limit := uint64(math.MaxUint64)
	if sec.SampleFraction < 1 {
		limit = uint64(sec.SampleFraction * math.MaxUint64)
	}
	names := map[string]string{} // interned item IDs: one string per distinct item
	b := &basket.Builder{Item: func(t *txn.Transaction) string {
		item := t.Category
		if sec.Item == "product" && t.Product != "" {
			item = t.Product
		}
		if s, ok := names[item]; ok {
			return s
		}
		names[item] = item
		return item
	}}
	loc := cfg.location()
	cfg.progress("analyze", "basket: reading the transactions again to build baskets")
	err := aggregate.Scan(ctx, srcs, scanRules(cfg), func(t *txn.Transaction) error {
		if t.Amount < 0 {
			return nil // a refund line takes nothing into the basket
		}
		if keep != nil {
			if _, ok := keep[t.Customer]; !ok {
				return nil
			}
		}
		tt := *t
		tt.Time = tt.Time.In(loc) // baskets without order IDs are analysis-calendar days
		if limit != math.MaxUint64 && basketHash(&tt) > limit {
			return nil
		}
		b.Add(&tt)
		return nil
	})
	if err != nil {
		return Output{}, fmt.Errorf("second pass for baskets: %w", err)
	}
	sec.LinesWithoutItem = b.Skipped
	if sec.Result, err = basket.Mine(b.Baskets(), p.config()); err != nil {
		return Output{}, err
	}
	return Output{Section: sec}, nil
}

// basketHash hashes a line's basket key, so all lines of a basket are kept or
// dropped together, the same way on every run.
func basketHash(t *txn.Transaction) uint64 {
	h := fnv.New64a()
	h.Write([]byte(t.Customer))
	h.Write([]byte{0})
	if t.Order != "" {
		h.Write([]byte(t.Order))
	} else {
		h.Write([]byte(t.Time.Format(time.DateOnly)))
	}
	return h.Sum64()
}
