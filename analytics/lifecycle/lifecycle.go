// Package lifecycle assigns each customer a lifecycle stage at a reference
// time and counts stage transitions against a previous assignment.
//
// With recency = whole days from the last purchase day to asOf's day and
// age = whole days from the first purchase day to asOf's day, the first rule
// that matches decides:
//
//	churned  recency ≥ ChurnDays            (default 180)
//	at risk  recency ≥ AtRiskDays           (default 90)
//	new      age < NewDays                  (default 30: first purchase within the last 30 days)
//	loyal    orders ≥ LoyalOrders           (default 5)
//	active   otherwise
//
// So a new customer is also recent by construction, and "loyal" means an
// active, non-new customer with many orders.
package lifecycle

import (
	"fmt"
	"sort"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

// Stage is a lifecycle stage. The string values are part of the result
// document contract.
type Stage string

// The stages, in the order summaries list them.
const (
	New     Stage = "new"
	Active  Stage = "active"
	Loyal   Stage = "loyal"
	AtRisk  Stage = "atRisk"
	Churned Stage = "churned"
	// None marks "not a customer at that time" in transitions: a customer
	// absent from the previous assignment, or absent now.
	None Stage = "none"
)

// Stages lists the real stages in summary order.
var Stages = []Stage{New, Active, Loyal, AtRisk, Churned}

// ParseStage accepts a stage name as written in the result document.
func ParseStage(s string) (Stage, error) {
	for _, st := range Stages {
		if string(st) == s {
			return st, nil
		}
	}
	return "", fmt.Errorf("unknown lifecycle stage %q (want one of new, active, loyal, atRisk, churned)", s)
}

// Params are the stage thresholds; zero values take the defaults.
type Params struct {
	NewDays     int   `json:"newDays"`
	AtRiskDays  int   `json:"atRiskDays"`
	ChurnDays   int   `json:"churnDays"`
	LoyalOrders int64 `json:"loyalOrders"`
}

// Defaults for Params.
const (
	DefaultNewDays     = 30
	DefaultAtRiskDays  = 90
	DefaultChurnDays   = 180
	DefaultLoyalOrders = 5
)

// WithDefaults fills zero fields with the defaults.
func (p Params) WithDefaults() Params {
	if p.NewDays <= 0 {
		p.NewDays = DefaultNewDays
	}
	if p.AtRiskDays <= 0 {
		p.AtRiskDays = DefaultAtRiskDays
	}
	if p.ChurnDays <= 0 {
		p.ChurnDays = DefaultChurnDays
	}
	if p.LoyalOrders <= 0 {
		p.LoyalOrders = DefaultLoyalOrders
	}
	return p
}

// Validate checks that the thresholds are ordered.
func (p Params) Validate() error {
	p = p.WithDefaults()
	if p.AtRiskDays >= p.ChurnDays {
		return fmt.Errorf("lifecycle: atRiskDays (%d) must be below churnDays (%d)", p.AtRiskDays, p.ChurnDays)
	}
	if p.NewDays > p.AtRiskDays {
		return fmt.Errorf("lifecycle: newDays (%d) must not exceed atRiskDays (%d)", p.NewDays, p.AtRiskDays)
	}
	return nil
}

// StageOf returns the stage of one customer at asOf (p with defaults applied).
func StageOf(c *customer.Customer, asOf time.Time, p Params) Stage {
	return stageAt(c, customer.DayOf(asOf), p)
}

func stageAt(c *customer.Customer, today customer.Day, p Params) Stage {
	recency := int(today - customer.DayOf(c.Last))
	age := int(today - customer.DayOf(c.First))
	switch {
	case recency >= p.ChurnDays:
		return Churned
	case recency >= p.AtRiskDays:
		return AtRisk
	case age < p.NewDays:
		return New
	case c.Orders >= p.LoyalOrders:
		return Loyal
	default:
		return Active
	}
}

// StageCount is the size and revenue of one stage.
type StageCount struct {
	Name         Stage   `json:"name"`
	Customers    int64   `json:"customers"`
	Revenue      float64 `json:"revenue"`
	RevenueShare float64 `json:"revenueShare"`
}

// Transition counts customers that moved from one stage to another.
type Transition struct {
	From      Stage `json:"from"`
	To        Stage `json:"to"`
	Customers int64 `json:"customers"`
}

// Summary is the aggregate lifecycle result.
type Summary struct {
	Params Params       `json:"params"`
	Stages []StageCount `json:"stages"`
	// Transitions is present only when a previous assignment was given;
	// sorted by From then To in stage order, zero counts left out.
	Transitions []Transition `json:"transitions,omitempty"`
}

// Assign stages every customer at asOf. previous, when not nil, maps customer
// IDs to their earlier stage and produces transitions; customers missing on
// one side count as from or to None.
func Assign(customers []customer.Customer, asOf time.Time, p Params, previous map[string]Stage) ([]Stage, *Summary, error) {
	if err := p.Validate(); err != nil {
		return nil, nil, err
	}
	p = p.WithDefaults()
	out := make([]Stage, len(customers))
	idx := map[Stage]int{}
	for i, s := range Stages {
		idx[s] = i
	}
	cnt := make([]int64, len(Stages))
	rev := make([]txn.Money, len(Stages))
	var total txn.Money
	trans := map[[2]Stage]int64{}
	today := customer.DayOf(asOf)
	for i := range customers {
		c := &customers[i]
		s := stageAt(c, today, p)
		out[i] = s
		cnt[idx[s]]++
		rev[idx[s]] += c.Revenue
		total += c.Revenue
		if previous != nil {
			from, ok := previous[c.ID]
			if !ok {
				from = None
			}
			trans[[2]Stage{from, s}]++
		}
	}
	sum := &Summary{Params: p}
	for i, s := range Stages {
		sc := StageCount{Name: s, Customers: cnt[i], Revenue: rev[i].Float()}
		if total > 0 {
			sc.RevenueShare = float64(rev[i]) / float64(total)
		}
		sum.Stages = append(sum.Stages, sc)
	}
	if previous != nil {
		present := make(map[string]struct{}, len(customers))
		for i := range customers {
			present[customers[i].ID] = struct{}{}
		}
		for id, from := range previous {
			if _, ok := present[id]; !ok {
				trans[[2]Stage{from, None}]++
			}
		}
		order := func(s Stage) int {
			if i, ok := idx[s]; ok {
				return i
			}
			return len(Stages) // None and unknown stages last
		}
		for k, n := range trans {
			sum.Transitions = append(sum.Transitions, Transition{From: k[0], To: k[1], Customers: n})
		}
		sort.Slice(sum.Transitions, func(a, b int) bool {
			ta, tb := sum.Transitions[a], sum.Transitions[b]
			if order(ta.From) != order(tb.From) {
				return order(ta.From) < order(tb.From)
			}
			if ta.From != tb.From {
				return ta.From < tb.From
			}
			return order(ta.To) < order(tb.To)
		})
	}
	return out, sum, nil
}
