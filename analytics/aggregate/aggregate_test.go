package aggregate

import (
	"context"
	"fmt"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/txn"
)

const shopA = `customer,order,time,amount
c1,o1,2024-01-01T10:00:00Z,10
c2,o2,2024-01-01T11:00:00Z,5
c1,o1,2024-01-01T10:05:00Z,2.5
c1,o3,2024-01-03,7
c1,o4,2024-01-03,1
c3,o5,2024-01-02,-4
c3,o6,2024-01-02,0
c9,o9,yesterday,1
`

const shopB = `customer,order,time,amount
c2,o7,2024-02-01,20
c4,,2024-02-02,3
c5,o8,2024-01-05,-3
`

func sources() []input.Source {
	return []input.Source{
		input.BytesSource("a.csv", []byte(shopA), input.Options{}, "web"),
		input.BytesSource("b.csv", []byte(shopB), input.Options{}, "store"),
	}
}

func d(s string) customer.Day {
	t, _ := time.Parse("2006-01-02", s)
	return customer.DayOf(t)
}

func ts(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		t, _ = time.Parse("2006-01-02", s)
	}
	return t
}

// TestBuildHandComputed checks every Set field against values worked out by
// hand from shopA and shopB.
func TestBuildHandComputed(t *testing.T) {
	set, err := Build(context.Background(), sources(), Options{History: true})
	if err != nil {
		t.Fatal(err)
	}
	web, store := uint32(2), uint32(1) // channels sort to [store web]
	want := []customer.Customer{
		{ID: "c1", First: ts("2024-01-01T10:00:00Z"), Last: ts("2024-01-03"), Orders: 3, Lines: 4, Revenue: 205000, Channels: web,
			History: []customer.DayAmount{{Day: d("2024-01-01"), Amount: 125000, Orders: 1}, {Day: d("2024-01-03"), Amount: 80000, Orders: 2}}},
		{ID: "c2", First: ts("2024-01-01T11:00:00Z"), Last: ts("2024-02-01"), Orders: 2, Lines: 2, Revenue: 250000, Channels: web | store,
			History: []customer.DayAmount{{Day: d("2024-01-01"), Amount: 50000, Orders: 1}, {Day: d("2024-02-01"), Amount: 200000, Orders: 1}}},
		{ID: "c3", First: ts("2024-01-02"), Last: ts("2024-01-02"), Orders: 1, Lines: 1, Revenue: 0, Channels: web,
			History: []customer.DayAmount{{Day: d("2024-01-02"), Amount: 0, Orders: 1}}},
		{ID: "c4", First: ts("2024-02-02"), Last: ts("2024-02-02"), Orders: 1, Lines: 1, Revenue: 30000, Channels: store,
			History: []customer.DayAmount{{Day: d("2024-02-02"), Amount: 30000, Orders: 1}}},
	}
	if !reflect.DeepEqual(set.Customers, want) {
		t.Errorf("customers\n got %+v\nwant %+v", set.Customers, want)
	}
	if !reflect.DeepEqual(set.Channels, []string{"store", "web"}) {
		t.Errorf("channels %v", set.Channels)
	}
	if set.Rows != 11 || set.Transactions != 8 {
		t.Errorf("rows %d transactions %d, want 11 and 8", set.Rows, set.Transactions)
	}
	wantRej := map[txn.RejectReason]int64{txn.RejectRefund: 2, txn.RejectMalformed: 1}
	if !reflect.DeepEqual(set.Rejected, wantRej) {
		t.Errorf("rejected %v, want %v", set.Rejected, wantRej)
	}
	wantSamples := []txn.RejectSample{
		{Source: "a.csv", Line: 9, Reason: txn.RejectMalformed, Detail: "column time: unrecognised timestamp layout"},
		{Source: "a.csv", Line: 7, Reason: txn.RejectRefund, Detail: "negative amount"},
		{Source: "b.csv", Line: 4, Reason: txn.RejectRefund, Detail: "negative amount"},
	}
	if !reflect.DeepEqual(set.Samples, wantSamples) {
		t.Errorf("samples\n got %+v\nwant %+v", set.Samples, wantSamples)
	}
	wantDaily := []customer.DailyRevenue{
		{Day: d("2024-01-01"), Revenue: 175000, Orders: 2},
		{Day: d("2024-01-02"), Revenue: 0, Orders: 1},
		{Day: d("2024-01-03"), Revenue: 80000, Orders: 2},
		{Day: d("2024-02-01"), Revenue: 200000, Orders: 1},
		{Day: d("2024-02-02"), Revenue: 30000, Orders: 1},
	}
	if !reflect.DeepEqual(set.Daily, wantDaily) {
		t.Errorf("daily\n got %+v\nwant %+v", set.Daily, wantDaily)
	}
	if !set.AsOf.Equal(ts("2024-02-02")) {
		t.Errorf("asOf %v, want the last purchase", set.AsOf)
	}
}

