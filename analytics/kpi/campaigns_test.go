package kpi

import (
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

// TestPerCampaign splits the contacts of TestCampaign into two campaigns
// and checks each campaign's figures by hand.
func TestPerCampaign(t *testing.T) {
	cs := []customer.Customer{
		c("a", []int{5, 20}, []float64{50, 30}),
		c("b", []int{100}, []float64{70}),
		c("c", []int{10}, []float64{40}),
	}
	at := func(ago int) time.Time { return day(ago).Time().Add(10 * time.Hour) }
	two := txn.MoneyFromFloat(2)
	contacts := []Contact{
		{Customer: "a", Time: at(25), Cost: two, Campaign: "spring"}, // answered: 50 + 30
		{Customer: "b", Time: at(40), Cost: two, Campaign: "spring"}, // not answered
		{Customer: "c", Time: at(50), Cost: two, Campaign: "winback"},
		{Customer: "c", Time: at(12), Cost: two, Campaign: "winback"}, // answered: 40
		{Customer: "z", Time: at(12), Cost: two, Campaign: "winback"},
	}
	s, err := Compute(cs, asOf, Params{Margin: 0.5, ResponseDays: 30}, contacts)
	if err != nil {
		t.Fatal(err)
	}
	// spring: 2 contacts, 1 answered, revenue 80, cost 4, ROI (40-4)/4 = 9.
	// winback: 3 contacts, 1 answered, revenue 40, cost 6, ROI (20-6)/6 = 7/3.
	roi := func(v float64) *float64 { return &v }
	want := []CampaignFigure{
		{Campaign: "spring", Contacted: 2, Responded: 1, ResponseRate: 0.5, Revenue: 80, Cost: 4, ROI: roi(9)},
		{Campaign: "winback", Contacted: 3, Responded: 1, ResponseRate: 1.0 / 3, Revenue: 40, Cost: 6, ROI: roi(7.0 / 3)},
	}
	if len(s.Campaigns) != len(want) {
		t.Fatalf("campaigns = %+v, want %d", s.Campaigns, len(want))
	}
	for i, w := range want {
		g := s.Campaigns[i]
		if g.Campaign != w.Campaign || g.Contacted != w.Contacted || g.Responded != w.Responded || !near(g.ResponseRate, w.ResponseRate) ||
			!near(g.Revenue, w.Revenue) || !near(g.Cost, w.Cost) || g.ROI == nil || !near(*g.ROI, *w.ROI) {
			t.Errorf("campaign %d = %+v roi=%v, want %+v roi=%v", i, g, g.ROI, w, *w.ROI)
		}
	}
	// The overall figures are unchanged by the split.
	if s.Campaign.Contacts != 5 || !near(s.Campaign.AttributedRevenue, 120) {
		t.Errorf("overall campaign = %+v", s.Campaign)
	}
	// Without campaign names there are no per-campaign figures.
	for i := range contacts {
		contacts[i].Campaign = ""
	}
	if s, _ := Compute(cs, asOf, Params{}, contacts); s.Campaigns != nil {
		t.Errorf("campaigns without names = %+v", s.Campaigns)
	}
}

func TestReadContactsCampaignColumn(t *testing.T) {
	in := "cust;when;camp\na;2024-06-01;spring\nb;2024-06-02;\n"
	got, rep, err := ReadContactsWith(strings.NewReader(in), "t", ContactFormat{Customer: "cust", Time: "when", Campaign: "camp", Comma: ';'})
	if err != nil {
		t.Fatal(err)
	}
	if len(got) != 1 || got[0].Campaign != "spring" || rep.Rejected != 1 {
		t.Fatalf("contacts = %+v, rejected %d; want one spring contact and the empty campaign rejected", got, rep.Rejected)
	}
	if _, _, err := ReadContactsWith(strings.NewReader("cust;when\n"), "t", ContactFormat{Customer: "cust", Time: "when", Campaign: "camp", Comma: ';'}); err == nil {
		t.Error("a declared campaign column missing from the header was accepted")
	}
}
