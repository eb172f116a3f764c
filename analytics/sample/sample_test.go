package sample

import (
	"bytes"
	"context"
	"crypto/sha256"
	"reflect"
	"slices"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/aggregate"
	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/txn"
)

func gen(t *testing.T, cfg Config) ([]byte, Stats) {
	t.Helper()
	var b bytes.Buffer
	st, err := Generate(cfg, &b)
	if err != nil {
		t.Fatal(err)
	}
	return b.Bytes(), st
}

func TestDeterministic(t *testing.T) {
	cfg := DefaultConfig(2000)
	a, _ := gen(t, cfg)
	b, _ := gen(t, cfg)
	if sha256.Sum256(a) != sha256.Sum256(b) {
		t.Fatal("same seed, different bytes")
	}
	cfg.Seed = 2
	c, _ := gen(t, cfg)
	if bytes.Equal(a, c) {
		t.Fatal("different seeds, same bytes")
	}
	cfg.TimeLayout = "datetime"
	d, _ := gen(t, cfg)
	if !bytes.Contains(d, []byte(" ")) || bytes.Contains(d[len(Header):], []byte("Z,")) {
		t.Fatal("datetime layout not used")
	}
}

// TestReadBack reads the generated file with the engine and checks that every
// planted problem is refused under the right reason, and nothing else is.
func TestReadBack(t *testing.T) {
	data, st := gen(t, DefaultConfig(5000))
	set, err := aggregate.Build(context.Background(), []input.Source{input.BytesSource("shop.csv", data, Options(), "")},
		aggregate.Options{Rules: clean.Rules{DedupeOrders: true}})
	if err != nil {
		t.Fatal(err)
	}
	r := set.Rejected
	if set.Rows != st.Rows {
		t.Errorf("rows %d, generator wrote %d", set.Rows, st.Rows)
	}
	if got := r[txn.RejectMalformed] + r[txn.RejectMissingCustomer]; got != st.Malformed || st.Malformed == 0 {
		t.Errorf("malformed+missingCustomer %d, generator planted %d", got, st.Malformed)
	}
	if r[txn.RejectMalformed] == 0 || r[txn.RejectMissingCustomer] == 0 {
		t.Errorf("want both malformed and missing-customer rows: %v", r)
	}
	if r[txn.RejectRefund] != st.Refunds || r[txn.RejectDuplicate] != st.Duplicates || st.Duplicates == 0 {
		t.Errorf("refunds %d/%d duplicates %d/%d", r[txn.RejectRefund], st.Refunds, r[txn.RejectDuplicate], st.Duplicates)
	}
	if set.Transactions != st.Lines || int64(len(set.Customers)) != st.Customers || st.Customers != 5000 {
		t.Errorf("transactions %d/%d customers %d/%d", set.Transactions, st.Lines, len(set.Customers), st.Customers)
	}
	var orders int64
	for _, c := range set.Customers {
		orders += c.Orders
	}
	if orders != st.Orders {
		t.Errorf("orders %d, generator wrote %d", orders, st.Orders)
	}
	if len(set.Channels) != 3 {
		t.Errorf("channels %v", set.Channels)
	}
	// With gifts dropped, every gift line (and duplicated gift line) is a gift reject.
	set2, err := aggregate.Build(context.Background(), []input.Source{input.BytesSource("shop.csv", data, Options(), "")},
		aggregate.Options{Rules: clean.Rules{DropGifts: true}})
	if err != nil {
		t.Fatal(err)
	}
	if g := set2.Rejected[txn.RejectGift]; g < st.Gifts || st.Gifts == 0 {
		t.Errorf("gift rejects %d, generator wrote %d gift lines", g, st.Gifts)
	}
}

