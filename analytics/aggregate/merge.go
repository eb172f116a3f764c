package aggregate

import (
	"cmp"
	"math/bits"
	"runtime"
	"slices"
	"sort"
	"sync"
	"time"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

// merger folds partials, in source and file order, into the final Set.
type merger struct {
	history bool
	ids     *idTable
	accs    []acc // channels hold global channel bits (by first-seen index)
	orders  orderSet
	hist    [][]customer.DayAmount
	refs    [][]customer.DayAmount // kept refunds per customer, when History is kept
	fix     []orderFix

	chanIdx   map[string]int
	chanNames []string

	daily map[customer.Day]int32
	days  []customer.DailyRevenue

	tally    clean.Tally
	netted   map[txn.RejectReason]int64
	orderCol bool
	rows     int64
	accepted int64
}

// orderFix is an order counted again by a later partial (its lines were in
// more than one range): the History entry of that day loses one order at the
// end.
type orderFix struct {
	cust int32
	day  customer.Day
}

func newMerger(history bool) *merger {
	return &merger{history: history, ids: newIDTable(0), chanIdx: map[string]int{}, daily: map[customer.Day]int32{}}
}

func (m *merger) dayIndex(d customer.Day) int32 {
	i, ok := m.daily[d]
	if !ok {
		i = int32(len(m.days))
		m.daily[d] = i
		m.days = append(m.days, customer.DailyRevenue{Day: d})
	}
	return i
}

// add merges one partial; its memory can be freed afterwards. last says no
// partial follows: its orders need only be looked up, not remembered.
func (m *merger) add(p *partial, lineOffset int64, last bool) {
	p.flush()
	// The first partial becomes the merged state as it is: merging into an
	// empty merger would copy every accumulator unchanged, and with two
	// workers that copy is half of the sequential merge.
	adopt := m.ids.Len() == 0 && len(m.chanNames) == 0
	m.rows += p.rows
	m.accepted += p.accepted
	m.tally.Merge(&p.tally, lineOffset)
	m.orderCol = m.orderCol || p.orderCol
	for r, n := range p.netted {
		if m.netted == nil {
			m.netted = map[txn.RejectReason]int64{}
		}
		m.netted[r] += n
	}
	chanMap := make([]int, len(p.chanNames))
	for c, name := range p.chanNames {
		g, ok := m.chanIdx[name]
		if !ok {
			g = len(m.chanNames)
			m.chanIdx[name] = g
			m.chanNames = append(m.chanNames, name)
		}
		chanMap[c] = g
	}
	for _, d := range p.days {
		g := &m.days[m.dayIndex(d.Day)]
		g.Revenue += d.Revenue
		g.Orders += d.Orders
	}
	if adopt {
		m.ids, m.accs, m.hist, m.refs, m.orders = p.ids, p.accs, p.hist, p.refs, p.orders
		if !m.history {
			m.hist = nil
		}
		*p = partial{}
		return
	}
	gOf := make([]int32, len(p.accs))  // partial customer → merged customer
	isNew := make([]bool, len(p.accs)) // the customer first appears in this partial
	var hashes [batchSize]uint64
	for i := range p.accs {
		// Look up a batch at a time, touching its slots first so the cache
		// misses overlap (as in partial.flush).
		if i%batchSize == 0 {
			var sink uint32
			for k := 0; k < batchSize && i+k < len(p.accs); k++ {
				hashes[k] = m.ids.hash(p.ids.ID(int32(i + k)))
				sink += m.ids.touch(hashes[k])
			}
			p.sink += sink
		}
		g, added := m.ids.internHashed(p.ids.ID(int32(i)), hashes[i%batchSize])
		if added {
			m.accs = append(m.accs, acc{})
			if m.history {
				m.hist = append(m.hist, nil)
			}
			if p.refs != nil {
				m.refs = append(m.refs, nil)
			}
		}
		gOf[i], isNew[i] = g, added
		if p.refs != nil && len(p.refs[i]) > 0 {
			m.refs[g] = append(m.refs[g], p.refs[i]...)
		}
		pa, ga := &p.accs[i], &m.accs[g]
		ga.lines += pa.lines
		ga.revenue += pa.revenue
		for b := pa.channels; b != 0; b &= b - 1 {
			if c := chanMap[bits.TrailingZeros32(b)]; c < 32 {
				ga.channels |= 1 << c
			}
		}
		if m.history {
			if len(m.hist[g]) == 0 {
				m.hist[g] = p.hist[i] // no copy for customers new to the merge
			} else {
				m.hist[g] = append(m.hist[g], p.hist[i]...)
			}
		}
		if pa.orders == 0 {
			continue
		}
		if ga.orders == 0 {
			ga.first, ga.last = pa.first, pa.last
		} else {
			ga.first = min(ga.first, pa.first)
			ga.last = max(ga.last, pa.last)
		}
		ga.orders += pa.orders
	}
	// An order an earlier range already counted is counted once: it stays on
	// the day the earlier range saw it, as a sequential read would have it.
	// A customer's first order key lives in its accumulator, the others in
	// the set, in the partial as in the merger.
	merge := func(ci int32, key uint64, day customer.Day) {
		g := gOf[ci]
		ga := &m.accs[g]
		switch {
		case ga.firstKey == 0:
			ga.firstKey, ga.firstKeyDay = key, day
			return
		case isNew[ci]: // no earlier partial can hold its orders
			if !last {
				m.orders.add(key, g, day)
			}
			return
		case key == ga.firstKey:
		case last:
			if !m.orders.has(key) {
				return
			}
		case m.orders.add(key, g, day):
			return
		}
		ga.orders--
		m.days[m.dayIndex(day)].Orders--
		if m.history {
			m.fix = append(m.fix, orderFix{g, day})
		}
	}
	for i := range p.accs {
		if pa := &p.accs[i]; pa.firstKey != 0 {
			merge(int32(i), pa.firstKey, pa.firstKeyDay)
		}
	}
	if !last || len(p.orders.slots) < 1<<16 || runtime.GOMAXPROCS(0) < 2 {
		for _, sl := range p.orders.slots {
			if sl.key != 0 {
				merge(sl.ci, sl.key, sl.day)
			}
		}
		*p = partial{} // release the partial's maps early
		return
	}
	// The last part only looks its orders up (every customer already has
	// its first key): two goroutines find the repeats, which are then
	// uncounted in slot order, as above.
	slots := p.orders.slots
	mid := len(slots) / 2
	var dups [2][]orderSlot
	find := func(h int, part []orderSlot) {
		for _, sl := range part {
			if sl.key == 0 || isNew[sl.ci] {
				continue
			}
			if sl.key == m.accs[gOf[sl.ci]].firstKey || m.orders.has(sl.key) {
				dups[h] = append(dups[h], sl)
			}
		}
	}
	var wg sync.WaitGroup
	wg.Go(func() { find(0, slots[:mid]) })
	find(1, slots[mid:])
	wg.Wait()
	for _, d := range dups {
		for _, sl := range d {
			g := gOf[sl.ci]
			m.accs[g].orders--
			m.days[m.dayIndex(sl.day)].Orders--
			if m.history {
				m.fix = append(m.fix, orderFix{g, sl.day})
			}
		}
	}
	*p = partial{} // release the partial's maps early
}

// finish builds the Set. With mergeSameDay a customer's Orders are its
// purchase days; keepHistory says whether History stays in the result.
func (m *merger) finish(asOf time.Time, loc *time.Location, mergeSameDay, keepHistory bool) *customer.Set {
	order := make([]int, len(m.chanNames))
	for i := range order {
		order[i] = i
	}
	sort.Slice(order, func(a, b int) bool { return m.chanNames[order[a]] < m.chanNames[order[b]] })
	bitOf := make([]int, len(m.chanNames)) // first-seen index → sorted position
	channels := make([]string, 0, min(len(order), MaxChannels))
	for pos, i := range order {
		bitOf[i] = pos
		if pos < MaxChannels {
			channels = append(channels, m.chanNames[i])
		}
	}
	if m.history {
		for g := range m.hist {
			m.hist[g] = mergeDays(m.hist[g])
		}
		for _, f := range m.fix {
			h := m.hist[f.cust]
			if k, ok := slices.BinarySearchFunc(h, f.day, func(e customer.DayAmount, d customer.Day) int { return cmp.Compare(e.Day, d) }); ok {
				h[k].Orders--
			}
		}
		for g, rs := range m.refs {
			if len(rs) > 0 && len(m.hist[g]) > 0 {
				customer.NetDays(m.hist[g], rs)
			}
		}
	}
	set := &customer.Set{
		Netted:       m.netted,
		OrderIDs:     m.orderCol,
		Channels:     channels,
		Rows:         m.rows,
		Transactions: m.accepted,
		Rejected:     m.tally.Counts,
		Samples:      m.tally.SortedSamples(),
	}
	if set.Rejected == nil {
		set.Rejected = map[txn.RejectReason]int64{}
	}
	// One string holds every ID; customers' IDs are substrings of it, which
	// saves a million small allocations.
	all := string(m.ids.arena)
	id := func(g int32) string { return all[m.ids.offs[g]:m.ids.offs[g+1]] }
	keys := make([]idKey, 0, len(m.accs))
	for g := range m.accs {
		if m.accs[g].orders > 0 {
			keys = append(keys, idKey{prefix: prefix8(m.ids.ID(int32(g))), g: int32(g)})
		}
	}
	sortByID(keys, id)
	set.Customers = make([]customer.Customer, len(keys))
	build := func(lo, hi int) (latest int64) {
		for i := lo; i < hi; i++ {
			g := keys[i].g
			a := &m.accs[g]
			var ch uint32
			for b := a.channels; b != 0; b &= b - 1 {
				if pos := bitOf[bits.TrailingZeros32(b)]; pos < MaxChannels {
					ch |= 1 << pos
				}
			}
			c := &set.Customers[i]
			*c = customer.Customer{
				ID: id(g), First: inLoc(a.first, loc), Last: inLoc(a.last, loc),
				Orders: a.orders, Lines: a.lines, Revenue: a.revenue, Channels: ch,
			}
			if mergeSameDay {
				c.Orders = int64(len(m.hist[g]))
			}
			if m.history && keepHistory {
				c.History = m.hist[g]
			}
			if i == lo || a.last > latest {
				latest = a.last
			}
		}
		return latest
	}
	// Two halves in parallel: a million customers take a visible moment.
	mid := len(keys) / 2
	var latestLo int64
	var wg sync.WaitGroup
	wg.Go(func() { latestLo = build(0, mid) })
	latest := build(mid, len(keys))
	wg.Wait()
	if mid > 0 {
		latest = max(latest, latestLo)
	}
	slices.SortFunc(m.days, func(a, b customer.DailyRevenue) int { return cmp.Compare(a.Day, b.Day) })
	set.Daily = m.days
	switch {
	case !asOf.IsZero():
		set.AsOf = asOf.In(loc)
	case len(set.Customers) > 0:
		set.AsOf = inLoc(latest, loc)
	}
	return set
}

func inLoc(ns int64, loc *time.Location) time.Time {
	if loc == time.UTC {
		return time.Unix(0, ns).UTC()
	}
	return time.Unix(0, ns).In(loc)
}

// mergeDays sorts a customer's purchase days and merges entries of one day.
func mergeDays(h []customer.DayAmount) []customer.DayAmount {
	return slices.Clip(sortMergeDays(h))
}

// sortMergeDays sorts h by day (stably, so sums add in arrival order) and
// merges entries of one day in place, keeping h's capacity.
func sortMergeDays(h []customer.DayAmount) []customer.DayAmount {
	if !slices.IsSortedFunc(h, func(a, b customer.DayAmount) int { return cmp.Compare(a.Day, b.Day) }) {
		slices.SortStableFunc(h, func(a, b customer.DayAmount) int { return cmp.Compare(a.Day, b.Day) })
	}
	out := h[:0]
	for _, e := range h {
		if n := len(out); n > 0 && out[n-1].Day == e.Day {
			out[n-1].Amount += e.Amount
			out[n-1].Orders += e.Orders
			continue
		}
		out = append(out, e)
	}
	return out
}
