package cohort

import (
	"reflect"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
)

// TestBuildWithPeriods: the same purchases give different matrices by
// period and count, each computed by hand.
func TestBuildWithPeriods(t *testing.T) {
	asOf := time.Date(2024, 4, 15, 0, 0, 0, 0, time.UTC)
	cs := []customer.Customer{
		c("2024-01-05", "2024-02-10", "2024-04-01"), // Q1: offsets 0, 1 (April)
		c("2024-01-20", "2024-01-25"),
		c("2024-02-01", "2024-03-31"),
		c("2023-11-11", "2024-01-02"), // Q4 2023, back in Q1
	}
	tests := []struct {
		name   string
		p      Params
		period Period
		want   []Cohort
	}{
		{
			// Quarters: 2023-Q4 (1 customer, back in Q1), 2024-Q1 (3: one back in Q2), 2024-Q2 (empty).
			name: "quarters, all", p: Params{Period: Quarter}, period: Quarter,
			want: []Cohort{
				{Month: "2023-Q4", Customers: 1, Active: []int64{1, 1, 0}, Retention: []float64{1, 1, 0}, Revenue: []float64{10, 10, 0}},
				{Month: "2024-Q1", Customers: 3, Active: []int64{3, 1}, Retention: []float64{1, 1.0 / 3}, Revenue: []float64{60, 10}},
				{Month: "2024-Q2", Customers: 0, Active: []int64{0}, Retention: []float64{0}, Revenue: []float64{0}},
			},
		},
		{
			// periods: 2 keeps 2024-Q1 and 2024-Q2; 2023-Q4's customer drops out.
			name: "quarters, periods 2", p: Params{Period: Quarter, Periods: 2}, period: Quarter,
			want: []Cohort{
				{Month: "2024-Q1", Customers: 3, Active: []int64{3, 1}, Retention: []float64{1, 1.0 / 3}, Revenue: []float64{60, 10}},
				{Month: "2024-Q2", Customers: 0, Active: []int64{0}, Retention: []float64{0}, Revenue: []float64{0}},
			},
		},
		{
			// Months, periods 3: cohorts Feb, Mar, Apr 2024; each followed for
			// at most 3 months (Feb: Feb, Mar, Apr).
			name: "months, periods 3", p: Params{Periods: 3}, period: Month,
			want: []Cohort{
				{Month: "2024-02", Customers: 1, Active: []int64{1, 1, 0}, Retention: []float64{1, 1, 0}, Revenue: []float64{10, 10, 0}},
				{Month: "2024-03", Customers: 0, Active: []int64{0, 0}, Retention: []float64{0, 0}, Revenue: []float64{0, 0}},
				{Month: "2024-04", Customers: 0, Active: []int64{0}, Retention: []float64{0}, Revenue: []float64{0}},
			},
		},
		{
			// Months, periods 1: only April's cohort (empty), followed one month.
			name: "months, periods 1", p: Params{Periods: 1}, period: Month,
			want: []Cohort{{Month: "2024-04", Customers: 0, Active: []int64{0}, Retention: []float64{0}, Revenue: []float64{0}}},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := BuildWith(cs, asOf, tt.p)
			if err != nil {
				t.Fatal(err)
			}
			if s.Period != tt.period {
				t.Errorf("period = %q, want %q", s.Period, tt.period)
			}
			if !reflect.DeepEqual(s.Cohorts, tt.want) {
				t.Errorf("cohorts =\n%+v\nwant\n%+v", s.Cohorts, tt.want)
			}
		})
	}
}

// TestBuildWeeks: ISO weeks start on Monday and are labelled with the ISO
// year (2024-12-30 is in 2025-W01).
func TestBuildWeeks(t *testing.T) {
	asOf := time.Date(2025, 1, 8, 0, 0, 0, 0, time.UTC) // Wednesday of 2025-W02
	cs := []customer.Customer{
		c("2024-12-29", "2024-12-30"), // Sunday of 2024-W52, then Monday of 2025-W01
		c("2025-01-05", "2025-01-06"), // Sunday of 2025-W01, Monday of 2025-W02
	}
	s, err := BuildWith(cs, asOf, Params{Period: Week, Periods: 2})
	if err != nil {
		t.Fatal(err)
	}
	want := []Cohort{
		{Month: "2025-W01", Customers: 1, Active: []int64{1, 1}, Retention: []float64{1, 1}, Revenue: []float64{10, 10}},
		{Month: "2025-W02", Customers: 0, Active: []int64{0}, Retention: []float64{0}, Revenue: []float64{0}},
	}
	if !reflect.DeepEqual(s.Cohorts, want) {
		t.Errorf("cohorts =\n%+v\nwant\n%+v", s.Cohorts, want)
	}
	all, err := BuildWith(cs, asOf, Params{Period: Week})
	if err != nil {
		t.Fatal(err)
	}
	if got := all.Cohorts[0]; got.Month != "2024-W52" || got.Customers != 1 || !reflect.DeepEqual(got.Active, []int64{1, 1, 0}) {
		t.Errorf("first weekly cohort = %+v, want 2024-W52 with 1 customer active [1 1 0]", got)
	}
	if err := (Params{Period: "day"}).Validate(); err == nil {
		t.Error("period day validated")
	}
}
