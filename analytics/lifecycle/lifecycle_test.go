package lifecycle

import (
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

var asOf = time.Date(2024, 6, 30, 9, 0, 0, 0, time.UTC)

// c builds a customer with first and last purchase the given days before asOf.
func c(id string, firstAgo, lastAgo int, orders int64, revenue float64) customer.Customer {
	return customer.Customer{ID: id, First: asOf.AddDate(0, 0, -firstAgo), Last: asOf.AddDate(0, 0, -lastAgo).Add(-time.Hour), Orders: orders, Revenue: txn.MoneyFromFloat(revenue)}
}

func TestStageOf(t *testing.T) {
	p := Params{}.WithDefaults()
	tests := []struct {
		name string
		c    customer.Customer
		want Stage
	}{
		{"churned at exactly 180 days", c("a", 400, 180, 9, 1), Churned},
		{"at risk at 179 days", c("a", 400, 179, 9, 1), AtRisk},
		{"at risk at exactly 90 days", c("a", 400, 90, 1, 1), AtRisk},
		{"active at 89 days", c("a", 400, 89, 1, 1), Active},
		{"new: first purchase 29 days ago", c("a", 29, 29, 1, 1), New},
		{"not new at 30 days", c("a", 30, 30, 1, 1), Active},
		{"new beats loyal", c("a", 10, 0, 8, 1), New},
		{"loyal at 5 orders", c("a", 300, 5, 5, 1), Loyal},
		{"active at 4 orders", c("a", 300, 5, 4, 1), Active},
		{"bought today only", c("a", 0, 0, 1, 1), New},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if got := StageOf(&tt.c, asOf, p); got != tt.want {
				t.Errorf("got %s, want %s", got, tt.want)
			}
		})
	}
}

func TestAssign(t *testing.T) {
	cs := []customer.Customer{
		c("a", 10, 1, 1, 10),    // new
		c("b", 300, 5, 6, 100),  // loyal
		c("c", 300, 100, 2, 40), // at risk
		c("d", 400, 200, 1, 50), // churned
		c("e", 60, 20, 2, 0),    // active
	}
	prev := map[string]Stage{"b": Active, "c": Active, "d": AtRisk, "x": Loyal}
	stages, sum, err := Assign(cs, asOf, Params{}, prev)
	if err != nil {
		t.Fatal(err)
	}
	if want := []Stage{New, Loyal, AtRisk, Churned, Active}; !reflect.DeepEqual(stages, want) {
		t.Errorf("stages = %v, want %v", stages, want)
	}
	wantCounts := map[Stage][2]float64{New: {1, 10}, Active: {1, 0}, Loyal: {1, 100}, AtRisk: {1, 40}, Churned: {1, 50}}
	for _, s := range sum.Stages {
		w := wantCounts[s.Name]
		if float64(s.Customers) != w[0] || s.Revenue != w[1] || math.Abs(s.RevenueShare-w[1]/200) > 1e-12 {
			t.Errorf("stage %+v, want customers %v revenue %v", s, w[0], w[1])
		}
	}
	wantTrans := []Transition{
		{From: Active, To: Loyal, Customers: 1},
		{From: Active, To: AtRisk, Customers: 1},
		{From: Loyal, To: None, Customers: 1},
		{From: AtRisk, To: Churned, Customers: 1},
		{From: None, To: New, Customers: 1},
		{From: None, To: Active, Customers: 1},
	}
	if !reflect.DeepEqual(sum.Transitions, wantTrans) {
		t.Errorf("transitions = %+v\nwant %+v", sum.Transitions, wantTrans)
	}
}

func TestAssignEdgeCases(t *testing.T) {
	stages, sum, err := Assign(nil, asOf, Params{}, nil)
	if err != nil || len(stages) != 0 || len(sum.Stages) != 5 || sum.Transitions != nil {
		t.Fatalf("empty: %v %+v %v", stages, sum, err)
	}
	for _, s := range sum.Stages {
		if s.Customers != 0 || s.RevenueShare != 0 {
			t.Errorf("empty stage %+v", s)
		}
	}
	// All orders on one day, one order each.
	cs := []customer.Customer{c("a", 100, 100, 1, 1), c("b", 100, 100, 1, 2)}
	stages, _, err = Assign(cs, asOf, Params{}, nil)
	if err != nil || !reflect.DeepEqual(stages, []Stage{AtRisk, AtRisk}) {
		t.Errorf("one day: %v %v", stages, err)
	}
	// Custom thresholds.
	stages, sum, err = Assign([]customer.Customer{c("a", 100, 40, 3, 1)}, asOf, Params{AtRiskDays: 30, ChurnDays: 60, NewDays: 7, LoyalOrders: 3}, nil)
	if err != nil || stages[0] != AtRisk || sum.Params.ChurnDays != 60 {
		t.Errorf("custom: %v %+v %v", stages, sum, err)
	}
}

func TestValidate(t *testing.T) {
	tests := []struct {
		p       Params
		wantErr string
	}{
		{Params{}, ""},
		{Params{AtRiskDays: 200}, "atRiskDays (200) must be below churnDays (180)"},
		{Params{NewDays: 100}, "newDays (100) must not exceed atRiskDays (90)"},
	}
	for _, tt := range tests {
		err := tt.p.Validate()
		if (err == nil) != (tt.wantErr == "") || (err != nil && !strings.Contains(err.Error(), tt.wantErr)) {
			t.Errorf("Validate(%+v) = %v, want %q", tt.p, err, tt.wantErr)
		}
		if _, _, aerr := Assign(nil, asOf, tt.p, nil); (aerr == nil) != (err == nil) {
			t.Errorf("Assign error %v disagrees with Validate %v", aerr, err)
		}
	}
}

func TestParseStage(t *testing.T) {
	for _, s := range Stages {
		if got, err := ParseStage(string(s)); err != nil || got != s {
			t.Errorf("ParseStage(%q) = %v, %v", s, got, err)
		}
	}
	if _, err := ParseStage("sleeping"); err == nil {
		t.Error("want error for unknown stage")
	}
}
