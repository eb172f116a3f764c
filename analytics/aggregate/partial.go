package aggregate

import (
	"cmp"
	"slices"
	"time"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/txn"
)

// acc is one customer's running aggregate within one partial. It is exactly
// one cache line (64 bytes), because touching it is one of the two memory
// accesses per row that miss the cache (the other is the ID lookup).
type acc struct {
	first, last   int64 // Unix nanoseconds of accepted purchases; valid when orders > 0
	orders, lines int64
	revenue       txn.Money
	lastKey       uint64       // order key of the last purchase line (0: none): its next lines skip the set
	firstKey      uint64       // the customer's first order key (0: none); kept here, not in the set,
	channels      uint32       // bits index partial.chanNames
	firstKeyDay   customer.Day // so that one-order customers never touch it

}

// partial aggregates the rows of one byte range (or one whole stream).
// It is used by a single goroutine.
type partial struct {
	sh     *shared
	source string
	utc    bool

	ids    *idTable
	accs   []acc
	orders orderSet
	hist   [][]customer.DayAmount // per customer when sh.history
	// refs holds kept refund lines per customer and day when History is
	// kept: at the end they net the purchase days they follow.
	refs [][]customer.DayAmount

	lastCust int32  // index of the previous row's customer, -1 initially
	lastID   []byte // its ID, copied: comparing here avoids touching the table

	chanIdx   map[string]int
	chanNames []string
	lastChan  int

	daily    map[customer.Day]int32
	days     []customer.DailyRevenue
	lastDay  customer.Day
	lastDayI int32

	batch    []pending
	batchIDs []byte
	cis      []int32
	sink     uint32 // keeps the touch loads from being optimised away

	tally    clean.Tally
	netted   map[txn.RejectReason]int64
	orderCol bool // a row came from a source mapping an order column
	rows     int64
	accepted int64
}

func newPartial(sh *shared, source string) *partial {
	return &partial{
		sh: sh, source: source, utc: sh.loc == time.UTC,
		ids: newIDTable(0), lastCust: -1,
		chanIdx: map[string]int{}, lastChan: -1,
		daily: map[customer.Day]int32{}, lastDayI: -1,
	}
}

// progressChunk rows are counted locally before touching the shared counter.
const progressChunk = 1 << 16

// progressEvery is ProgressEvery, lowered by tests.
var progressEvery int64 = ProgressEvery

func (p *partial) tick() {
	p.rows++
	if p.rows%progressChunk != 0 || p.sh.progressFn == nil {
		return
	}
	n := p.sh.rows.Add(progressChunk)
	if n%progressEvery == 0 {
		p.sh.progressMu.Lock()
		p.sh.progressFn(n)
		p.sh.progressMu.Unlock()
	}
}

// Reject counts a row the reader could not parse.
func (p *partial) Reject(line int64, reason txn.RejectReason, detail string) {
	p.tick()
	p.tally.Add(p.source, line, reason, detail)
}

// Record applies the cleaning rules and queues an accepted row; rows are
// folded into their customers' accumulators in batches (see flush).
func (p *partial) Record(r *input.Record) error {
	p.tick()
	if reason, detail := p.sh.cleaner.Check(r); reason != "" {
		p.tally.Add(p.source, r.Line, reason, detail)
		return nil
	}
	p.accepted++
	if r.HasOrder {
		p.orderCol = true
	}
	q := pending{
		hash:   p.ids.hash(r.Customer),
		refund: r.Netted != "" || r.Amount < 0,
		idOff:  uint32(len(p.batchIDs)),
		idLen:  uint32(len(r.Customer)),
		t:      r.Time.UnixNano(),
		amount: r.Amount,
		day:    p.dayOf(r.Time),
		ch:     -1,
	}
	p.batchIDs = append(p.batchIDs, r.Customer...)
	if len(r.Channel) > 0 {
		q.ch = int8(min(p.channel(r.Channel), 127))
	}
	if q.refund {
		reason := r.Netted
		if reason == "" {
			reason = txn.RejectRefund
		}
		if p.netted == nil {
			p.netted = map[txn.RejectReason]int64{}
		}
		p.netted[reason]++
	} else if len(r.Order) > 0 {
		q.key = orderKey(q.hash, r.Order)
	}
	p.batch = append(p.batch, q)
	if len(p.batch) == batchSize {
		p.flush()
	}
	return nil
}

// batchSize rows are looked up together. With a million customers every ID
// lookup and accumulator update misses the CPU cache; touching the slots and
// accumulators of a whole batch in tight loops first lets those memory loads
// overlap instead of stalling one row at a time (about 2× faster at 1M
// customers, measured).
const batchSize = 64

// pending is an accepted row waiting for its batch.
type pending struct {
	hash         uint64
	idOff, idLen uint32 // customer ID in partial.batchIDs
	t            int64  // Unix nanoseconds
	amount       txn.Money
	day          customer.Day
	key          uint64 // order key, 0 when none
	ch           int8   // channel index, -1 when none
	refund       bool   // a kept refund, cancellation or return line
}

