// Package kpi computes the business KPIs of a customer set: customer counts,
// active customers, churn and repurchase rates, order value, revenue, the
// recency distribution and, when campaign contacts are given, campaign
// response rate and ROI.
//
// Definitions (recency = whole days from the last purchase day to asOf's day):
//   - active customers: recency < ActiveDays (default 90);
//   - churn rate: share of customers with recency ≥ ChurnDays (default 180);
//   - repurchase rate: share of customers with two or more orders;
//   - average order value: revenue / orders;
//   - campaign response: a contact is answered when the contacted customer
//     bought on a day from the contact's day to ResponseDays (default 14, as
//     the ReportSchedule API's responseWindow of 336h) days
//     after it, inclusive (days are calendar days, so a purchase earlier on the
//     contact's day counts); response rate = answered contacts / contacts;
//     attributed revenue = the customer's purchase days inside any of their
//     contact windows, each day counted once; ROI = (Margin × attributed
//     revenue − cost) / cost, with Margin defaulting to 1 (ROI on revenue) and
//     no ROI when the cost is zero.
//
// Rates over zero customers are 0; the customer count says why.
package kpi

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

// Params tune the KPI definitions; zero values take the defaults.
type Params struct {
	ActiveDays int `json:"activeDays"`
	ChurnDays  int `json:"churnDays"`
	// RecencyBuckets are the inclusive upper bounds in days of the recency
	// distribution's buckets, ascending; a final open bucket follows.
	RecencyBuckets []int   `json:"recencyBuckets"`
	ResponseDays   int     `json:"responseDays"`
	Margin         float64 `json:"margin"` // share of revenue that is profit, for ROI; 0 means 1
}

// Defaults for Params.
const (
	DefaultActiveDays   = 90
	DefaultChurnDays    = 180
	DefaultResponseDays = 14 // the API's kpi.responseWindow default (336h)
)

// DefaultRecencyBuckets are the default recency bucket upper bounds.
var DefaultRecencyBuckets = []int{30, 60, 90, 180, 365}

// WithDefaults fills zero fields with the defaults.
func (p Params) WithDefaults() Params {
	if p.ActiveDays <= 0 {
		p.ActiveDays = DefaultActiveDays
	}
	if p.ChurnDays <= 0 {
		p.ChurnDays = DefaultChurnDays
	}
	if len(p.RecencyBuckets) == 0 {
		p.RecencyBuckets = slices.Clone(DefaultRecencyBuckets)
	}
	if p.ResponseDays <= 0 {
		p.ResponseDays = DefaultResponseDays
	}
	if p.Margin <= 0 {
		p.Margin = 1
	}
	return p
}

// Validate checks the bucket bounds and margin.
func (p Params) Validate() error {
	for i, b := range p.RecencyBuckets {
		if b < 0 || (i > 0 && b <= p.RecencyBuckets[i-1]) {
			return fmt.Errorf("kpi: recency buckets must be ascending non-negative day counts, got %v", p.RecencyBuckets)
		}
	}
	if p.Margin > 1 {
		return fmt.Errorf("kpi: margin %v above 1", p.Margin)
	}
	return nil
}

// Contact is one campaign contact of a customer.
type Contact struct {
	Customer string
	Time     time.Time
	Cost     txn.Money
	// Campaign names the campaign; "" when the source maps no campaign
	// column (then no per-campaign figures are reported).
	Campaign string
}

// Summary holds the KPIs.
type Summary struct {
	Params              Params    `json:"params"`
	Customers           int64     `json:"customers"`
	ActiveCustomers     int64     `json:"activeCustomers"`
	ChurnedCustomers    int64     `json:"churnedCustomers"`
	ChurnRate           float64   `json:"churnRate"`
	RepeatCustomers     int64     `json:"repeatCustomers"`
	RepurchaseRate      float64   `json:"repurchaseRate"`
	Orders              int64     `json:"orders"`
	Revenue             float64   `json:"revenue"`
	AverageOrderValue   float64   `json:"averageOrderValue"`
	RevenuePerCustomer  float64   `json:"revenuePerCustomer"`
	OrdersPerCustomer   float64   `json:"ordersPerCustomer"`
	RecencyDistribution []Bucket  `json:"recencyDistribution"`
	Campaign            *Campaign `json:"campaign,omitempty"`
	// Campaigns are the figures of each campaign, by name, when the
	// contacts carry campaign names.
	Campaigns []CampaignFigure `json:"campaigns,omitempty"`
}

