// Package sample generates a synthetic shop's transactions: the built-in
// `sample` data source, the demo's data, the tests' fixtures and the
// benchmark's 10M-row file. Output is seeded and deterministic: the same
// Config gives the same bytes.
//
// API:
//
//	Config{Customers, Seed, Start, End, LinesPerCustomer, VIPShare, ChurnShare,
//	       SlowShare, GiftShare, RefundShare, DuplicateShare, MalformedShare, TimeLayout}
//	DefaultConfig(customers) Config
//	Generate(cfg, w) (Stats, error)   CSV with a header, streamed
//	Source(cfg) input.Source          the same CSV as an input source
//	Options() input.Options           how to read it (header, default mapping)
//
// Columns (comma-separated, header line first, never quoted):
//
//	customer_id  "C0000001"…; empty on "missing customer" malformed rows
//	order_id     "O000000001"…, one per order; an order has 1–4 lines
//	timestamp    RFC 3339 UTC ("2025-03-07T14:05:09Z") or, with
//	             TimeLayout "datetime", "2025-03-07 14:05:09"
//	amount       line amount with two decimals; 0.00 on gift orders,
//	             negative on refund lines (same order ID as the purchase)
//	channel      online | store | social
//	category     one of 8 categories
//	product      "P0001"…; some products form bundles bought together
//	quantity     1–3
//	gift         1 on gift (zero-price) orders, else 0
//
// The shop: customers are acquired uniformly over the period and buy by a
// Poisson process whose rate varies per customer (log-normal), with yearly
// (peak in early December) and weekly (weekend) seasonality and an
// hour-of-day profile. A VIPShare of customers buy four times as often and
// spend three times as much; a ChurnShare stop buying at a random time; a
// SlowShare cut their rate to a third at a random time. Each customer has a
// preferred channel and category. Malformed rows (bad amount, bad
// timestamp, missing customer, too few columns) and exact duplicate lines are
// added on top of the clean rows, so cleaning has something to count.
package sample

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"time"

	"github.com/crmlens/crmlens/analytics/input"
)

// Config describes the synthetic shop.
type Config struct {
	Customers int
	Seed      uint64
	// Start and End bound the purchase times (End exclusive).
	Start, End time.Time
	// LinesPerCustomer is the target mean of clean lines per customer over the
	// period; the result lands near it (churn and seasonality make it inexact).
	LinesPerCustomer float64
	VIPShare         float64 // share of heavy spenders
	ChurnShare       float64 // share who stop buying
	SlowShare        float64 // share who slow down
	GiftShare        float64 // share of orders that are gifts (zero price)
	RefundShare      float64 // share of lines followed by a refund line
	DuplicateShare   float64 // share of lines written twice
	MalformedShare   float64 // share of lines followed by a malformed row
	TimeLayout       string  // "rfc3339" (default) or "datetime"
}

// DefaultConfig is a two-year shop (2024–2025) with ten lines per customer.
func DefaultConfig(customers int) Config {
	return Config{
		Customers:        customers,
		Seed:             1,
		Start:            time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		End:              time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC),
		LinesPerCustomer: 10,
		VIPShare:         0.03,
		ChurnShare:       0.25,
		SlowShare:        0.15,
		GiftShare:        0.01,
		RefundShare:      0.005,
		DuplicateShare:   0.0005,
		MalformedShare:   0.0005,
	}
}

// Validate reports the first invalid setting.
func (c Config) Validate() error {
	switch {
	case c.Customers < 1:
		return fmt.Errorf("customers %d: want at least 1", c.Customers)
	case !c.End.After(c.Start):
		return fmt.Errorf("end %s is not after start %s", c.End, c.Start)
	case c.LinesPerCustomer <= 0:
		return fmt.Errorf("linesPerCustomer %g: want > 0", c.LinesPerCustomer)
	case c.TimeLayout != "" && c.TimeLayout != "rfc3339" && c.TimeLayout != "datetime":
		return fmt.Errorf("timeLayout %q: want rfc3339 or datetime", c.TimeLayout)
	}
	for _, s := range []float64{c.VIPShare, c.ChurnShare, c.SlowShare, c.GiftShare, c.RefundShare, c.DuplicateShare, c.MalformedShare} {
		if s < 0 || s > 1 || math.IsNaN(s) {
			return fmt.Errorf("share %g: want 0..1", s)
		}
	}
	return nil
}

