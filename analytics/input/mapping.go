package input

import (
	"fmt"
	"strconv"
	"strings"
)

// Column names one input column, either by header name or by 1-based position.
// The zero Column means "not mapped".
type Column struct {
	Name  string // header name, matched case-insensitively after trimming spaces
	Index int    // 1-based position; used when Name is empty
}

// IsSet reports whether the column is mapped.
func (c Column) IsSet() bool { return c.Name != "" || c.Index > 0 }

// String renders the column the way ParseColumn reads it.
func (c Column) String() string {
	if c.Name != "" {
		return c.Name
	}
	if c.Index > 0 {
		return strconv.Itoa(c.Index)
	}
	return ""
}

// ParseColumn reads a column reference: a positive integer is a 1-based index,
// anything else a header name.
func ParseColumn(s string) Column {
	s = strings.TrimSpace(s)
	if n, err := strconv.Atoi(s); err == nil && n > 0 {
		return Column{Index: n}
	}
	return Column{Name: s}
}

// Mapping says which input column holds each transaction field. Customer and
// Time are required, and either Amount (the line amount) or Price with
// Quantity (the line amount is quantity × unit price, computed exactly); the
// others are optional.
type Mapping struct {
	Customer, Order, Time, Amount        Column
	Channel, Category, Product, Quantity Column
	Gift                                 Column
	Price                                Column // unit price; needs Quantity, excludes Amount
}

// mappingKeys are the field names accepted by ParseMapping, in Mapping order.
var mappingKeys = []string{"customer", "order", "time", "amount", "channel", "category", "product", "quantity", "gift", "price"}

func (m *Mapping) fields() []*Column {
	return []*Column{&m.Customer, &m.Order, &m.Time, &m.Amount, &m.Channel, &m.Category, &m.Product, &m.Quantity, &m.Gift, &m.Price}
}

// ParseMapping reads "customer=COL,order=COL,time=COL,amount=COL,..." where COL
// is a header name or a 1-based index. Keys are customer, order, time, amount,
// channel, category, product, quantity, gift and price (unit price: the line
// amount is quantity × price; it needs quantity and excludes amount).
func ParseMapping(s string) (Mapping, error) {
	var m Mapping
	if strings.TrimSpace(s) == "" {
		return m, nil
	}
	fs := m.fields()
	seen := map[string]bool{}
	for _, part := range strings.Split(s, ",") {
		k, v, ok := strings.Cut(part, "=")
		k = strings.ToLower(strings.TrimSpace(k))
		if !ok || strings.TrimSpace(v) == "" {
			return Mapping{}, fmt.Errorf("mapping %q: want key=column", strings.TrimSpace(part))
		}
		i := indexOf(mappingKeys, k)
		if i < 0 {
			return Mapping{}, fmt.Errorf("mapping key %q: want one of %s", k, strings.Join(mappingKeys, ", "))
		}
		if seen[k] {
			return Mapping{}, fmt.Errorf("mapping key %q given twice", k)
		}
		seen[k] = true
		*fs[i] = ParseColumn(v)
	}
	if err := m.check(); err != nil {
		return Mapping{}, err
	}
	return m, nil
}

// check refuses a price mapped with amount, or without quantity.
func (m Mapping) check() error {
	if m.Price.IsSet() && m.Amount.IsSet() {
		return fmt.Errorf("mapping: amount and price are both mapped: map amount (the line amount) or price with quantity (amount = quantity × price), not both")
	}
	if m.Price.IsSet() && !m.Quantity.IsSet() {
		return fmt.Errorf("mapping: price needs quantity (amount = quantity × price): add quantity=COL")
	}
	return nil
}

// String renders the mapping in ParseMapping's syntax.
func (m Mapping) String() string {
	var parts []string
	for i, c := range m.fields() {
		if c.IsSet() {
			parts = append(parts, mappingKeys[i]+"="+c.String())
		}
	}
	return strings.Join(parts, ",")
}

// defaultNames are the header names tried, in order, for fields the mapping leaves
// unset when the source has a header. They match the sample generator's columns
// and common export spellings.
var defaultNames = [][]string{
	{"customer_id", "customer", "customerid", "client_id"},
	{"order_id", "order", "orderid", "invoice", "invoiceno"},
	{"timestamp", "time", "date", "order_date", "invoicedate"},
	{"amount", "revenue", "total", "line_amount", "line_total"},
	{"channel"},
	{"category"},
	{"product", "product_id", "sku", "stockcode"},
	{"quantity", "qty"},
	{"gift"},
	{"unitprice", "unit_price", "price"},
}

// fieldIndex is the resolved, 0-based column position of each field (-1 = unmapped).
type fieldIndex [10]int

const (
	fCustomer = iota
	fOrder
	fTime
	fAmount
	fChannel
	fCategory
	fProduct
	fQuantity
	fGift
	fPrice
)

// resolve turns the mapping into 0-based positions using the header (nil when
// the source has none). Unset fields fall back to defaultNames when a header
// exists. A unit-price column (mapped, or found by name) is the price of
// quantity × price when a quantity column exists and no amount is mapped or
// found; without quantity a column found by a price name is the line amount
// (one item per line), never with one: UnitPrice next to Quantity is not
// the line amount.
func (m Mapping) resolve(header []string) (fieldIndex, error) {
	var idx fieldIndex
	if err := m.check(); err != nil {
		return idx, err
	}
	norm := make([]string, len(header))
	for i, h := range header {
		norm[i] = strings.ToLower(strings.TrimSpace(strings.TrimPrefix(h, "\ufeff")))
	}
	for i, c := range m.fields() {
		idx[i] = -1
		switch {
		case c.Name != "":
			if header == nil {
				return idx, fmt.Errorf("column %s=%q: the source has no header, map it by 1-based index", mappingKeys[i], c.Name)
			}
			j := indexOf(norm, strings.ToLower(strings.TrimSpace(c.Name)))
			if j < 0 {
				return idx, fmt.Errorf("column %s=%q: no such header column", mappingKeys[i], c.Name)
			}
			idx[i] = j
		case c.Index > 0:
			if header != nil && c.Index > len(header) {
				return idx, fmt.Errorf("column %s=%d: the header has only %d columns", mappingKeys[i], c.Index, len(header))
			}
			idx[i] = c.Index - 1
		case header != nil:
			for _, name := range defaultNames[i] {
				if j := indexOf(norm, name); j >= 0 {
					idx[i] = j
					break
				}
			}
		}
	}
	switch {
	case idx[fAmount] >= 0:
		idx[fPrice] = -1 // a line amount wins over a price found by name
	case idx[fPrice] >= 0 && idx[fQuantity] < 0:
		if m.Price.IsSet() {
			return idx, fmt.Errorf("column price=%s needs quantity (amount = quantity × price): map quantity=COL", m.Price)
		}
		// A "price" column without quantities: one item per line.
		idx[fAmount], idx[fPrice] = idx[fPrice], -1
	}
	for _, f := range []int{fCustomer, fTime, fAmount} {
		if f == fAmount && idx[fPrice] >= 0 {
			continue // amount = quantity × price
		}
		if idx[f] < 0 {
			if f == fAmount {
				return idx, fmt.Errorf("column amount is not mapped (use amount=COL for the line amount, or quantity=COL,price=COL for amount = quantity × unit price)")
			}
			return idx, fmt.Errorf("column %s is not mapped (use %s=NAME or %s=INDEX)", mappingKeys[f], mappingKeys[f], mappingKeys[f])
		}
	}
	return idx, nil
}

func indexOf(list []string, s string) int {
	for i, v := range list {
		if v == s {
			return i
		}
	}
	return -1
}
