package engine

import "github.com/crmlens/crmlens/analytics/customer"

// excludeCustomers removes from set the customers drop names (suppressed
// after an erasure request), with their transaction lines and, where their
// purchase days are known, their daily revenue, so no per-customer output,
// segment count or customer figure includes them. It returns how many were
// removed.
func excludeCustomers(set *customer.Set, drop func(id string) bool) int {
	if drop == nil {
		return 0
	}
	daily := map[customer.Day]int{}
	for i, d := range set.Daily {
		daily[d.Day] = i
	}
	kept := set.Customers[:0]
	n := 0
	for _, c := range set.Customers {
		if !drop(c.ID) {
			kept = append(kept, c)
			continue
		}
		n++
		set.Transactions -= c.Lines
		for _, h := range c.History {
			if i, ok := daily[h.Day]; ok {
				set.Daily[i].Revenue -= h.Amount
				set.Daily[i].Orders -= int64(h.Orders)
			}
		}
	}
	clear(set.Customers[len(kept):])
	set.Customers = kept
	return n
}
