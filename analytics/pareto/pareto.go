// Package pareto measures how concentrated revenue is across customers: the
// smallest share of customers that brings a given share (default 80%) of
// revenue, the revenue share of the top percentiles, the Gini coefficient and
// a Lorenz curve with a bounded number of points.
//
// Customers are ranked by revenue, highest first; the answer for share s is
// the smallest k such that the top k customers' revenue is at least s × total
// revenue, reported as k / customers. Ties in revenue do not change k. When
// total revenue is not positive (no customers, or net refunds) the shares are
// undefined and reported as 0 with Defined = false.
package pareto

import (
	"fmt"
	"math"
	"slices"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

// Params tune the analysis; zero values take the defaults.
type Params struct {
	Share        float64 `json:"share"`        // revenue share to explain, default 0.8
	LorenzPoints int     `json:"lorenzPoints"` // points on the Lorenz curve incl. both ends, default 101, at most 1001
}

// Defaults for Params.
const (
	DefaultShare        = 0.8
	DefaultLorenzPoints = 101
	MaxLorenzPoints     = 1001
)

// TopPercents are the customer percentiles whose revenue share is reported.
var TopPercents = []float64{0.01, 0.05, 0.1, 0.2, 0.5}

// Summary is the Pareto result.
type Summary struct {
	Share         float64 `json:"share"`         // the requested revenue share
	Defined       bool    `json:"defined"`       // false when total revenue ≤ 0
	Customers     int64   `json:"customers"`     // all customers
	TopCustomers  int64   `json:"topCustomers"`  // k: customers needed for Share of revenue
	CustomerShare float64 `json:"customerShare"` // k / customers
	RevenueShare  float64 `json:"revenueShare"`  // actual share of revenue of those k (≥ Share)
	Gini          float64 `json:"gini"`
	TopShares     []Top   `json:"topShares"`
	// Lorenz is the Lorenz curve: customers ranked from lowest to highest
	// revenue; each point is (customer share, cumulative revenue share).
	Lorenz []Point `json:"lorenz"`
}

// Top is the revenue share of the top customers.
type Top struct {
	CustomerShare float64 `json:"customerShare"` // e.g. 0.1 = top 10%
	Customers     int64   `json:"customers"`     // ⌈customerShare × customers⌉
	RevenueShare  float64 `json:"revenueShare"`
}

// Point is one point of the Lorenz curve.
type Point struct {
	Customers float64 `json:"customers"`
	Revenue   float64 `json:"revenue"`
}

// Analyze computes the Pareto summary of customers' revenue.
func Analyze(customers []customer.Customer, p Params) (*Summary, error) {
	if p.Share == 0 {
		p.Share = DefaultShare
	}
	if p.LorenzPoints == 0 {
		p.LorenzPoints = DefaultLorenzPoints
	}
	if p.Share <= 0 || p.Share > 1 {
		return nil, fmt.Errorf("pareto: share %v outside (0, 1]", p.Share)
	}
	if p.LorenzPoints < 2 || p.LorenzPoints > MaxLorenzPoints {
		return nil, fmt.Errorf("pareto: lorenzPoints %d outside [2, %d]", p.LorenzPoints, MaxLorenzPoints)
	}
	n := len(customers)
	s := &Summary{Share: p.Share, Customers: int64(n), TopShares: []Top{}, Lorenz: []Point{}}
	rev := make([]txn.Money, n)
	var total txn.Money
	for i := range customers {
		rev[i] = customers[i].Revenue
		total += rev[i]
	}
	if n == 0 || total <= 0 {
		return s, nil
	}
	s.Defined = true
	slices.Sort(rev) // ascending
	// cum[k] = revenue of the k lowest customers.
	cum := make([]txn.Money, n+1)
	var weighted float64
	for i, r := range rev {
		cum[i+1] = cum[i] + r
		weighted += float64(i+1) * float64(r)
	}
	tot := float64(total)
	top := func(k int) float64 { return float64(total-cum[n-k]) / tot }
	target := p.Share * tot
	k := sortSearch(n, func(k int) bool { return float64(total-cum[n-k]) >= target })
	s.TopCustomers = int64(k)
	s.CustomerShare = float64(k) / float64(n)
	s.RevenueShare = top(k)
	s.Gini = 2*weighted/(float64(n)*tot) - float64(n+1)/float64(n)
	for _, pc := range TopPercents {
		k := int(math.Ceil(pc*float64(n) - 1e-9))
		s.TopShares = append(s.TopShares, Top{CustomerShare: pc, Customers: int64(k), RevenueShare: top(k)})
	}
	for j := 0; j < p.LorenzPoints; j++ {
		x := float64(j) / float64(p.LorenzPoints-1)
		k := int(math.Round(x * float64(n)))
		s.Lorenz = append(s.Lorenz, Point{Customers: float64(k) / float64(n), Revenue: float64(cum[k]) / tot})
	}
	return s, nil
}

// sortSearch returns the smallest k in [0, n] with f(k) true (f monotone, f(n) true).
func sortSearch(n int, f func(int) bool) int {
	lo, hi := 0, n
	for lo < hi {
		m := int(uint(lo+hi) >> 1)
		if f(m) {
			hi = m
		} else {
			lo = m + 1
		}
	}
	return lo
}