// TestShopShape checks the behaviours the generator promises, from the data.
func TestShopShape(t *testing.T) {
	cfg := DefaultConfig(20000)
	data, _ := gen(t, cfg)
	set, err := aggregate.Build(context.Background(), []input.Source{input.BytesSource("shop.csv", data, Options(), "")}, aggregate.Options{History: true})
	if err != nil {
		t.Fatal(err)
	}
	if l := float64(set.Transactions) / float64(len(set.Customers)); l < 8 || l > 12 {
		t.Errorf("%.1f lines per customer, configured %g", l, cfg.LinesPerCustomer)
	}
	// Yearly seasonality: December sells more than June; weekly: Saturday more than Monday.
	var month [13]float64
	var weekday [7]float64
	for _, d := range set.Daily {
		tm := d.Day.Time()
		month[tm.Month()] += d.Revenue.Float()
		weekday[tm.Weekday()] += d.Revenue.Float()
	}
	if month[time.December] < 1.3*month[time.June] {
		t.Errorf("December %.0f vs June %.0f: no yearly peak", month[time.December], month[time.June])
	}
	if weekday[time.Saturday] < 1.2*weekday[time.Monday] {
		t.Errorf("Saturday %.0f vs Monday %.0f: no weekend peak", weekday[time.Saturday], weekday[time.Monday])
	}
	// Churn: among customers acquired in the first half of 2024, a clear share
	// never bought in 2025.
	mid := time.Date(2024, 7, 1, 0, 0, 0, 0, time.UTC)
	end := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	early, gone := 0, 0
	for _, c := range set.Customers {
		if c.First.Before(mid) {
			early++
			if c.Last.Before(end) {
				gone++
			}
		}
	}
	if share := float64(gone) / float64(early); share < 0.15 {
		t.Errorf("only %.2f of early customers stopped buying", share)
	}
	// VIPs: the top 3% of customers by revenue bring far more than 3% of it.
	rev := make([]float64, len(set.Customers))
	total := 0.0
	for i, c := range set.Customers {
		rev[i] = c.Revenue.Float()
		total += rev[i]
	}
	top := topShare(rev, 0.03)
	if top/total < 0.15 {
		t.Errorf("top 3%% bring %.2f of revenue", top/total)
	}
	// Bundles: products 1 and 6 of a category (partners) are bought together far
	// more often than products 1 and 7 (not partners).
	together := map[[2]string]int{}
	var order string
	var basket []string
	flush := func() {
		for _, a := range basket {
			for _, b := range basket {
				together[[2]string{a, b}]++
			}
		}
		basket = basket[:0]
	}
	err = aggregate.Scan(context.Background(), []input.Source{input.BytesSource("shop.csv", data, Options(), "")}, clean.Rules{}, func(tx *txn.Transaction) error {
		if tx.Order != order {
			flush()
			order = tx.Order
		}
		basket = append(basket, tx.Product)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	flush()
	if p, np := together[[2]string{"P0001", "P0006"}], together[[2]string{"P0001", "P0007"}]; p < 5*np || p < 20 {
		t.Errorf("bundle pair bought together %d times, non-pair %d", p, np)
	}
}

func topShare(v []float64, share float64) float64 {
	s := append([]float64(nil), v...)
	slices.Sort(s)
	slices.Reverse(s)
	sum := 0.0
	for _, x := range s[:int(float64(len(s))*share)] {
		sum += x
	}
	return sum
}

func TestSourceMatchesGenerate(t *testing.T) {
	cfg := DefaultConfig(500)
	data, _ := gen(t, cfg)
	a, err := aggregate.Build(context.Background(), []input.Source{Source(cfg)}, aggregate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := aggregate.Build(context.Background(), []input.Source{input.BytesSource("x", data, Options(), "")}, aggregate.Options{})
	if err != nil {
		t.Fatal(err)
	}
	if len(a.Customers) != len(b.Customers) || a.Rows != b.Rows || !reflect.DeepEqual(a.Customers, b.Customers) {
		t.Fatal("Source and Generate disagree")
	}
	bad := cfg
	bad.Customers = 0
	if _, err := aggregate.Build(context.Background(), []input.Source{Source(bad)}, aggregate.Options{}); err == nil {
		t.Fatal("invalid config accepted")
	}
}
