package postgres

import (
	"bytes"
	"context"
	"fmt"
	"reflect"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/aggregate"
	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/sample"
	"github.com/crmlens/crmlens/analytics/txn"
)

// compareSets checks every field aggregate.Build fills, except reject samples
// (SQL rows have no line numbers).
func compareSets(t *testing.T, got, want *customer.Set) {
	t.Helper()
	if got.Rows != want.Rows || got.Transactions != want.Transactions {
		t.Errorf("rows/transactions = %d/%d, want %d/%d", got.Rows, got.Transactions, want.Rows, want.Transactions)
	}
	if !reflect.DeepEqual(got.Rejected, want.Rejected) {
		t.Errorf("rejected = %v, want %v", got.Rejected, want.Rejected)
	}
	if !reflect.DeepEqual(got.Channels, want.Channels) {
		t.Errorf("channels = %v, want %v", got.Channels, want.Channels)
	}
	if !got.AsOf.Equal(want.AsOf) {
		t.Errorf("asOf = %v, want %v", got.AsOf, want.AsOf)
	}
	if !reflect.DeepEqual(got.Daily, want.Daily) {
		t.Errorf("daily differs: %d days vs %d", len(got.Daily), len(want.Daily))
		for i := range min(len(got.Daily), len(want.Daily)) {
			if got.Daily[i] != want.Daily[i] {
				t.Errorf("first difference: %+v, want %+v", got.Daily[i], want.Daily[i])
				break
			}
		}
	}
	if len(got.Customers) != len(want.Customers) {
		t.Fatalf("%d customers, want %d", len(got.Customers), len(want.Customers))
	}
	bad := 0
	for i := range want.Customers {
		g, w := got.Customers[i], want.Customers[i]
		same := g.ID == w.ID && g.First.Equal(w.First) && g.Last.Equal(w.Last) && g.Orders == w.Orders &&
			g.Lines == w.Lines && g.Revenue == w.Revenue && g.Channels == w.Channels &&
			reflect.DeepEqual(g.History, w.History) && g.First.Location().String() == w.First.Location().String()
		if !same {
			t.Errorf("customer %d:\n got %+v\nwant %+v", i, g, w)
			if bad++; bad > 3 {
				t.FailNow()
			}
		}
	}
}

