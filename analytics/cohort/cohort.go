// Package cohort builds the acquisition cohort retention matrix.
//
// A customer's cohort is the calendar period (ISO week, month or quarter;
// month by default) of their first purchase. For each cohort and each
// period offset k (0 = the acquisition period), Active[k] counts the
// cohort's customers who bought at least once in period cohort+k, and
// Retention[k] = Active[k] / cohort size (so Retention[0] is 1 for every
// non-empty cohort). Revenue[k] sums those purchases. The matrix is
// triangular: a cohort has offsets up to the period of asOf. Every period
// from the first cohort to asOf's period is listed, empty periods included,
// so rows line up. With Params.Periods = N only the N most recent cohorts
// (asOf's period and the N-1 before it) are listed, each followed for at
// most N periods counting period 0. Periods are calendar periods of the
// analysis time zone.
package cohort

import (
	"errors"
	"fmt"
	"math"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

// ErrNoHistory is returned when the customer set was built without purchase History.
var ErrNoHistory = errors.New("cohort: retention needs purchase history, customer set was built without it")

// Period is the calendar period cohorts and offsets are counted in.
type Period string

// The periods.
const (
	Week    Period = "week"    // ISO weeks, Monday first; labelled "2006-W01"
	Month   Period = "month"   // labelled "2006-01"
	Quarter Period = "quarter" // labelled "2006-Q1"
)

// Params tune Build; the zero value is monthly cohorts over all history.
type Params struct {
	// Period is week, month or quarter; "" means month.
	Period Period
	// Periods, when positive, keeps the Periods most recent cohorts, each
	// followed for Periods periods (period 0 included); 0 keeps all.
	Periods int
}

func (p Params) period() Period {
	if p.Period == "" {
		return Month
	}
	return p.Period
}

// Validate refuses an unknown period or a negative count.
func (p Params) Validate() error {
	switch p.period() {
	case Week, Month, Quarter:
	default:
		return fmt.Errorf("cohort period %q: want week, month or quarter", p.Period)
	}
	if p.Periods < 0 {
		return fmt.Errorf("cohort periods %d: want ≥ 1 (0: all)", p.Periods)
	}
	return nil
}

// Cohort is one row of the retention matrix.
type Cohort struct {
	// Month is the cohort's period label: "2006-01" for months, "2006-Q1"
	// for quarters, "2006-W01" (ISO week) for weeks. The key keeps its
	// historical name.
	Month     string    `json:"month"`
	Customers int64     `json:"customers"`
	Active    []int64   `json:"active"`
	Retention []float64 `json:"retention"`
	Revenue   []float64 `json:"revenue"`
}

// Summary is the retention matrix, oldest cohort first.
type Summary struct {
	// Period is what cohorts and offsets count: week, month or quarter.
	Period  Period   `json:"period"`
	Cohorts []Cohort `json:"cohorts"`
}

// calendar converts days to period indexes and labels.
type calendar struct{ p Period }

// span returns the period index of d and the first day of the next period,
// so a walk over ascending days converts a date once per period.
func (c calendar) span(d customer.Day) (idx int, next customer.Day) {
	switch c.p {
	case Week:
		// Day 0 (1970-01-01) is a Thursday; weeks start on Mondays.
		w := int(d+3) / 7
		if d+3 < 0 && (d+3)%7 != 0 {
			w--
		}
		return w, customer.Day(w*7 - 3 + 7)
	case Quarter:
		t := d.Time()
		q := (int(t.Month()) - 1) / 3
		return t.Year()*4 + q, customer.DayOf(time.Date(t.Year(), time.Month(3*q+4), 1, 0, 0, 0, 0, time.UTC))
	default:
		t := d.Time()
		return t.Year()*12 + int(t.Month()) - 1, customer.DayOf(time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC))
	}
}

func (c calendar) index(d customer.Day) int {
	i, _ := c.span(d)
	return i
}

func (c calendar) name(idx int) string {
	switch c.p {
	case Week:
		y, w := customer.Day(idx*7 - 3).Time().ISOWeek() // the week's Monday
		return fmt.Sprintf("%04d-W%02d", y, w)
	case Quarter:
		return fmt.Sprintf("%04d-Q%d", idx/4, idx%4+1)
	default:
		return time.Date(idx/12, time.Month(idx%12+1), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
	}
}

// Build computes the monthly retention matrix at asOf over all history.
// Customers need History.
func Build(customers []customer.Customer, asOf time.Time) (*Summary, error) {
	return BuildWith(customers, asOf, Params{})
}

// BuildWith computes the retention matrix at asOf in p's periods.
func BuildWith(customers []customer.Customer, asOf time.Time, p Params) (*Summary, error) {
	if err := p.Validate(); err != nil {
		return nil, err
	}
	cal := calendar{p.period()}
	s := &Summary{Period: cal.p, Cohorts: []Cohort{}}
	if len(customers) == 0 {
		return s, nil
	}
	last := cal.index(customer.DayOf(asOf))
	first := last
	for i := range customers {
		h := customers[i].History
		if len(h) == 0 {
			if customers[i].Orders > 0 {
				return nil, ErrNoHistory
			}
			continue
		}
		if m := cal.index(h[0].Day); m < first {
			first = m
		}
	}
	for i := range customers {
		if h := customers[i].History; len(h) > 0 && cal.index(h[len(h)-1].Day) > last {
			return nil, fmt.Errorf("cohort: customer purchase in %s after as-of %s", cal.name(cal.index(h[len(h)-1].Day)), asOf.Format(time.DateOnly))
		}
	}
	if p.Periods > 0 {
		first = max(first, last-p.Periods+1)
	}
	rows := last - first + 1
	// width is how many offsets cohort r is followed for.
	width := func(r int) int {
		if p.Periods > 0 {
			return min(rows-r, p.Periods)
		}
		return rows - r
	}
	size := make([]int64, rows)
	active := make([][]int64, rows)
	rev := make([][]txn.Money, rows)
	for r := range rows {
		active[r] = make([]int64, width(r))
		rev[r] = make([]txn.Money, width(r))
	}
	for i := range customers {
		h := customers[i].History
		if len(h) == 0 {
			continue
		}
		c := cal.index(h[0].Day) - first
		if c < 0 {
			continue // acquired before the oldest cohort kept
		}
		size[c]++
		prev := -1
		var m int
		next := customer.Day(math.MinInt32)
		for _, d := range h {
			if d.Day >= next {
				m, next = cal.span(d.Day)
			}
			k := m - first - c
			if k >= len(active[c]) {
				break // followed for Periods periods only
			}
			if k != prev { // History is ascending, so offsets are too
				active[c][k]++
				prev = k
			}
			rev[c][k] += d.Amount
		}
	}
	for r := range rows {
		co := Cohort{Month: cal.name(first + r), Customers: size[r], Active: active[r], Retention: make([]float64, len(active[r])), Revenue: make([]float64, len(active[r]))}
		for k := range active[r] {
			if size[r] > 0 {
				co.Retention[k] = float64(active[r][k]) / float64(size[r])
			}
			co.Revenue[k] = rev[r][k].Float()
		}
		s.Cohorts = append(s.Cohorts, co)
	}
	return s, nil
}