// Header is the first line Generate writes.
const Header = "customer_id,order_id,timestamp,amount,channel,category,product,quantity,gift"

// Channels are the sales channels of the shop.
var Channels = []string{"online", "store", "social"}

// Categories are the product categories; each has ProductsPerCategory products.
var Categories = []string{"books", "music", "electronics", "home", "garden", "toys", "fashion", "beauty"}

// ProductsPerCategory is the catalogue depth.
const ProductsPerCategory = 25

// Stats summarises what Generate wrote.
type Stats struct {
	Rows       int64 // data rows, all kinds
	Lines      int64 // clean purchase lines (incl. gift lines)
	Orders     int64
	Gifts      int64 // gift lines
	Refunds    int64 // refund lines
	Duplicates int64 // duplicated lines
	Malformed  int64 // malformed rows by design (incl. missing customer)
	Customers  int64 // customers with at least one order
}

// Options returns how to read the generator's CSV.
func Options() input.Options { return input.Options{Format: "csv"} }

// Source is the generator as an input source: every Open generates the data
// again (deterministically) through a pipe, so nothing is held in memory.
func Source(cfg Config) input.Source {
	return input.ReaderSource(fmt.Sprintf("sample(customers=%d,seed=%d)", cfg.Customers, cfg.Seed), func() (io.ReadCloser, error) {
		if err := cfg.Validate(); err != nil {
			return nil, err
		}
		pr, pw := io.Pipe()
		go func() {
			_, err := Generate(cfg, pw)
			pw.CloseWithError(err)
		}()
		return pr, nil
	}, Options(), "")
}

// Generate writes the shop's transactions as CSV to w, in time order.
func Generate(cfg Config, w io.Writer) (Stats, error) {
	if err := cfg.Validate(); err != nil {
		return Stats{}, err
	}
	g := newGenerator(cfg)
	bw := bufio.NewWriterSize(w, 1<<20)
	bw.WriteString(Header)
	bw.WriteByte('\n')
	if err := g.run(bw); err != nil {
		return g.stats, err
	}
	if err := bw.Flush(); err != nil {
		return g.stats, fmt.Errorf("write sample: %w", err)
	}
	return g.stats, nil
}

// product is one catalogue entry.
type product struct {
	category int
	price    int64 // cents
	partner  int   // bundle partner product, -1 when none
}

// person is one customer's hidden behaviour.
type person struct {
	rate     float64 // orders per second at seasonality 1
	stop     int64   // no purchases from this Unix second on (churners)
	slowFrom int64   // rate / 3 from this Unix second on
	spend    float64 // spend multiplier
	channel  uint8   // preferred channel
	category uint8   // preferred category
	ordered  bool
}

type generator struct {
	cfg        Config
	rng        *rand.Rand
	people     []person
	products   []product
	start, end int64
	heap       eventHeap
	orderSeq   int64
	hourCDF    [24]float64
	stats      Stats
	buf        []byte
	rbuf       []byte
	prev       []byte
	rfc        bool
}