// CampaignFigure is the response and return of one campaign: Contacted
// counts its contacts, Responded those followed by a purchase within the
// response window, Revenue the purchase days within the window after any
// of its contacts (each day once per campaign), ROI (margin · revenue −
// cost) / cost, absent when cost is zero.
type CampaignFigure struct {
	Campaign     string   `json:"campaign"`
	Contacted    int64    `json:"contacted"`
	Responded    int64    `json:"responded"`
	ResponseRate float64  `json:"responseRate"`
	Revenue      float64  `json:"revenue"`
	Cost         float64  `json:"cost"`
	ROI          *float64 `json:"roi,omitempty"`
}

// Bucket is one bin of the recency distribution.
type Bucket struct {
	Label     string  `json:"label"`             // e.g. "31-60" or "366+"
	MinDays   int     `json:"minDays"`           // inclusive
	MaxDays   *int    `json:"maxDays,omitempty"` // inclusive; absent for the open last bucket
	Customers int64   `json:"customers"`
	Share     float64 `json:"share"`
}

// Campaign holds the campaign KPIs.
type Campaign struct {
	Contacts            int64    `json:"contacts"`
	ContactedCustomers  int64    `json:"contactedCustomers"`
	Responses           int64    `json:"responses"` // answered contacts
	ResponseRate        float64  `json:"responseRate"`
	RespondingCustomers int64    `json:"respondingCustomers"`
	Cost                float64  `json:"cost"`
	AttributedRevenue   float64  `json:"attributedRevenue"`
	ROI                 *float64 `json:"roi,omitempty"` // absent when cost is zero
	// RejectedContacts and RejectSamples report malformed contact rows
	// (filled by the caller from ReadContacts' report).
	RejectedContacts int64              `json:"rejectedContacts"`
	RejectSamples    []txn.RejectSample `json:"rejectSamples,omitempty"`
}

// Compute returns the KPIs of customers at asOf. contacts may be nil; when
// given, contacted customers need purchase History.
func Compute(customers []customer.Customer, asOf time.Time, p Params, contacts []Contact) (*Summary, error) {
	p = p.WithDefaults()
	if err := p.Validate(); err != nil {
		return nil, err
	}
	s := &Summary{Params: p, Customers: int64(len(customers))}
	today := customer.DayOf(asOf)
	bucketCount := make([]int64, len(p.RecencyBuckets)+1)
	var rev txn.Money
	for i := range customers {
		c := &customers[i]
		rec := int(today - customer.DayOf(c.Last))
		if rec < p.ActiveDays {
			s.ActiveCustomers++
		}
		if rec >= p.ChurnDays {
			s.ChurnedCustomers++
		}
		if c.Orders >= 2 {
			s.RepeatCustomers++
		}
		s.Orders += c.Orders
		rev += c.Revenue
		b, _ := slices.BinarySearch(p.RecencyBuckets, rec) // first bound ≥ rec
		bucketCount[b]++
	}
	s.Revenue = rev.Float()
	if s.Customers > 0 {
		n := float64(s.Customers)
		s.ChurnRate = float64(s.ChurnedCustomers) / n
		s.RepurchaseRate = float64(s.RepeatCustomers) / n
		s.RevenuePerCustomer = s.Revenue / n
		s.OrdersPerCustomer = float64(s.Orders) / n
	}
	if s.Orders > 0 {
		s.AverageOrderValue = s.Revenue / float64(s.Orders)
	}
	lo := 0
	for i, n := range bucketCount {
		b := Bucket{MinDays: lo, Customers: n}
		if i < len(p.RecencyBuckets) {
			hi := p.RecencyBuckets[i]
			b.MaxDays = &hi
			b.Label = strconv.Itoa(lo) + "-" + strconv.Itoa(hi)
			lo = hi + 1
		} else {
			b.Label = strconv.Itoa(lo) + "+"
		}
		if s.Customers > 0 {
			b.Share = float64(n) / float64(s.Customers)
		}
		s.RecencyDistribution = append(s.RecencyDistribution, b)
	}
	if contacts != nil {
		camp, err := campaign(customers, p, contacts)
		if err != nil {
			return nil, err
		}
		s.Campaign = camp
		if s.Campaigns, err = campaigns(customers, p, contacts); err != nil {
			return nil, err
		}
	}
	return s, nil
}

