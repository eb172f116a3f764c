package engine

import (
	"fmt"
	"testing"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

// TestExcludeCustomers: suppressed customers leave the set with their
// lines and their days' revenue and orders; the others are untouched.
func TestExcludeCustomers(t *testing.T) {
	set := &customer.Set{
		Customers: []customer.Customer{
			{ID: "a", Lines: 3, History: []customer.DayAmount{{Day: 10, Amount: 500, Orders: 1}, {Day: 11, Amount: 200, Orders: 2}}},
			{ID: "b", Lines: 2, History: []customer.DayAmount{{Day: 10, Amount: 300, Orders: 1}}},
			{ID: "c", Lines: 1, History: []customer.DayAmount{{Day: 11, Amount: 100, Orders: 1}}},
		},
		Transactions: 6,
		Daily:        []customer.DailyRevenue{{Day: 10, Revenue: 800, Orders: 2}, {Day: 11, Revenue: 300, Orders: 3}},
	}
	if n := excludeCustomers(set, func(id string) bool { return id == "a" || id == "zz" }); n != 1 {
		t.Errorf("removed %d, want 1", n)
	}
	var ids []string
	for _, c := range set.Customers {
		ids = append(ids, c.ID)
	}
	if fmt.Sprint(ids) != "[b c]" || set.Transactions != 3 {
		t.Errorf("customers %v, transactions %d; want [b c], 3", ids, set.Transactions)
	}
	want := []customer.DailyRevenue{{Day: 10, Revenue: txn.Money(300), Orders: 1}, {Day: 11, Revenue: txn.Money(100), Orders: 1}}
	if fmt.Sprint(set.Daily) != fmt.Sprint(want) {
		t.Errorf("daily = %v, want %v", set.Daily, want)
	}
	if n := excludeCustomers(set, nil); n != 0 || len(set.Customers) != 2 {
		t.Error("a nil filter removed customers")
	}
}