func newGenerator(cfg Config) *generator {
	g := &generator{
		cfg:   cfg,
		rng:   rand.New(rand.NewPCG(cfg.Seed, 0x9e3779b97f4a7c15)),
		start: cfg.Start.Unix(),
		end:   cfg.End.Unix(),
		rfc:   cfg.TimeLayout != "datetime",
	}
	// Hour-of-day profile: quiet nights, a lunch bump and an evening peak.
	hours := [24]float64{1, 0.5, 0.3, 0.2, 0.2, 0.4, 1, 2, 3, 4, 5, 6, 7, 6, 5, 5, 5, 6, 7, 8, 8, 6, 4, 2}
	sum := 0.0
	for h, w := range hours {
		sum += w
		g.hourCDF[h] = sum
	}
	for h := range g.hourCDF {
		g.hourCDF[h] /= sum
	}
	g.products = make([]product, len(Categories)*ProductsPerCategory)
	for i := range g.products {
		g.products[i] = product{
			category: i / ProductsPerCategory,
			price:    int64(math.Round(math.Exp(1.5+g.rng.Float64()*3.5)*100)) + 99, // ~5 to ~150
			partner:  -1,
		}
	}
	// Bundles: in each category, products 0–4 pair with 5–9 (bought together).
	for c := range Categories {
		for k := range 5 {
			a, b := c*ProductsPerCategory+k, c*ProductsPerCategory+k+5
			g.products[a].partner, g.products[b].partner = b, a
		}
	}
	span := float64(g.end - g.start)
	meanLinesPerOrder := 2.16 // measured on the default mix, incl. bundle lines and churn
	orders := cfg.LinesPerCustomer / meanLinesPerOrder
	g.people = make([]person, cfg.Customers)
	g.heap = make(eventHeap, 0, cfg.Customers)
	for i := range g.people {
		p := &g.people[i]
		acq := g.start + int64(g.rng.Float64()*span*0.9)
		// Mean-1 log-normal spread of purchase rates; the first order is the
		// acquisition itself, the rest follow the process.
		sigma := 0.8
		mult := math.Exp(sigma*g.rng.NormFloat64() - sigma*sigma/2)
		p.rate = math.Max(orders-1, 0.1) * mult / (span * 0.55) // 0.55 ≈ mean share of the period a customer is active
		p.spend = math.Exp(0.4*g.rng.NormFloat64() - 0.08)
		p.stop, p.slowFrom = math.MaxInt64, math.MaxInt64
		u := g.rng.Float64()
		switch {
		case u < cfg.VIPShare:
			p.rate *= 4
			p.spend *= 3
		case u < cfg.VIPShare+cfg.ChurnShare:
			p.stop = acq + int64(g.rng.ExpFloat64()*span/4)
		case u < cfg.VIPShare+cfg.ChurnShare+cfg.SlowShare:
			p.slowFrom = acq + int64(g.rng.Float64()*float64(g.end-acq))
		}
		p.channel = uint8(g.pick([]float64{0.5, 0.3, 0.2}))
		p.category = uint8(g.rng.IntN(len(Categories)))
		g.heap.push(event{at: acq, cust: int32(i)})
	}
	return g
}

func (g *generator) pick(weights []float64) int {
	u := g.rng.Float64()
	for i, w := range weights {
		if u < w {
			return i
		}
		u -= w
	}
	return len(weights) - 1
}

// seasonMax bounds season() for thinning.
const seasonMax = 1.35 * 1.3

// season is the relative purchase intensity at Unix second t.
func season(t int64) float64 {
	day := t / 86400
	doy := float64((day + 365*10) % 365) // fine for a smooth yearly wave
	yearly := 1 + 0.35*math.Cos(2*math.Pi*(doy-340)/365)
	// Day 0 (1970-01-01) was a Thursday: Thu, Fri, Sat, Sun, Mon, Tue, Wed.
	weekly := [7]float64{1.0, 1.1, 1.3, 1.25, 0.85, 0.9, 0.95}[(day%7+7)%7]
	return yearly * weekly
}

// next draws the customer's next purchase time after t, or -1 if none before End.
func (g *generator) next(p *person, t int64) int64 {
	for {
		rate := p.rate
		if t >= p.slowFrom {
			rate /= 3
		}
		t += int64(g.rng.ExpFloat64()/(rate*seasonMax)) + 1
		if t >= g.end || t >= p.stop {
			return -1
		}
		if g.rng.Float64()*seasonMax < season(t) {
			return t
		}
	}
}

func (g *generator) run(w *bufio.Writer) error {
	for len(g.heap) > 0 {
		ev := g.heap.pop()
		p := &g.people[ev.cust]
		if !p.ordered {
			p.ordered = true
			g.stats.Customers++
		}
		g.order(w, ev.cust, p, ev.at)
		if nt := g.next(p, ev.at); nt >= 0 {
			g.heap.push(event{at: nt, cust: ev.cust})
		}
	}
	return nil
}