// campaigns computes the per-campaign figures, ordered by campaign name;
// nil when no contact names a campaign.
func campaigns(customers []customer.Customer, p Params, contacts []Contact) ([]CampaignFigure, error) {
	byCampaign := map[string][]Contact{}
	for _, ct := range contacts {
		if ct.Campaign != "" {
			byCampaign[ct.Campaign] = append(byCampaign[ct.Campaign], ct)
		}
	}
	if len(byCampaign) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(byCampaign))
	for n := range byCampaign {
		names = append(names, n)
	}
	slices.Sort(names)
	out := make([]CampaignFigure, 0, len(names))
	for _, n := range names {
		c, err := campaign(customers, p, byCampaign[n])
		if err != nil {
			return nil, err
		}
		out = append(out, CampaignFigure{Campaign: n, Contacted: c.Contacts, Responded: c.Responses, ResponseRate: c.ResponseRate,
			Revenue: c.AttributedRevenue, Cost: c.Cost, ROI: c.ROI})
	}
	return out, nil
}

func campaign(customers []customer.Customer, p Params, contacts []Contact) (*Campaign, error) {
	byCustomer := map[string][]customer.Day{}
	camp := &Campaign{Contacts: int64(len(contacts))}
	var cost txn.Money
	for _, ct := range contacts {
		if strings.TrimSpace(ct.Customer) == "" {
			return nil, fmt.Errorf("kpi: campaign contact without customer ID")
		}
		byCustomer[ct.Customer] = append(byCustomer[ct.Customer], customer.DayOf(ct.Time))
		cost += ct.Cost
	}
	camp.ContactedCustomers = int64(len(byCustomer))
	camp.Cost = cost.Float()
	var attributed txn.Money
	for id, days := range byCustomer {
		i, found := slices.BinarySearchFunc(customers, id, func(c customer.Customer, id string) int { return strings.Compare(c.ID, id) })
		if !found {
			continue // contacted but never bought: no response
		}
		c := &customers[i]
		if c.History == nil {
			return nil, fmt.Errorf("kpi: campaign response needs purchase history, customer set was built without it")
		}
		answered := false
		for _, d := range days {
			if inWindow(c.History, d, p.ResponseDays) {
				camp.Responses++
				answered = true
			}
		}
		if answered {
			camp.RespondingCustomers++
		}
		for _, h := range c.History {
			for _, d := range days {
				if h.Day >= d && h.Day <= d+customer.Day(p.ResponseDays) {
					attributed += h.Amount
					break
				}
			}
		}
	}
	camp.AttributedRevenue = attributed.Float()
	if camp.Contacts > 0 {
		camp.ResponseRate = float64(camp.Responses) / float64(camp.Contacts)
	}
	if cost > 0 {
		roi := (p.Margin*camp.AttributedRevenue - camp.Cost) / camp.Cost
		camp.ROI = &roi
	}
	return camp, nil
}

// inWindow reports whether history (ascending) has a purchase day in [d, d+n].
func inWindow(h []customer.DayAmount, d customer.Day, n int) bool {
	i, _ := slices.BinarySearchFunc(h, d, func(a customer.DayAmount, d customer.Day) int { return int(a.Day) - int(d) })
	return i < len(h) && h[i].Day <= d+customer.Day(n)
}