func TestBuildRefundsNetAndRules(t *testing.T) {
	asOf := ts("2024-01-31")
	set, err := Build(context.Background(), sources(), Options{Rules: clean.Rules{Refunds: clean.RefundNet, DropGifts: true, AsOf: asOf}})
	if err != nil {
		t.Fatal(err)
	}
	// c3's zero-price line is now a gift and its refund nets: c3 has no purchase
	// left and disappears; c5 only refunded. February rows are out of window.
	ids := []string{}
	for _, c := range set.Customers {
		ids = append(ids, fmt.Sprintf("%s:%d:%s", c.ID, c.Orders, c.Revenue))
	}
	if got := strings.Join(ids, " "); got != "c1:3:20.5000 c2:1:5.0000" {
		t.Errorf("customers %s", got)
	}
	want := map[txn.RejectReason]int64{txn.RejectGift: 1, txn.RejectOutOfWindow: 2, txn.RejectMalformed: 1}
	if !reflect.DeepEqual(set.Rejected, want) {
		t.Errorf("rejected %v, want %v", set.Rejected, want)
	}
	if set.Transactions != 7 || !set.AsOf.Equal(asOf) {
		t.Errorf("transactions %d asOf %v", set.Transactions, set.AsOf)
	}
	var rev txn.Money
	for _, dr := range set.Daily {
		rev += dr.Revenue
	}
	if rev != 205000+50000-40000-30000 {
		t.Errorf("daily revenue total %s", rev)
	}
}

func TestBuildTimeZone(t *testing.T) {
	tokyo, err := time.LoadLocation("Asia/Tokyo")
	if err != nil {
		t.Fatal(err) // Go falls back to its own zoneinfo.zip: a missing zone is a real failure
	}
	src := input.BytesSource("z", []byte("customer,time,amount\nc,2024-01-01T20:00:00Z,1\nc,2024-01-02T01:00:00Z,1\n"), input.Options{}, "")
	for _, tc := range []struct {
		loc  *time.Location
		days int
	}{{nil, 2}, {tokyo, 1}} { // both are Jan 2 in Tokyo
		set, err := Build(context.Background(), []input.Source{src}, Options{History: true, Location: tc.loc})
		if err != nil {
			t.Fatal(err)
		}
		if h := set.Customers[0].History; len(h) != tc.days {
			t.Errorf("loc %v: history %v, want %d days", tc.loc, h, tc.days)
		}
		if tc.loc != nil && set.Customers[0].First.Location() != tc.loc {
			t.Errorf("first in %v", set.Customers[0].First.Location())
		}
	}
}

func TestBuildEmptyAndAllBad(t *testing.T) {
	for _, data := range []string{"customer,time,amount\n", "customer,time,amount\nc,x,1\nd,2024-01-01,zz\n,2024-01-01,1\n"} {
		set, err := Build(context.Background(), []input.Source{input.BytesSource("e", []byte(data), input.Options{}, "")}, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if len(set.Customers) != 0 || set.Transactions != 0 || set.Rows != int64(strings.Count(data, "\n")-1) || set.Rejected == nil {
			t.Fatalf("%+v", set)
		}
		var n int64
		for _, c := range set.Rejected {
			n += c
		}
		if n != set.Rows {
			t.Fatalf("%d rejected of %d rows", n, set.Rows)
		}
	}
}

func TestBuildErrors(t *testing.T) {
	_, err := Build(context.Background(), []input.Source{input.FileSource("/nonexistent.csv", input.Options{}, "")}, Options{})
	if err == nil || !strings.Contains(err.Error(), "/nonexistent.csv") {
		t.Fatalf("err = %v", err)
	}
	_, err = Build(context.Background(), sources(), Options{Rules: clean.Rules{Refunds: "maybe"}})
	if err == nil {
		t.Fatal("bad rules accepted")
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := Build(ctx, []input.Source{cdnowSource(t)}, Options{}); err == nil {
		t.Fatal("cancelled context ignored")
	}
}

func TestScan(t *testing.T) {
	var got []string
	err := Scan(context.Background(), sources(), clean.Rules{}, func(tx *txn.Transaction) error {
		got = append(got, tx.Customer+"/"+tx.Order+"/"+tx.Channel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	want := "c1/o1/web c2/o2/web c1/o1/web c1/o3/web c1/o4/web c3/o6/web c2/o7/store c4//store"
	if strings.Join(got, " ") != want {
		t.Fatalf("got %s", strings.Join(got, " "))
	}
	stop := fmt.Errorf("stop")
	if err := Scan(context.Background(), sources(), clean.Rules{}, func(*txn.Transaction) error { return stop }); err == nil {
		t.Fatal("callback error swallowed")
	}
}
