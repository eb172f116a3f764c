// Package valuematrix places customers in the customer value matrix: average
// order value (revenue / orders) against purchase frequency (orders), each
// split into high and low, giving four quadrants:
//
//	Best      high AOV, high frequency
//	Spender   high AOV, low frequency
//	Frequent  low AOV,  high frequency
//	Uncertain low AOV,  low frequency
//
// The split is at the median of each measure over all customers unless a
// threshold is given. Tie rule: a value is high only when strictly above the
// threshold; a value equal to the threshold (the median) is low. So when most
// customers bought once, the median frequency is 1 and exactly the repeat
// buyers are high-frequency. The median of an even count is the mean of the
// two middle values.
package valuematrix

import (
	"slices"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

// Quadrant names a cell of the value matrix.
type Quadrant uint8

// The four quadrants, in the order the summary lists them.
const (
	Best Quadrant = iota
	Spender
	Frequent
	Uncertain
)

var names = [...]string{"Best", "Spender", "Frequent", "Uncertain"}

// String returns the quadrant's name as used in the result document.
func (q Quadrant) String() string { return names[q] }

// Params sets the split. Zero or negative thresholds mean "use the median".
type Params struct {
	AOVThreshold       float64 // currency units per order
	FrequencyThreshold float64 // orders
}

// Cell is the summary of one quadrant.
type Cell struct {
	Name          string  `json:"name"`
	Customers     int64   `json:"customers"`
	Revenue       float64 `json:"revenue"`
	RevenueShare  float64 `json:"revenueShare"`
	MeanAOV       float64 `json:"meanAOV"`
	MeanFrequency float64 `json:"meanFrequency"`
}

// Summary is the aggregate value matrix.
type Summary struct {
	AOVThreshold       float64 `json:"aovThreshold"`
	FrequencyThreshold float64 `json:"frequencyThreshold"`
	ThresholdSource    string  `json:"thresholdSource"` // "median" or "given" (per measure: "median,given" etc. when mixed)
	Quadrants          []Cell  `json:"quadrants"`       // Best, Spender, Frequent, Uncertain
}

// AOV returns a customer's average order value in currency units (0 without orders).
func AOV(c *customer.Customer) float64 {
	if c.Orders <= 0 {
		return 0
	}
	return c.Revenue.Float() / float64(c.Orders)
}

// Classify places every customer and returns the per-customer quadrants
// (parallel to customers) and the summary.
func Classify(customers []customer.Customer, p Params) ([]Quadrant, *Summary) {
	n := len(customers)
	aov := make([]float64, n)
	freq := make([]float64, n)
	for i := range customers {
		aov[i] = AOV(&customers[i])
		freq[i] = float64(customers[i].Orders)
	}
	sum := &Summary{AOVThreshold: p.AOVThreshold, FrequencyThreshold: p.FrequencyThreshold}
	src := [2]string{"given", "given"}
	if p.AOVThreshold <= 0 {
		sum.AOVThreshold, src[0] = median(aov), "median"
	}
	if p.FrequencyThreshold <= 0 {
		sum.FrequencyThreshold, src[1] = median(freq), "median"
	}
	sum.ThresholdSource = src[0]
	if src[0] != src[1] {
		sum.ThresholdSource = src[0] + "," + src[1]
	}
	qs := make([]Quadrant, n)
	var cnt [4]int64
	var rev [4]txn.Money
	var sAOV, sFreq [4]float64
	var total txn.Money
	for i := range customers {
		hiA, hiF := aov[i] > sum.AOVThreshold, freq[i] > sum.FrequencyThreshold
		var q Quadrant
		switch {
		case hiA && hiF:
			q = Best
		case hiA:
			q = Spender
		case hiF:
			q = Frequent
		default:
			q = Uncertain
		}
		qs[i] = q
		cnt[q]++
		rev[q] += customers[i].Revenue
		total += customers[i].Revenue
		sAOV[q] += aov[i]
		sFreq[q] += freq[i]
	}
	for q := range cnt {
		c := Cell{Name: names[q], Customers: cnt[q], Revenue: rev[q].Float()}
		if total > 0 {
			c.RevenueShare = float64(rev[q]) / float64(total)
		}
		if cnt[q] > 0 {
			c.MeanAOV, c.MeanFrequency = sAOV[q]/float64(cnt[q]), sFreq[q]/float64(cnt[q])
		}
		sum.Quadrants = append(sum.Quadrants, c)
	}
	return qs, sum
}

// median returns the median of v (0 for empty input); v is left unchanged.
func median(v []float64) float64 {
	n := len(v)
	if n == 0 {
		return 0
	}
	s := slices.Clone(v)
	slices.Sort(s)
	if n%2 == 1 {
		return s[n/2]
	}
	return (s[n/2-1] + s[n/2]) / 2
}
