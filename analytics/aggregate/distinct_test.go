package aggregate

import (
	"context"
	"os"
	"path/filepath"
	"reflect"
	"strconv"
	"testing"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/txn"
)

// TestDistinctOrdersScattered: every order's lines are spread over the
// whole file (it is written product by product), so with several workers
// each order has lines in every byte range. Frequency must still be the
// number of distinct orders, the daily and History order counts must count
// each order once, on its day, and the result must not depend on Workers.
func TestDistinctOrdersScattered(t *testing.T) {
	if testing.Short() {
		t.Skip("writes a 13 MB file")
	}
	const customers, orders, products = 10000, 3, 11
	b := []byte("customer_id,order_id,timestamp,amount,product\n")
	for p := range products {
		for c := range customers {
			for k := range orders {
				b = append(b, "cust"...)
				b = strconv.AppendInt(b, int64(c), 10)
				b = append(b, ",ord"...)
				b = strconv.AppendInt(b, int64(c*orders+k), 10)
				b = append(b, ",2024-03-0"...)
				b = strconv.AppendInt(b, int64(1+k), 10)
				b = append(b, "T10:00:00Z,1.25,p"...)
				b = strconv.AppendInt(b, int64(p), 10)
				b = append(b, '\n')
			}
		}
	}
	path := filepath.Join(t.TempDir(), "scattered.csv")
	if err := os.WriteFile(path, b, 0o600); err != nil {
		t.Fatal(err)
	}
	src := []input.Source{input.FileSource(path, input.Options{}, "")}
	var sets []*customer.Set
	for _, w := range []int{1, 3} {
		set, err := Build(context.Background(), src, Options{History: true, Workers: w})
		if err != nil {
			t.Fatal(err)
		}
		sets = append(sets, set)
	}
	if !reflect.DeepEqual(sets[0], sets[1]) {
		t.Fatal("workers=1 and workers=3 differ")
	}
	set := sets[0]
	if len(set.Customers) != customers || !set.OrderIDs {
		t.Fatalf("%d customers (order IDs %v), want %d", len(set.Customers), set.OrderIDs, customers)
	}
	for _, c := range set.Customers {
		if c.Orders != orders || c.Lines != orders*products || c.Revenue != txn.Money(orders*products*12500) {
			t.Fatalf("customer %s: %d orders %d lines revenue %s, want %d, %d, %s", c.ID, c.Orders, c.Lines, c.Revenue,
				orders, orders*products, txn.Money(orders*products*12500))
		}
		for _, h := range c.History {
			if h.Orders != 1 {
				t.Fatalf("customer %s: history %v, want one order a day", c.ID, c.History)
			}
		}
	}
	for _, d := range set.Daily {
		if d.Orders != customers {
			t.Fatalf("daily %v: want %d orders a day", set.Daily, customers)
		}
	}
}

// TestRefundsNetHistory: kept refunds, cancellations and returns net the
// purchase day they follow (the first one when they come before any), so
// History sums to the customer's revenue; they count no order and add no
// purchase day.
func TestRefundsNetHistory(t *testing.T) {
	data := "customer,order,time,amount,quantity\n" +
		"a,r0,2024-01-01,-1.00,1\n" + // refund before any purchase: nets the first day
		"a,o1,2024-01-02,10.00,1\n" +
		"a,C9,2024-01-02,4.00,-1\n" + // cancellation with a positive amount: −4.00
		"a,o2,2024-01-05,20.00,2\n" +
		"a,x1,2024-01-07,3.00,-1\n" + // return, positive amount: −3.00 on the day before (01-05)
		"a,o1,2024-01-02,5.00,1\n" // o1 again: the same order
	rules := clean.Rules{Refunds: clean.RefundNet, CancellationPrefix: "C"}
	set, err := Build(context.Background(), []input.Source{input.BytesSource("r", []byte(data), input.Options{}, "")}, Options{Rules: rules, History: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	c := set.Customers[0]
	want := []customer.DayAmount{{Day: day(t, "2024-01-02"), Amount: 100000, Orders: 1}, {Day: day(t, "2024-01-05"), Amount: 170000, Orders: 1}}
	if c.Orders != 2 || c.Revenue != 270000 || !reflect.DeepEqual(c.History, want) {
		t.Errorf("orders %d revenue %s history %v; want 2, 27.0000, %v", c.Orders, c.Revenue, c.History, want)
	}
	if set.Netted[txn.RejectRefund] != 1 || set.Netted[txn.RejectCancellation] != 1 || set.Netted[txn.RejectReturn] != 1 {
		t.Errorf("netted %v, want one of each", set.Netted)
	}
}

func day(t *testing.T, s string) customer.Day {
	t.Helper()
	tm, err := input.TimeParser{}.Parse([]byte(s))
	if err != nil {
		t.Fatal(err)
	}
	return customer.DayOf(tm)
}