// order writes one order's lines (and any refund, duplicate or malformed rows).
func (g *generator) order(w *bufio.Writer, cust int32, p *person, at int64) {
	g.orderSeq++
	g.stats.Orders++
	// The order's hour comes from the daily profile, keeping its calendar day.
	day := at / 86400
	u := g.rng.Float64()
	hour := 0
	for hour < 23 && u > g.hourCDF[hour] {
		hour++
	}
	ts := day*86400 + int64(hour)*3600 + g.rng.Int64N(3600)
	gift := g.rng.Float64() < g.cfg.GiftShare
	channel := int(p.channel)
	if g.rng.Float64() < 0.3 {
		channel = g.rng.IntN(len(Channels))
	}
	n := 1 + g.pick([]float64{0.55, 0.25, 0.12, 0.08})
	// A product appears once per order, so no two lines of an order are identical.
	var inOrder [8]int
	seen := inOrder[:0]
	has := func(p int) bool {
		for _, q := range seen {
			if q == p {
				return true
			}
		}
		return false
	}
	for i := 0; i < n; i++ {
		cat := int(p.category)
		if g.rng.Float64() < 0.4 {
			cat = g.rng.IntN(len(Categories))
		}
		// Popular products (low index) sell more: a squared uniform skews the pick.
		f := g.rng.Float64()
		prod := cat*ProductsPerCategory + int(f*f*ProductsPerCategory)
		if has(prod) {
			continue
		}
		seen = append(seen, prod)
		g.line(w, cust, p, ts, channel, prod, gift)
		if pp := g.products[prod].partner; pp >= 0 && !has(pp) && g.rng.Float64() < 0.5 {
			seen = append(seen, pp)
			g.line(w, cust, p, ts, channel, pp, gift)
		}
	}
}

func (g *generator) line(w *bufio.Writer, cust int32, p *person, ts int64, channel, prod int, gift bool) {
	qty := 1 + g.pick([]float64{0.75, 0.18, 0.07})
	amount := int64(0)
	if !gift {
		amount = int64(math.Round(float64(g.products[prod].price*int64(qty)) * p.spend))
		amount = max(amount, 1)
	}
	b := g.format(g.buf[:0], cust, ts, amount, channel, prod, qty, gift)
	w.Write(b)
	g.stats.Rows++
	g.stats.Lines++
	if gift {
		g.stats.Gifts++
	}
	if g.rng.Float64() < g.cfg.DuplicateShare {
		w.Write(b)
		g.stats.Rows++
		g.stats.Duplicates++
	}
	if !gift && g.rng.Float64() < g.cfg.RefundShare {
		g.rbuf = g.format(g.rbuf[:0], cust, ts, -amount, channel, prod, qty, false)
		w.Write(g.rbuf)
		g.stats.Rows++
		g.stats.Refunds++
	}
	if g.rng.Float64() < g.cfg.MalformedShare {
		w.Write(g.malformed(b))
		g.stats.Rows++
		g.stats.Malformed++
	}
	g.buf = b
}

// malformed corrupts a copy of a good line in one of four ways.
func (g *generator) malformed(good []byte) []byte {
	g.prev = append(g.prev[:0], good...)
	line := g.prev[:len(g.prev)-1] // without '\n'
	fields := splitComma(line)
	var out []byte
	switch g.rng.IntN(4) {
	case 0: // bad amount
		fields[3] = []byte("12.3.4")
	case 1: // bad timestamp
		fields[2] = []byte("2025-13-45T99:00:00")
	case 2: // missing customer
		fields[0] = nil
	case 3: // too few columns
		fields = fields[:2]
	}
	for i, f := range fields {
		if i > 0 {
			out = append(out, ',')
		}
		out = append(out, f...)
	}
	return append(out, '\n')
}

func splitComma(b []byte) [][]byte {
	var out [][]byte
	start := 0
	for i, c := range b {
		if c == ',' {
			out = append(out, append([]byte(nil), b[start:i]...))
			start = i + 1
		}
	}
	return append(out, append([]byte(nil), b[start:]...))
}

