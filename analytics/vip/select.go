// Package vip reports on the most valuable customers: who they are (top N or
// top percent by value), when and what they buy (weekday × hour, categories,
// channels, spend buckets, filled by a second pass over the transactions), and
// which of them are slipping away (recent purchase frequency or spend dropping
// against their own baseline).
package vip

import (
	"errors"
	"fmt"
	"math"
	"sort"
)

// Selection says how many customers are VIPs: TopN customers, or the top
// TopPercent (0 < p ≤ 100) of customers rounded up. Exactly one must be set
// for Select. Segments instead records that the VIPs are every member of
// these segments (SelectMembers); the caller decides membership.
type Selection struct {
	TopN       int      `json:"topN,omitempty"`
	TopPercent float64  `json:"topPercent,omitempty"`
	Segments   []string `json:"segments,omitempty"`
}

// SelectMembers returns the indices i with member[i], highest value first
// (ties by lower index), for VIPs defined by membership (such as the
// customers of named segments) rather than by rank.
func SelectMembers(values []float64, member []bool) ([]int, error) {
	if len(member) != len(values) {
		return nil, fmt.Errorf("vip: %d membership flags for %d values", len(member), len(values))
	}
	var idx []int
	for i, v := range values {
		if math.IsNaN(v) {
			return nil, fmt.Errorf("vip: value %d is NaN", i)
		}
		if member[i] {
			idx = append(idx, i)
		}
	}
	sort.SliceStable(idx, func(a, b int) bool { return values[idx[a]] > values[idx[b]] })
	return idx, nil
}

// Select returns the indices of the VIPs among values, highest value first
// (ties by lower index, so the result is deterministic).
func Select(values []float64, sel Selection) ([]int, error) {
	if (sel.TopN > 0) == (sel.TopPercent > 0) || sel.TopN < 0 || sel.TopPercent < 0 || sel.TopPercent > 100 {
		return nil, fmt.Errorf("vip: set exactly one of topN (> 0) or topPercent (0 < p ≤ 100), got %+v", sel)
	}
	for i, v := range values {
		if math.IsNaN(v) {
			return nil, fmt.Errorf("vip: value %d is NaN", i)
		}
	}
	n := sel.TopN
	if sel.TopPercent > 0 {
		n = int(math.Ceil(sel.TopPercent / 100 * float64(len(values))))
	}
	n = min(n, len(values))
	idx := make([]int, len(values))
	for i := range idx {
		idx[i] = i
	}
	sort.SliceStable(idx, func(a, b int) bool { return values[idx[a]] > values[idx[b]] })
	if n == 0 && len(values) > 0 {
		return nil, errors.New("vip: selection is empty")
	}
	return idx[:n], nil
}

// Result is the VIP report summary; it names no customer.
type Result struct {
	Selection  Selection `json:"selection"`
	Customers  int       `json:"customers"`  // population the VIPs were chosen from
	VIPs       int       `json:"vips"`       // customers selected
	MinValue   float64   `json:"minValue"`   // value of the lowest-ranked VIP: the entry bar
	Value      float64   `json:"value"`      // total value of the VIPs
	ValueShare float64   `json:"valueShare"` // of the population's total value
	// ValueBuckets is the distribution of the VIPs' own values (see ValueBuckets).
	ValueBuckets []Bucket `json:"valueBuckets,omitempty"`
	// Profile and Drops are filled by the caller from an Accumulator and
	// DetectDrops when those parts run.
	Profile *Profile     `json:"profile,omitempty"`
	Drops   *DropSummary `json:"drops,omitempty"`
}

// Summarize describes the selection vips (from Select) of values.
func Summarize(values []float64, vips []int, sel Selection) Result {
	r := Result{Selection: sel, Customers: len(values), VIPs: len(vips)}
	var total float64
	for _, v := range values {
		total += v
	}
	for _, i := range vips {
		r.Value += values[i]
	}
	if len(vips) > 0 {
		r.MinValue = values[vips[len(vips)-1]]
	}
	if total != 0 {
		r.ValueShare = r.Value / total
	}
	return r
}

// ValueBuckets counts the VIPs (indices into values) by value: bucket i holds
// edges[i-1] ≤ value < edges[i], the first everything below edges[0] (from 0)
// and a last open bucket everything from the last edge. Edges must ascend.
func ValueBuckets(values []float64, vips []int, edges []float64) ([]Bucket, error) {
	for i := 1; i < len(edges); i++ {
		if !(edges[i] > edges[i-1]) {
			return nil, fmt.Errorf("vip: bucket edges must ascend, got %v", edges)
		}
	}
	out := make([]Bucket, 0, len(edges)+1)
	lo := 0.0
	for _, e := range edges {
		out = append(out, Bucket{Lower: lo, Upper: e})
		lo = e
	}
	out = append(out, Bucket{Lower: lo, Open: true})
	for _, i := range vips {
		out[bucketOf(values[i], edges)].Count++
	}
	return out, nil
}

// bucketOf returns the index of the first edge above v, or len(edges).
func bucketOf(v float64, edges []float64) int {
	return sort.Search(len(edges), func(i int) bool { return v < edges[i] })
}
