// Package cohort builds the monthly acquisition cohort retention matrix.
//
// A customer's cohort is the calendar month of their first purchase. For each
// cohort and each month offset k (0 = the acquisition month), Active[k] counts
// the cohort's customers who bought at least once in month cohort+k, and
// Retention[k] = Active[k] / cohort size (so Retention[0] is 1 for every
// non-empty cohort). Revenue[k] sums those purchases. The matrix is
// triangular: a cohort has offsets up to the month of asOf. Every month from
// the first cohort to asOf's month is listed, empty months included, so rows
// line up. Months are calendar months of the analysis time zone.
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

// Cohort is one row of the retention matrix.
type Cohort struct {
	Month     string    `json:"month"` // "2006-01"
	Customers int64     `json:"customers"`
	Active    []int64   `json:"active"`
	Retention []float64 `json:"retention"`
	Revenue   []float64 `json:"revenue"`
}

// Summary is the retention matrix, oldest cohort first.
type Summary struct {
	Cohorts []Cohort `json:"cohorts"`
}

func monthIndex(d customer.Day) int {
	t := d.Time()
	return t.Year()*12 + int(t.Month()) - 1
}

// monthSpan returns the month index of d and the first day of the next
// month, so a walk over ascending days converts a date once per month.
func monthSpan(d customer.Day) (idx int, next customer.Day) {
	t := d.Time()
	idx = t.Year()*12 + int(t.Month()) - 1
	return idx, customer.DayOf(time.Date(t.Year(), t.Month()+1, 1, 0, 0, 0, 0, time.UTC))
}

func monthName(idx int) string {
	return time.Date(idx/12, time.Month(idx%12+1), 1, 0, 0, 0, 0, time.UTC).Format("2006-01")
}

// Build computes the retention matrix at asOf. Customers need History.
func Build(customers []customer.Customer, asOf time.Time) (*Summary, error) {
	s := &Summary{Cohorts: []Cohort{}}
	if len(customers) == 0 {
		return s, nil
	}
	last := monthIndex(customer.DayOf(asOf))
	first := last
	for i := range customers {
		h := customers[i].History
		if len(h) == 0 {
			if customers[i].Orders > 0 {
				return nil, ErrNoHistory
			}
			continue
		}
		if m := monthIndex(h[0].Day); m < first {
			first = m
		}
	}
	for i := range customers {
		if h := customers[i].History; len(h) > 0 && monthIndex(h[len(h)-1].Day) > last {
			return nil, fmt.Errorf("cohort: customer purchase in %s after as-of %s", monthName(monthIndex(h[len(h)-1].Day)), asOf.Format(time.DateOnly))
		}
	}
	rows := last - first + 1
	size := make([]int64, rows)
	active := make([][]int64, rows)
	rev := make([][]txn.Money, rows)
	for r := range rows {
		active[r] = make([]int64, rows-r)
		rev[r] = make([]txn.Money, rows-r)
	}
	for i := range customers {
		h := customers[i].History
		if len(h) == 0 {
			continue
		}
		c := monthIndex(h[0].Day) - first
		size[c]++
		prev := -1
		var m int
		next := customer.Day(math.MinInt32)
		for _, d := range h {
			if d.Day >= next {
				m, next = monthSpan(d.Day)
			}
			k := m - first - c
			if k != prev { // History is ascending, so offsets are too
				active[c][k]++
				prev = k
			}
			rev[c][k] += d.Amount
		}
	}
	for r := range rows {
		co := Cohort{Month: monthName(first + r), Customers: size[r], Active: active[r], Retention: make([]float64, len(active[r])), Revenue: make([]float64, len(active[r]))}
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