func (g *generator) format(b []byte, cust int32, ts, amount int64, channel, prod, qty int, gift bool) []byte {
	b = append(b, 'C')
	b = appendPadded(b, int64(cust)+1, 7)
	b = append(b, ",O"...)
	b = appendPadded(b, g.orderSeq, 9)
	b = append(b, ',')
	b = appendTime(b, ts, g.rfc)
	b = append(b, ',')
	if amount < 0 {
		b = append(b, '-')
		amount = -amount
	}
	b = strconv.AppendInt(b, amount/100, 10)
	b = append(b, '.')
	b = appendPadded(b, amount%100, 2)
	b = append(b, ',')
	b = append(b, Channels[channel]...)
	b = append(b, ',')
	b = append(b, Categories[g.products[prod].category]...)
	b = append(b, ",P"...)
	b = appendPadded(b, int64(prod)+1, 4)
	b = append(b, ',')
	b = strconv.AppendInt(b, int64(qty), 10)
	if gift {
		b = append(b, ",1\n"...)
	} else {
		b = append(b, ",0\n"...)
	}
	return b
}

func appendPadded(b []byte, v int64, width int) []byte {
	var tmp [20]byte
	s := strconv.AppendInt(tmp[:0], v, 10)
	for i := len(s); i < width; i++ {
		b = append(b, '0')
	}
	return append(b, s...)
}

// appendTime formats Unix seconds in UTC without time.Format (a hot path at 10M rows).
func appendTime(b []byte, ts int64, rfc bool) []byte {
	days := ts / 86400
	secs := ts % 86400
	y, m, d := civilFromDays(days)
	b = appendPadded(b, y, 4)
	b = append(b, '-')
	b = appendPadded(b, m, 2)
	b = append(b, '-')
	b = appendPadded(b, d, 2)
	if rfc {
		b = append(b, 'T')
	} else {
		b = append(b, ' ')
	}
	b = appendPadded(b, secs/3600, 2)
	b = append(b, ':')
	b = appendPadded(b, secs/60%60, 2)
	b = append(b, ':')
	b = appendPadded(b, secs%60, 2)
	if rfc {
		b = append(b, 'Z')
	}
	return b
}

// civilFromDays converts days since 1970-01-01 to a Gregorian date (Hinnant).
func civilFromDays(z int64) (y, m, d int64) {
	z += 719468
	era := z / 146097
	doe := z - era*146097
	yoe := (doe - doe/1460 + doe/36524 - doe/146096) / 365
	y = yoe + era*400
	doy := doe - (365*yoe + yoe/4 - yoe/100)
	mp := (5*doy + 2) / 153
	d = doy - (153*mp+2)/5 + 1
	if mp < 10 {
		m = mp + 3
	} else {
		m = mp - 9
	}
	if m <= 2 {
		y++
	}
	return
}

// event is a customer's next purchase time.
type event struct {
	at   int64
	cust int32
}

// eventHeap is a min-heap by time, then customer (a total order, so the output
// is deterministic).
type eventHeap []event

func (h eventHeap) less(i, j int) bool {
	return h[i].at < h[j].at || (h[i].at == h[j].at && h[i].cust < h[j].cust)
}

func (h *eventHeap) push(e event) {
	*h = append(*h, e)
	s := *h
	i := len(s) - 1
	for i > 0 {
		p := (i - 1) / 2
		if !s.less(i, p) {
			break
		}
		s[i], s[p] = s[p], s[i]
		i = p
	}
}

func (h *eventHeap) pop() event {
	s := *h
	top := s[0]
	last := len(s) - 1
	s[0] = s[last]
	s = s[:last]
	i := 0
	for {
		l := 2*i + 1
		if l >= len(s) {
			break
		}
		c := l
		if r := l + 1; r < len(s) && s.less(r, l) {
			c = r
		}
		if !s.less(c, i) {
			break
		}
		s[i], s[c] = s[c], s[i]
		i = c
	}
	*h = s
	return top
}
