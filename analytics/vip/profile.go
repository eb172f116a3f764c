package vip

import (
	"fmt"
	"sort"

	"github.com/crmlens/crmlens/analytics/txn"
)

// DefaultSpendEdges are the line-amount bucket edges used when none are given.
var DefaultSpendEdges = []float64{10, 25, 50, 100, 250, 500, 1000}

// OtherLabel collects categories or channels beyond the accumulator's cap.
const OtherLabel = "(other)"

// AccumulatorConfig bounds and shapes the profile tables.
type AccumulatorConfig struct {
	// SpendEdges are ascending upper bounds of the line-amount buckets; a last
	// open bucket takes the rest. Nil means DefaultSpendEdges.
	SpendEdges []float64
	// MaxLabels caps the distinct categories and channels tracked each (memory
	// bound); later new labels count under OtherLabel. 0 means 1000.
	MaxLabels int
}

// Accumulator builds the VIP purchase profile in a pass over raw
// transactions, counting only lines of the given customers.
type Accumulator struct {
	vips      map[string]struct{}
	edges     []float64
	maxLabels int
	p         Profile
	cat, chn  map[string]*Share
}

// NewAccumulator returns an accumulator for the customers in ids.
func NewAccumulator(ids []string, cfg AccumulatorConfig) (*Accumulator, error) {
	if cfg.SpendEdges == nil {
		cfg.SpendEdges = DefaultSpendEdges
	}
	for i := 1; i < len(cfg.SpendEdges); i++ {
		if !(cfg.SpendEdges[i] > cfg.SpendEdges[i-1]) {
			return nil, fmt.Errorf("vip: spend bucket edges must ascend, got %v", cfg.SpendEdges)
		}
	}
	if cfg.MaxLabels <= 0 {
		cfg.MaxLabels = 1000
	}
	a := &Accumulator{vips: make(map[string]struct{}, len(ids)), edges: cfg.SpendEdges, maxLabels: cfg.MaxLabels,
		cat: map[string]*Share{}, chn: map[string]*Share{}}
	for _, id := range ids {
		a.vips[id] = struct{}{}
	}
	a.p.VIPs = len(a.vips)
	lo := 0.0
	for _, e := range cfg.SpendEdges {
		a.p.SpendBuckets = append(a.p.SpendBuckets, Bucket{Lower: lo, Upper: e})
		lo = e
	}
	a.p.SpendBuckets = append(a.p.SpendBuckets, Bucket{Lower: lo, Open: true})
	return a, nil
}

// Add counts t if it belongs to a VIP and reports whether it did.
func (a *Accumulator) Add(t *txn.Transaction) bool {
	if _, ok := a.vips[t.Customer]; !ok {
		return false
	}
	amt := t.Amount.Float()
	a.p.Transactions++
	a.p.Revenue += amt
	// Monday = row 0, as in ISO weeks.
	a.p.WeekdayHour[(int(t.Time.Weekday())+6)%7][t.Time.Hour()]++
	a.label(a.cat, t.Category, amt)
	a.label(a.chn, t.Channel, amt)
	a.p.SpendBuckets[bucketOf(amt, a.edges)].Count++
	return true
}

func (a *Accumulator) label(m map[string]*Share, name string, amt float64) {
	if name == "" {
		name = "(none)"
	}
	s, ok := m[name]
	if !ok {
		if len(m) >= a.maxLabels {
			name = OtherLabel
			if s, ok = m[name]; !ok {
				s = &Share{Name: name}
				m[name] = s
			}
		} else {
			s = &Share{Name: name}
			m[name] = s
		}
	}
	s.Transactions++
	s.Revenue += amt
}

// Share is one category's or channel's part of the VIP lines.
type Share struct {
	Name         string  `json:"name"`
	Transactions int64   `json:"transactions"`
	Revenue      float64 `json:"revenue"`
	Share        float64 `json:"share"` // of VIP revenue
}

// Bucket counts VIP lines with Lower ≤ amount < Upper (no upper bound when Open).
type Bucket struct {
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper,omitempty"`
	Open  bool    `json:"open,omitempty"`
	Count int64   `json:"count"`
}

// Profile is what the VIPs bought and when; it holds no customer IDs.
type Profile struct {
	VIPs         int     `json:"vips"`
	Transactions int64   `json:"transactions"`
	Revenue      float64 `json:"revenue"`
	// WeekdayHour counts lines by weekday (Monday first) and hour of day in the
	// transactions' own time zone.
	WeekdayHour  [7][24]int64 `json:"weekdayHour"`
	Categories   []Share      `json:"categories"` // by revenue, descending
	Channels     []Share      `json:"channels"`
	SpendBuckets []Bucket     `json:"spendBuckets"`
}

// Profile returns the tables accumulated so far.
func (a *Accumulator) Profile() Profile {
	p := a.p
	p.SpendBuckets = append([]Bucket(nil), a.p.SpendBuckets...)
	p.Categories = shares(a.cat, p.Revenue)
	p.Channels = shares(a.chn, p.Revenue)
	return p
}

func shares(m map[string]*Share, total float64) []Share {
	out := make([]Share, 0, len(m))
	for _, s := range m {
		v := *s
		if total != 0 {
			v.Share = v.Revenue / total
		}
		out = append(out, v)
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Revenue != out[j].Revenue {
			return out[i].Revenue > out[j].Revenue
		}
		return out[i].Name < out[j].Name
	})
	return out
}