func TestPushdownEqualsFilePath(t *testing.T) {
	s := server(t)
	data := genCSV(1, 400)
	// Second orders on a day the customer already bought (some across
	// midnight UTC, so Berlin days differ), for MergeSameDay.
	var extra bytes.Buffer
	for c := 0; c < 40; c++ {
		fmt.Fprintf(&extra, "C%05d,S%06d,2024-06-%02dT10:00:00Z,12.00,web,cat1,P1,1,false\n", c, 2*c, 1+c%28)
		fmt.Fprintf(&extra, "C%05d,S%06d,2024-06-%02dT22:30:00Z,160.00,web,cat1,P2,1,false\n", c, 2*c+1, 1+c%28)
	}
	data = append(data, extra.Bytes()...)
	loadCSV(t, s, "tx", data)
	berlin, err := time.LoadLocation("Europe/Berlin")
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		rules   clean.Rules
		history bool
		loc     *time.Location
		channel string
		noDaily bool
		merge   bool // MergeSameDay must change some customer's orders
	}{
		{name: "defaults"},
		{name: "plain GROUP BY without daily series", noDaily: true},
		{name: "history without daily series", history: true, noDaily: true, rules: clean.Rules{DedupeOrders: true}},
		{name: "per-order shape, every rule", noDaily: true, loc: berlin, rules: clean.Rules{DropGifts: true, MinAmount: 1 * txn.MoneyScale, DedupeOrders: true,
			Refunds: clean.RefundNet, WindowStart: time.Date(2024, 2, 1, 0, 0, 0, 0, berlin), AsOf: time.Date(2024, 11, 30, 0, 0, 0, 0, berlin)}},
		{name: "per-order shape, refunds netted", noDaily: true, rules: clean.Rules{Refunds: clean.RefundNet}},
		{name: "history", history: true},
		{name: "gifts dropped, minimum, dedupe", rules: clean.Rules{DropGifts: true, MinAmount: 1 * txn.MoneyScale, DedupeOrders: true}, history: true},
		{name: "refunds netted", rules: clean.Rules{Refunds: clean.RefundNet}, history: true},
		{name: "window in Berlin", rules: clean.Rules{WindowStart: time.Date(2024, 3, 1, 0, 0, 0, 0, berlin), AsOf: time.Date(2024, 9, 30, 23, 59, 59, 0, berlin), DedupeOrders: true}, history: true, loc: berlin},
		{name: "channel label fallback", channel: "shop", history: true, rules: clean.Rules{Refunds: clean.RefundNet, DropGifts: true}},
		{name: "maximum", rules: clean.Rules{MaxAmount: 150 * txn.MoneyScale}, history: true},
		{name: "minimum and maximum, refunds netted", rules: clean.Rules{MinAmount: 1 * txn.MoneyScale, MaxAmount: 99*txn.MoneyScale + 9950, Refunds: clean.RefundNet, DropGifts: true, DedupeOrders: true}, history: true},
		{name: "per-order shape, maximum", noDaily: true, rules: clean.Rules{MaxAmount: 120 * txn.MoneyScale, DedupeOrders: true}},
		{name: "same-day merge", rules: clean.Rules{MergeSameDay: true, DedupeOrders: true}, history: true, merge: true},
		{name: "same-day merge in Berlin, daily series only", loc: berlin, rules: clean.Rules{MergeSameDay: true, Refunds: clean.RefundNet}, merge: true},
		{name: "same-day merge, per-order shape, maximum", noDaily: true, rules: clean.Rules{MergeSameDay: true, MaxAmount: 150 * txn.MoneyScale, DropGifts: true}, merge: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			src := input.BytesSource("tx.csv", data, input.Options{}, tt.channel)
			want, err := aggregate.Build(ctx, []input.Source{src}, aggregate.Options{Rules: tt.rules, History: tt.history, Location: tt.loc, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			cfg := connCfg(s)
			cfg.Table, cfg.Location, cfg.Channel = "tx", tt.loc, tt.channel
			got, err := Aggregate(ctx, cfg, AggregateOptions{Rules: tt.rules, History: tt.history, Daily: !tt.noDaily, Channels: !tt.noDaily})
			if err != nil {
				t.Fatal(err)
			}
			wantDaily, wantChannels, wantMasks := want.Daily, want.Channels, make([]uint32, len(want.Customers))
			if tt.noDaily {
				if len(got.Daily) != 0 || len(got.Channels) != 0 {
					t.Errorf("daily series or channels computed although not asked for")
				}
				// The rest must still agree.
				got.Daily, got.Channels = want.Daily, want.Channels
				for i := range want.Customers {
					wantMasks[i], want.Customers[i].Channels = want.Customers[i].Channels, 0
				}
			}
			if len(want.Customers) < 300 || len(want.Rejected) < 2 {
				t.Fatalf("test data too thin: %d customers, rejected %v", len(want.Customers), want.Rejected)
			}
			compareSets(t, got, want)
			if tt.rules.MaxAmount > 0 && want.Rejected[txn.RejectAboveMaximum] == 0 {
				t.Errorf("no row above the maximum: rejected %v", want.Rejected)
			}
			if tt.merge {
				unmerged := tt.rules
				unmerged.MergeSameDay = false
				plain, err := aggregate.Build(ctx, []input.Source{src}, aggregate.Options{Rules: unmerged, History: true, Location: tt.loc, Workers: 1})
				if err != nil {
					t.Fatal(err)
				}
				fewer := 0
				for i, c := range plain.Customers {
					if w := want.Customers[i].Orders; w < c.Orders {
						fewer++
					} else if w > c.Orders {
						t.Fatalf("customer %s: %d purchase days, more than its %d orders", c.ID, w, c.Orders)
					}
					if want.Customers[i].Orders != int64(len(c.History)) {
						t.Fatalf("customer %s: orders %d with MergeSameDay, %d purchase days", c.ID, want.Customers[i].Orders, len(c.History))
					}
				}
				if fewer < 5 {
					t.Errorf("MergeSameDay merged the orders of only %d customers", fewer)
				}
			}

			// The raw-row path (COPY stream through the file reader) agrees too.
			rawSrc, err := Source(ctx, cfg)
			if err != nil {
				t.Fatal(err)
			}
			raw, err := aggregate.Build(ctx, []input.Source{rawSrc}, aggregate.Options{Rules: tt.rules, History: tt.history, Location: tt.loc, Workers: 1})
			if err != nil {
				t.Fatal(err)
			}
			want.Daily, want.Channels = wantDaily, wantChannels
			if tt.noDaily {
				for i := range want.Customers {
					want.Customers[i].Channels = wantMasks[i]
				}
			}
			compareSets(t, raw, want)
		})
	}
}

