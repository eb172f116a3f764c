package cohort

import (
	"errors"
	"reflect"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

// c builds a customer from "2006-01-02" purchase dates with 10.00 spent each day.
func c(dates ...string) customer.Customer {
	var cu customer.Customer
	for _, s := range dates {
		t, err := time.Parse(time.DateOnly, s)
		if err != nil {
			panic(err)
		}
		cu.History = append(cu.History, customer.DayAmount{Day: customer.DayOf(t), Amount: 10 * txn.MoneyScale, Orders: 1})
		cu.Orders++
	}
	return cu
}

func TestBuild(t *testing.T) {
	asOf := time.Date(2024, 4, 15, 0, 0, 0, 0, time.UTC)
	s, err := Build([]customer.Customer{
		c("2024-01-05", "2024-02-10", "2024-04-01"),
		c("2024-01-20", "2024-01-25"),
		c("2024-02-01", "2024-03-31"),
	}, asOf)
	if err != nil {
		t.Fatal(err)
	}
	want := []Cohort{
		{Month: "2024-01", Customers: 2, Active: []int64{2, 1, 0, 1}, Retention: []float64{1, 0.5, 0, 0.5}, Revenue: []float64{30, 10, 0, 10}},
		{Month: "2024-02", Customers: 1, Active: []int64{1, 1, 0}, Retention: []float64{1, 1, 0}, Revenue: []float64{10, 10, 0}},
		{Month: "2024-03", Customers: 0, Active: []int64{0, 0}, Retention: []float64{0, 0}, Revenue: []float64{0, 0}},
		{Month: "2024-04", Customers: 0, Active: []int64{0}, Retention: []float64{0}, Revenue: []float64{0}},
	}
	if !reflect.DeepEqual(s.Cohorts, want) {
		t.Errorf("cohorts =\n%+v\nwant\n%+v", s.Cohorts, want)
	}
}

func TestBuildEdgeCases(t *testing.T) {
	asOf := time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)
	tests := []struct {
		name string
		cs   []customer.Customer
		want []Cohort
	}{
		{"empty", nil, []Cohort{}},
		{"single customer, one order", []customer.Customer{c("2024-01-31")}, []Cohort{{Month: "2024-01", Customers: 1, Active: []int64{1}, Retention: []float64{1}, Revenue: []float64{10}}}},
		{"all on one day", []customer.Customer{c("2024-01-02"), c("2024-01-02"), c("2024-01-02")}, []Cohort{{Month: "2024-01", Customers: 3, Active: []int64{3}, Retention: []float64{1}, Revenue: []float64{30}}}},
		{"year boundary", []customer.Customer{c("2023-12-31", "2024-01-01")}, []Cohort{
			{Month: "2023-12", Customers: 1, Active: []int64{1, 1}, Retention: []float64{1, 1}, Revenue: []float64{10, 10}},
			{Month: "2024-01", Customers: 0, Active: []int64{0}, Retention: []float64{0}, Revenue: []float64{0}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s, err := Build(tt.cs, asOf)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(s.Cohorts, tt.want) {
				t.Errorf("cohorts = %+v, want %+v", s.Cohorts, tt.want)
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	asOf := time.Date(2024, 1, 31, 0, 0, 0, 0, time.UTC)
	if _, err := Build([]customer.Customer{{ID: "a", Orders: 2}}, asOf); !errors.Is(err, ErrNoHistory) {
		t.Errorf("no history: err = %v", err)
	}
	if _, err := Build([]customer.Customer{c("2024-02-01")}, asOf); err == nil {
		t.Error("purchase after as-of accepted")
	}
}
