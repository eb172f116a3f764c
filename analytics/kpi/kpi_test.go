package kpi

import (
	"math"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

var asOf = time.Date(2024, 6, 30, 12, 0, 0, 0, time.UTC)

func day(ago int) customer.Day { return customer.DayOf(asOf) - customer.Day(ago) }

// c builds a customer from purchase days (days before asOf) and amounts.
func c(id string, days []int, amounts []float64) customer.Customer {
	cu := customer.Customer{ID: id}
	for i := len(days) - 1; i >= 0; i-- { // History ascending: oldest (largest ago) first
		cu.History = append(cu.History, customer.DayAmount{Day: day(days[i]), Amount: txn.MoneyFromFloat(amounts[i]), Orders: 1})
		cu.Revenue += txn.MoneyFromFloat(amounts[i])
		cu.Orders++
	}
	cu.First = cu.History[0].Day.Time()
	cu.Last = cu.History[len(cu.History)-1].Day.Time().Add(15 * time.Hour)
	return cu
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestCompute(t *testing.T) {
	// Days are listed most recent first.
	cs := []customer.Customer{
		c("a", []int{0, 10}, []float64{20, 30}),   // recency 0, 2 orders
		c("b", []int{45}, []float64{10}),          // recency 45
		c("c", []int{90, 200}, []float64{40, 60}), // recency 90: not active
		c("d", []int{180}, []float64{5}),          // recency 180: churned
		c("e", []int{400, 500, 600}, []float64{10, 10, 15}),
	}
	s, err := Compute(cs, asOf, Params{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	checks := []struct {
		name      string
		got, want float64
	}{
		{"customers", float64(s.Customers), 5},
		{"active", float64(s.ActiveCustomers), 2},
		{"churned", float64(s.ChurnedCustomers), 2},
		{"churn rate", s.ChurnRate, 0.4},
		{"repeat", float64(s.RepeatCustomers), 3},
		{"repurchase rate", s.RepurchaseRate, 0.6},
		{"orders", float64(s.Orders), 9},
		{"revenue", s.Revenue, 200},
		{"aov", s.AverageOrderValue, 200.0 / 9},
		{"revenue per customer", s.RevenuePerCustomer, 40},
		{"orders per customer", s.OrdersPerCustomer, 1.8},
	}
	for _, ch := range checks {
		if !near(ch.got, ch.want) {
			t.Errorf("%s = %v, want %v", ch.name, ch.got, ch.want)
		}
	}
	wantBuckets := []struct {
		label string
		n     int64
	}{{"0-30", 1}, {"31-60", 1}, {"61-90", 1}, {"91-180", 1}, {"181-365", 0}, {"366+", 1}}
	if len(s.RecencyDistribution) != len(wantBuckets) {
		t.Fatalf("buckets = %+v", s.RecencyDistribution)
	}
	for i, w := range wantBuckets {
		b := s.RecencyDistribution[i]
		if b.Label != w.label || b.Customers != w.n || !near(b.Share, float64(w.n)/5) {
			t.Errorf("bucket %d = %+v, want %s: %d", i, b, w.label, w.n)
		}
	}
	if last := s.RecencyDistribution[5]; last.MaxDays != nil || last.MinDays != 366 {
		t.Errorf("open bucket = %+v", last)
	}
	if s.Campaign != nil {
		t.Error("campaign KPIs without contacts")
	}
}

func TestComputeEdgeCases(t *testing.T) {
	s, err := Compute(nil, asOf, Params{}, nil)
	if err != nil {
		t.Fatal(err)
	}
	if s.Customers != 0 || s.ChurnRate != 0 || s.AverageOrderValue != 0 || len(s.RecencyDistribution) != 6 {
		t.Errorf("empty = %+v", s)
	}
	// Single customer, one order, bought today.
	s, _ = Compute([]customer.Customer{c("a", []int{0}, []float64{12.5})}, asOf, Params{}, nil)
	if s.ActiveCustomers != 1 || s.RepurchaseRate != 0 || s.AverageOrderValue != 12.5 || s.RecencyDistribution[0].Share != 1 {
		t.Errorf("single = %+v", s)
	}
	// All orders on one day, one order each.
	s, _ = Compute([]customer.Customer{c("a", []int{40}, []float64{1}), c("b", []int{40}, []float64{3}), c("c", []int{40}, []float64{2})}, asOf, Params{}, nil)
	if s.ActiveCustomers != 3 || s.RepurchaseRate != 0 || s.AverageOrderValue != 2 || s.RecencyDistribution[1].Customers != 3 || s.ChurnRate != 0 {
		t.Errorf("one day = %+v", s)
	}
	// Custom buckets and windows.
	s, _ = Compute([]customer.Customer{c("a", []int{7}, []float64{1}), c("b", []int{8}, []float64{1})}, asOf, Params{ActiveDays: 8, ChurnDays: 8, RecencyBuckets: []int{7}}, nil)
	if s.ActiveCustomers != 1 || s.ChurnedCustomers != 1 || s.RecencyDistribution[0].Label != "0-7" || s.RecencyDistribution[1].Label != "8+" || s.RecencyDistribution[1].Customers != 1 {
		t.Errorf("custom = %+v", s)
	}
}

func TestValidate(t *testing.T) {
	for _, p := range []Params{{RecencyBuckets: []int{30, 30}}, {RecencyBuckets: []int{-1}}, {Margin: 1.5}} {
		if _, err := Compute(nil, asOf, p, nil); err == nil {
			t.Errorf("Compute(%+v) accepted invalid params", p)
		}
	}
}

func TestCampaign(t *testing.T) {
	cs := []customer.Customer{
		c("a", []int{5, 20}, []float64{50, 30}), // contacted 25 days ago: buys at 20 and 5 → both within 30 days
		c("b", []int{100}, []float64{70}),       // contacted 40 days ago: no purchase after
		c("c", []int{10}, []float64{40}),        // contacted twice: 50 (no) and 12 (yes, day 10)
	}
	at := func(ago int) time.Time { return day(ago).Time().Add(10 * time.Hour) }
	contacts := []Contact{
		{Customer: "a", Time: at(25), Cost: txn.MoneyFromFloat(2)},
		{Customer: "b", Time: at(40), Cost: txn.MoneyFromFloat(2)},
		{Customer: "c", Time: at(50), Cost: txn.MoneyFromFloat(2)},
		{Customer: "c", Time: at(12), Cost: txn.MoneyFromFloat(2)},
		{Customer: "z", Time: at(12), Cost: txn.MoneyFromFloat(2)}, // never bought
	}
	s, err := Compute(cs, asOf, Params{Margin: 0.5, ResponseDays: 30}, contacts)
	if err != nil {
		t.Fatal(err)
	}
	cp := s.Campaign
	if cp == nil {
		t.Fatal("no campaign KPIs")
	}
	// Attributed: a 50+30, c 40 = 120; cost 10; ROI = (0.5*120-10)/10 = 5.
	if cp.Contacts != 5 || cp.ContactedCustomers != 4 || cp.Responses != 2 || cp.RespondingCustomers != 2 ||
		!near(cp.ResponseRate, 0.4) || !near(cp.Cost, 10) || !near(cp.AttributedRevenue, 120) || cp.ROI == nil || !near(*cp.ROI, 5) {
		t.Errorf("campaign = %+v roi=%v", cp, cp.ROI)
	}
}

func TestCampaignWindowEdges(t *testing.T) {
	cs := []customer.Customer{c("a", []int{0, 30, 31}, []float64{1, 2, 4})}
	// Contact on day 30 ago at 23:00: the purchase that day counts, and the one 30 days later (today) too; day 31 is before.
	contacts := []Contact{{Customer: "a", Time: day(30).Time().Add(23 * time.Hour)}}
	s, err := Compute(cs, asOf, Params{ResponseDays: 30}, contacts)
	if err != nil {
		t.Fatal(err)
	}
	if s.Campaign.Responses != 1 || !near(s.Campaign.AttributedRevenue, 3) || s.Campaign.ROI != nil {
		t.Errorf("campaign = %+v", s.Campaign)
	}
}

// TestCampaignDefaultWindow: without ResponseDays the window is the API's
// default of 14 days (responseWindow 336h): a purchase 14 days after the
// contact answers it, one 15 days after does not.
func TestCampaignDefaultWindow(t *testing.T) {
	if DefaultResponseDays != 14 || (Params{}).WithDefaults().ResponseDays != 14 {
		t.Fatalf("default response window %d days, want 14", (Params{}).WithDefaults().ResponseDays)
	}
	cs := []customer.Customer{c("a", []int{6}, []float64{5}), c("b", []int{5}, []float64{7})}
	contacts := []Contact{{Customer: "a", Time: day(20).Time()}, {Customer: "b", Time: day(20).Time()}}
	s, err := Compute(cs, asOf, Params{}, contacts)
	if err != nil {
		t.Fatal(err)
	}
	if s.Campaign.Responses != 1 || !near(s.Campaign.AttributedRevenue, 5) || s.Params.ResponseDays != 14 {
		t.Errorf("campaign = %+v, params %+v", s.Campaign, s.Params)
	}
}

func TestCampaignNeedsHistory(t *testing.T) {
	cu := c("a", []int{1}, []float64{1})
	cu.History = nil
	_, err := Compute([]customer.Customer{cu}, asOf, Params{}, []Contact{{Customer: "a", Time: asOf}})
	if err == nil || !strings.Contains(err.Error(), "needs purchase history") {
		t.Errorf("err = %v", err)
	}
}
