package basket

import "github.com/crmlens/crmlens/analytics/txn"

// Builder groups transaction lines into baskets: one basket per (customer,
// order), or per (customer, day) when the source has no order IDs. Memory
// grows with the lines added, so feed it only the customers of interest (for
// example the VIPs) or a sample.
type Builder struct {
	// Item picks the item ID of a line; nil means the Product column, falling
	// back to Category when Product is empty.
	Item    func(*txn.Transaction) string
	index   map[basketKey]int
	baskets [][]string
	// Skipped counts lines without an item ID.
	Skipped int64
}

type basketKey struct{ customer, order string }

// Add puts t's item into its basket.
func (b *Builder) Add(t *txn.Transaction) {
	item := ""
	if b.Item != nil {
		item = b.Item(t)
	} else if item = t.Product; item == "" {
		item = t.Category
	}
	if item == "" {
		b.Skipped++
		return
	}
	if b.index == nil {
		b.index = map[basketKey]int{}
	}
	k := basketKey{t.Customer, t.Order}
	if k.order == "" {
		k.order = "day:" + t.Time.Format("2006-01-02")
	}
	i, ok := b.index[k]
	if !ok {
		i = len(b.baskets)
		b.index[k] = i
		b.baskets = append(b.baskets, nil)
	}
	b.baskets[i] = append(b.baskets[i], item)
}

// Baskets returns the baskets built so far, in first-seen order.
func (b *Builder) Baskets() [][]string { return b.baskets }