// flush folds the queued rows into the accumulators, in arrival order.
func (p *partial) flush() {
	if len(p.batch) == 0 {
		return
	}
	var sink uint32
	for i := range p.batch {
		sink += p.ids.touch(p.batch[i].hash)
	}
	cis := p.cis[:0]
	for i := range p.batch {
		q := &p.batch[i]
		cis = append(cis, p.intern(p.batchIDs[q.idOff:q.idOff+q.idLen], q.hash))
	}
	for i, ci := range cis {
		a := &p.accs[ci]
		sink += a.channels
		if k := p.batch[i].key; k != 0 && k != a.lastKey && a.firstKey != 0 && k != a.firstKey {
			sink += p.orders.touch(k)
		}
	}
	p.sink += sink
	for i := range p.batch {
		p.fold(cis[i], &p.batch[i])
	}
	p.cis = cis
	p.batch = p.batch[:0]
	p.batchIDs = p.batchIDs[:0]
}

// fold adds one accepted row to customer ci.
func (p *partial) fold(ci int32, q *pending) {
	a := &p.accs[ci]
	di := p.dayIndex(q.day)
	a.lines++
	a.revenue += q.amount
	p.days[di].Revenue += q.amount
	if q.refund {
		// A kept refund nets revenue only; with History it nets the
		// purchase day it follows (see merger.finish).
		if p.keepRefs() {
			p.refs[ci] = append(p.refs[ci], customer.DayAmount{Day: q.day, Amount: q.amount})
		}
		return
	}
	if q.ch >= 0 && q.ch < 32 {
		a.channels |= 1 << q.ch
	}
	// Distinct orders: a line starts an order unless its order was seen
	// before for this customer; consecutive lines of one order skip the set.
	newOrder := true
	switch {
	case q.key == 0: // no order ID: an order of its own
	case q.key == a.lastKey:
		newOrder = false
	case a.firstKey == 0:
		a.firstKey, a.firstKeyDay = q.key, q.day
	case q.key == a.firstKey:
		newOrder = false
	default:
		newOrder = p.orders.add(q.key, ci, q.day)
	}
	if a.orders == 0 {
		a.first, a.last = q.t, q.t
	} else {
		a.first = min(a.first, q.t)
		a.last = max(a.last, q.t)
	}
	if newOrder {
		a.orders++
		p.days[di].Orders++
	}
	a.lastKey = q.key
	if p.sh.history {
		p.addHistory(ci, q.day, q.amount, newOrder)
	}
}

func (p *partial) intern(id []byte, hash uint64) int32 {
	if p.lastCust >= 0 && string(p.lastID) == string(id) {
		return p.lastCust
	}
	ci, added := p.ids.internHashed(id, hash)
	p.lastID = append(p.lastID[:0], id...)
	if added {
		p.accs = append(p.accs, acc{})
		if p.sh.history {
			p.hist = append(p.hist, nil)
		}
		if p.keepRefs() {
			p.refs = append(p.refs, nil)
		}
	}
	p.lastCust = ci
	return ci
}

// keepRefs says whether refund lines are kept per customer and day.
func (p *partial) keepRefs() bool { return p.sh.keepHistory }

func (p *partial) channel(name []byte) int {
	if p.lastChan >= 0 && p.chanNames[p.lastChan] == string(name) {
		return p.lastChan
	}
	c, ok := p.chanIdx[string(name)]
	if !ok {
		c = len(p.chanNames)
		p.chanIdx[string(name)] = c
		p.chanNames = append(p.chanNames, string(name))
	}
	p.lastChan = c
	return c
}

func (p *partial) dayOf(t time.Time) customer.Day {
	if p.utc {
		s := t.Unix()
		d := s / 86400
		if s%86400 < 0 {
			d--
		}
		return customer.Day(d)
	}
	return customer.DayOf(t.In(p.sh.loc))
}

func (p *partial) dayIndex(d customer.Day) int32 {
	if p.lastDayI >= 0 && p.lastDay == d {
		return p.lastDayI
	}
	i, ok := p.daily[d]
	if !ok {
		i = int32(len(p.days))
		p.daily[d] = i
		p.days = append(p.days, customer.DailyRevenue{Day: d})
	}
	p.lastDay, p.lastDayI = d, i
	return i
}

func (p *partial) addHistory(ci int32, day customer.Day, amount txn.Money, newOrder bool) {
	h := p.hist[ci]
	var orders int32
	if newOrder {
		orders = 1
	}
	// Rows mostly arrive in time order, so the matching day is usually last.
	for k := len(h) - 1; k >= 0 && k >= len(h)-4; k-- {
		if h[k].Day == day {
			h[k].Amount += amount
			h[k].Orders += orders
			return
		}
	}
	if len(h) == cap(h) && len(h) >= 8 {
		// Out-of-order rows missed the look-back and repeated days: merge
		// them before growing, so a customer costs one entry per distinct
		// day (at most twice over), never one per line.
		h = compactDays(h)
		if k, ok := slices.BinarySearchFunc(h, day, func(e customer.DayAmount, d customer.Day) int { return cmp.Compare(e.Day, d) }); ok {
			h[k].Amount += amount
			h[k].Orders += orders
			p.hist[ci] = h
			return
		}
	}
	p.hist[ci] = append(h, customer.DayAmount{Day: day, Amount: amount, Orders: orders})
}

// compactDays sorts h by day and merges entries of one day in place. When
// that frees less than a quarter of the capacity, the capacity is doubled so
// that compactions stay rare (amortised O(log n) per row).
func compactDays(h []customer.DayAmount) []customer.DayAmount {
	out := sortMergeDays(h)
	if len(out) > cap(out)*3/4 {
		out = slices.Grow(out, cap(out))
	}
	return out
}
