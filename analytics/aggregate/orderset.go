package aggregate

import (
	"hash/maphash"

	"github.com/crmlens/crmlens/analytics/customer"
)

// orderSeed is fixed per process so all workers key orders alike.
var orderSeed = maphash.MakeSeed()

// orderKey identifies one order of one customer: the customer ID's hash
// (idTable's, one seed for every worker) mixed with the order ID's hash. 0
// is reserved for "no order ID" (every such line is an order of its own).
// Two distinct orders of one customer collide with odds of about n²/2⁶⁵ for
// n orders: nil in practice.
func orderKey(custHash uint64, order []byte) uint64 {
	k := custHash ^ (maphash.Bytes(orderSeed, order) * 0x9e3779b97f4a7c15)
	if k == 0 {
		k = 1
	}
	return k
}

// orderSlot is one counted order: its key, its customer (an index of the
// partial or merger that owns the set) and the day it was counted on.
type orderSlot struct {
	key uint64
	ci  int32
	day customer.Day
}

// orderSet is the set of distinct (customer, order) keys seen so far: what
// makes frequency count distinct orders however an order's lines are spread
// through the input. It is pointer-free open addressing (16 bytes a slot,
// load ≤ 3/4): memory grows with customers' orders, never with lines.
type orderSet struct {
	slots []orderSlot
	n     int
}

// touch loads the slot a key starts probing at (see partial.flush).
func (s *orderSet) touch(key uint64) uint32 {
	if len(s.slots) == 0 {
		return 0
	}
	return uint32(s.slots[key&uint64(len(s.slots)-1)].ci)
}

// add inserts key for customer ci, counted on day; it reports whether the
// key is new.
func (s *orderSet) add(key uint64, ci int32, day customer.Day) bool {
	if (s.n+1)*4 > len(s.slots)*3 {
		s.grow()
	}
	mask := uint64(len(s.slots) - 1)
	for i := key & mask; ; i = (i + 1) & mask {
		sl := &s.slots[i]
		if sl.key == key {
			return false
		}
		if sl.key == 0 {
			*sl = orderSlot{key: key, ci: ci, day: day}
			s.n++
			return true
		}
	}
}

// growFast is the size up to which the table quadruples instead of
// doubling: fewer rehashes while it is small (they were half the cost of
// counting distinct orders), at most 16 MB of slack.
const growFast = 1 << 20

// has reports whether key is in the set.
func (s *orderSet) has(key uint64) bool {
	if len(s.slots) == 0 {
		return false
	}
	mask := uint64(len(s.slots) - 1)
	for i := key & mask; ; i = (i + 1) & mask {
		switch s.slots[i].key {
		case key:
			return true
		case 0:
			return false
		}
	}
}

func (s *orderSet) grow() {
	old := s.slots
	n := max(4096, 2*len(old))
	if len(old) < growFast {
		n = max(4096, 4*len(old))
	}
	s.slots = make([]orderSlot, n)
	mask := uint64(len(s.slots) - 1)
	for _, sl := range old {
		if sl.key == 0 {
			continue
		}
		i := sl.key & mask
		for s.slots[i].key != 0 {
			i = (i + 1) & mask
		}
		s.slots[i] = sl
	}
}