// A query source with its own column names, mapped explicitly, gives the same
// Set as the table it selects from.
func TestPushdownQuerySourceWithMapping(t *testing.T) {
	s := server(t)
	data := genCSV(2, 150)
	loadCSV(t, s, "tx_q", data)
	ctx := context.Background()
	want, err := aggregate.Build(ctx, []input.Source{input.BytesSource("f", data, input.Options{}, "")}, aggregate.Options{History: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	cfg := connCfg(s)
	cfg.Query = `SELECT customer_id AS kunde, order_id AS beleg, "timestamp" AS zeit, amount AS betrag, channel AS kanal, gift AS geschenk FROM tx_q;`
	m, err := input.ParseMapping("customer=kunde,order=beleg,time=zeit,amount=betrag,channel=kanal,gift=geschenk")
	if err != nil {
		t.Fatal(err)
	}
	cfg.Mapping = m
	got, err := Aggregate(ctx, cfg, AggregateOptions{History: true, Daily: true, Channels: true})
	if err != nil {
		t.Fatal(err)
	}
	compareSets(t, got, want)
}

// Tables with timestamp-without-zone, integer amounts and integer gift flags
// are read as the declared zone, like a file's zone-less timestamps.
func TestPushdownColumnTypes(t *testing.T) {
	s := server(t)
	exec(t, s, `DROP TABLE IF EXISTS typed`)
	exec(t, s, `CREATE TABLE typed (cid bigint, ts timestamp, amt integer, g smallint)`)
	exec(t, s, `INSERT INTO typed VALUES (1, '2024-05-01 23:30:00', 10, 0), (1, '2024-05-02 00:30:00', 5, 0),
		(2, '2024-05-01 12:00:00', 0, 1), (2, '2024-05-03 12:00:00', 7, 0), (3, NULL, 4, 0), (NULL, '2024-05-01 10:00:00', 4, 0)`)
	tokyo, _ := time.LoadLocation("Asia/Tokyo")
	cfg := connCfg(s)
	cfg.Table, cfg.Location = "typed", tokyo
	cfg.Mapping = input.Mapping{Customer: input.Column{Name: "cid"}, Time: input.Column{Name: "ts"}, Amount: input.Column{Name: "amt"}, Gift: input.Column{Name: "g"}}
	got, err := Aggregate(context.Background(), cfg, AggregateOptions{Rules: clean.Rules{DropGifts: true}, History: true})
	if err != nil {
		t.Fatal(err)
	}
	day := func(y, m, d int) customer.Day {
		return customer.DayOf(time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC))
	}
	want := []customer.Customer{
		{ID: "1", First: time.Date(2024, 5, 1, 23, 30, 0, 0, tokyo), Last: time.Date(2024, 5, 2, 0, 30, 0, 0, tokyo), Orders: 2, Lines: 2, Revenue: 15 * txn.MoneyScale,
			History: []customer.DayAmount{{Day: day(2024, 5, 1), Amount: 10 * txn.MoneyScale, Orders: 1}, {Day: day(2024, 5, 2), Amount: 5 * txn.MoneyScale, Orders: 1}}},
		{ID: "2", First: time.Date(2024, 5, 3, 12, 0, 0, 0, tokyo), Last: time.Date(2024, 5, 3, 12, 0, 0, 0, tokyo), Orders: 1, Lines: 1, Revenue: 7 * txn.MoneyScale,
			History: []customer.DayAmount{{Day: day(2024, 5, 3), Amount: 7 * txn.MoneyScale, Orders: 1}}},
	}
	if len(got.Customers) != len(want) {
		t.Fatalf("customers = %+v", got.Customers)
	}
	for i := range want {
		g, w := got.Customers[i], want[i]
		if g.ID != w.ID || !g.First.Equal(w.First) || !g.Last.Equal(w.Last) || g.Orders != w.Orders || g.Lines != w.Lines || g.Revenue != w.Revenue || !reflect.DeepEqual(g.History, w.History) {
			t.Errorf("customer %d = %+v, want %+v", i, g, w)
		}
	}
	wantRej := map[txn.RejectReason]int64{txn.RejectMalformed: 1, txn.RejectMissingCustomer: 1, txn.RejectGift: 1}
	if !reflect.DeepEqual(got.Rejected, wantRej) || got.Rows != 6 || got.Transactions != 3 {
		t.Errorf("rows %d transactions %d rejected %v, want 6, 3, %v", got.Rows, got.Transactions, got.Rejected, wantRej)
	}
	// Streamed transactions: the three accepted lines, in batches of two.
	var batches []int
	var revenue txn.Money
	err = Transactions(context.Background(), cfg, clean.Rules{DropGifts: true}, 2, func(ts []txn.Transaction) error {
		batches = append(batches, len(ts))
		for _, tr := range ts {
			revenue += tr.Amount
		}
		return nil
	})
	if err != nil || !reflect.DeepEqual(batches, []int{2, 1}) || revenue != 22*txn.MoneyScale {
		t.Errorf("Transactions: err %v, batches %v, revenue %s; want 2+1 lines worth 22", err, batches, revenue)
	}
	// The raw-row path reads the zone-less timestamps in the same zone.
	src, err := Source(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	raw, err := aggregate.Build(context.Background(), []input.Source{src}, aggregate.Options{Rules: clean.Rules{DropGifts: true}, History: true, Location: tokyo})
	if err != nil {
		t.Fatal(err)
	}
	got.Daily, got.Channels = raw.Daily, raw.Channels // not asked of the pushdown
	for i := range raw.Customers {
		raw.Customers[i].Channels = 0
	}
	compareSets(t, got, raw)
	_ = fmt.Sprint()
}

// The shop generator's data (gifts, refunds on the purchase's order ID,
// duplicate lines, three channels), loaded into PostgreSQL and read as a
// file, gives the same Set. Malformed rows are turned off: rows with too few
// columns cannot be loaded into a typed table at all.
func TestPushdownEqualsFilePathOnSampleData(t *testing.T) {
	s := server(t)
	cfg := sample.DefaultConfig(1500)
	cfg.MalformedShare = 0
	cfg.DuplicateShare = 0.01
	cfg.RefundShare = 0.02
	var buf bytes.Buffer
	if _, err := sample.Generate(cfg, &buf); err != nil {
		t.Fatal(err)
	}
	data := buf.Bytes()
	loadCSV(t, s, "shop", data)
	for _, rules := range []clean.Rules{
		{},
		{DropGifts: true, DedupeOrders: true, Refunds: clean.RefundNet, MinAmount: 5 * txn.MoneyScale},
		{DropGifts: true, DedupeOrders: true, MaxAmount: 80 * txn.MoneyScale, MergeSameDay: true},
	} {
		ctx := context.Background()
		want, err := aggregate.Build(ctx, []input.Source{input.BytesSource("shop.csv", data, sample.Options(), "")}, aggregate.Options{Rules: rules, History: true})
		if err != nil {
			t.Fatal(err)
		}
		pg := connCfg(s)
		pg.Table = "shop"
		got, err := Aggregate(ctx, pg, AggregateOptions{Rules: rules, History: true, Daily: true, Channels: true})
		if err != nil {
			t.Fatal(err)
		}
		if len(want.Rejected) == 0 || len(want.Channels) != 3 {
			t.Fatalf("sample data too thin: rejected %v channels %v", want.Rejected, want.Channels)
		}
		compareSets(t, got, want)
	}
}

// Amounts are rounded to Money per line, as the file reader does, whatever
// the column type: unconstrained numeric with more than four decimals and
// floating point are rounded before summing; integers and numeric(p, s≤4)
// are exact and summed as they are.
func TestPushdownAmountTypes(t *testing.T) {
	s := server(t)
	tests := []struct {
		typ    string
		values []string
		want   txn.Money
	}{
		{"numeric", []string{"1.00005", "1.00005"}, 20002}, // 1.0001 + 1.0001, not round(2.0001)
		{"numeric(10,2)", []string{"1.25", "2.50"}, 37500},
		{"double precision", []string{"0.5", "0.25"}, 7500},
		{"real", []string{"1.5", "-0.5"}, 15000}, // the refund is dropped
		{"bigint", []string{"3", "4"}, 70000},
		{"numeric(12,4)", []string{"0.0001", "9.9999"}, 100000},
	}
	for i, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			table := fmt.Sprintf("amounts_%d", i)
			exec(t, s, "DROP TABLE IF EXISTS "+table)
			exec(t, s, "CREATE TABLE "+table+" (customer_id text, \"timestamp\" timestamptz, amount "+tt.typ+")")
			for _, v := range tt.values {
				exec(t, s, "INSERT INTO "+table+" VALUES ('c', '2024-01-01T00:00:00Z', $1::"+tt.typ+")", v)
			}
			cfg := connCfg(s)
			cfg.Table = table
			for _, opts := range []AggregateOptions{{}, {History: true, Daily: true}} {
				set, err := Aggregate(context.Background(), cfg, opts)
				if err != nil {
					t.Fatal(err)
				}
				if len(set.Customers) != 1 || set.Customers[0].Revenue != tt.want {
					t.Fatalf("%+v: customers %+v, want revenue %s", opts, set.Customers, tt.want)
				}
			}
		})
	}
}

// The maximum is compared in the unit of each column type's money expression
// (raw numeric and integers as numeric, others as rounded Money units), and
// only rows strictly above it are refused, as clean.Cleaner does.
func TestPushdownMaxAmountTypes(t *testing.T) {
	s := server(t)
	tests := []struct {
		typ      string
		values   []string
		max      txn.Money
		revenue  txn.Money // of the accepted rows
		rejected int64
	}{
		{"numeric", []string{"2.5", "2.50005", "2.50015"}, 25001, 50001, 1}, // rounded per line first: 25000, 25001, 25002
		{"numeric(10,2)", []string{"2.50", "2.51", "3.00"}, 25001, 25000, 2},
		{"double precision", []string{"2.5", "2.75", "3"}, 27500, 52500, 1},
		{"bigint", []string{"2", "3", "4"}, 30000, 50000, 1},
	}
	for i, tt := range tests {
		t.Run(tt.typ, func(t *testing.T) {
			table := fmt.Sprintf("max_amounts_%d", i)
			exec(t, s, "DROP TABLE IF EXISTS "+table)
			exec(t, s, "CREATE TABLE "+table+" (customer_id text, \"timestamp\" timestamptz, amount "+tt.typ+")")
			for _, v := range tt.values {
				exec(t, s, "INSERT INTO "+table+" VALUES ('c', '2024-01-01T00:00:00Z', $1::"+tt.typ+")", v)
			}
			cfg := connCfg(s)
			cfg.Table = table
			rules := clean.Rules{MaxAmount: tt.max}
			for _, opts := range []AggregateOptions{{Rules: rules}, {Rules: rules, History: true, Daily: true}} {
				set, err := Aggregate(context.Background(), cfg, opts)
				if err != nil {
					t.Fatal(err)
				}
				if len(set.Customers) != 1 || set.Customers[0].Revenue != tt.revenue || set.Rejected[txn.RejectAboveMaximum] != tt.rejected {
					t.Fatalf("customers %+v rejected %v, want revenue %s and %d above the maximum", set.Customers, set.Rejected, tt.revenue, tt.rejected)
				}
			}
		})
	}
}
