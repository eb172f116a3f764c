package vip

import (
	"errors"
	"fmt"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
)

// DropConfig parameterises the activity-drop detector.
type DropConfig struct {
	AsOf time.Time `json:"asOf"` // end of the recent window (inclusive day)
	// RecentDays is the recent window length; default 90.
	RecentDays int `json:"recentDays"`
	// BaselineDays is how far before the recent window the baseline reaches;
	// 0 means the customer's whole earlier history. The baseline never starts
	// before the customer's first purchase.
	BaselineDays int `json:"baselineDays"`
	// Threshold is the relative drop (0.4 = 40% lower than baseline) from which
	// a customer is flagged, for frequency or spend; default 0.4.
	Threshold float64 `json:"threshold"`
	// MinBaselinePurchases is the fewest baseline purchase days for a fair
	// comparison; default 3. Customers with fewer, or a baseline shorter than
	// the recent window, are not judged.
	MinBaselinePurchases int `json:"minBaselinePurchases"`
}

func (c DropConfig) withDefaults() (DropConfig, error) {
	if c.RecentDays == 0 {
		c.RecentDays = 90
	}
	if c.Threshold == 0 {
		c.Threshold = 0.4
	}
	if c.MinBaselinePurchases == 0 {
		c.MinBaselinePurchases = 3
	}
	switch {
	case c.AsOf.IsZero():
		return c, errors.New("vip: activity-drop check needs an as-of time")
	case c.RecentDays < 1 || c.BaselineDays < 0:
		return c, fmt.Errorf("vip: recent window %d and baseline %d days must be positive", c.RecentDays, c.BaselineDays)
	case !(c.Threshold > 0 && c.Threshold <= 1):
		return c, fmt.Errorf("vip: drop threshold must be in (0, 1], got %g", c.Threshold)
	case c.MinBaselinePurchases < 1:
		return c, fmt.Errorf("vip: minBaselinePurchases must be ≥ 1, got %d", c.MinBaselinePurchases)
	}
	return c, nil
}

// Drop is one customer's comparison of the recent window with their baseline.
// Rates are per 30 days. It is per-customer data: keep it out of summaries.
type Drop struct {
	ID                string  `json:"id"`
	Judged            bool    `json:"judged"` // false when the baseline is too thin
	BaselineFrequency float64 `json:"baselineFrequency"`
	RecentFrequency   float64 `json:"recentFrequency"`
	FrequencyDrop     float64 `json:"frequencyDrop"` // 1 − recent/baseline
	BaselineSpend     float64 `json:"baselineSpend"`
	RecentSpend       float64 `json:"recentSpend"`
	SpendDrop         float64 `json:"spendDrop"`
	Flagged           bool    `json:"flagged"`
	FrequencyFlag     bool    `json:"frequencyFlag"`
	SpendFlag         bool    `json:"spendFlag"`
}

// DropSummary counts the detector's outcome without naming customers.
type DropSummary struct {
	Config        DropConfig `json:"config"`
	Checked       int        `json:"checked"`
	Judged        int        `json:"judged"`
	Flagged       int        `json:"flagged"`
	FrequencyFlag int        `json:"frequencyFlagged"`
	SpendFlag     int        `json:"spendFlagged"`
}

// DetectDrops compares every customer's recent window with their own baseline
// (purchase days and spend per 30 days) from History.
func DetectDrops(customers []customer.Customer, cfg DropConfig) ([]Drop, DropSummary, error) {
	cfg, err := cfg.withDefaults()
	if err != nil {
		return nil, DropSummary{}, err
	}
	sum := DropSummary{Config: cfg}
	end := customer.DayOf(cfg.AsOf)
	recentStart := end - customer.Day(cfg.RecentDays) + 1
	out := make([]Drop, 0, len(customers))
	for _, c := range customers {
		sum.Checked++
		d := Drop{ID: c.ID}
		if len(c.History) == 0 {
			out = append(out, d)
			continue
		}
		baseStart := c.History[0].Day
		if cfg.BaselineDays > 0 {
			baseStart = max(baseStart, recentStart-customer.Day(cfg.BaselineDays))
		}
		var baseN, recentN int
		var baseSpend, recentSpend float64
		for _, h := range c.History {
			switch {
			case h.Day > end:
			case h.Day >= recentStart:
				recentN++
				recentSpend += h.Amount.Float()
			case h.Day >= baseStart:
				baseN++
				baseSpend += h.Amount.Float()
			}
		}
		baseLen := float64(recentStart - baseStart)
		if baseLen < float64(cfg.RecentDays) || baseN < cfg.MinBaselinePurchases {
			out = append(out, d)
			continue
		}
		d.Judged = true
		sum.Judged++
		recLen := float64(cfg.RecentDays)
		d.BaselineFrequency = float64(baseN) / baseLen * 30
		d.RecentFrequency = float64(recentN) / recLen * 30
		d.FrequencyDrop = 1 - d.RecentFrequency/d.BaselineFrequency
		d.BaselineSpend = baseSpend / baseLen * 30
		d.RecentSpend = recentSpend / recLen * 30
		if d.BaselineSpend > 0 {
			d.SpendDrop = 1 - d.RecentSpend/d.BaselineSpend
		}
		d.FrequencyFlag = d.FrequencyDrop >= cfg.Threshold
		d.SpendFlag = d.BaselineSpend > 0 && d.SpendDrop >= cfg.Threshold
		d.Flagged = d.FrequencyFlag || d.SpendFlag
		if d.Flagged {
			sum.Flagged++
		}
		if d.FrequencyFlag {
			sum.FrequencyFlag++
		}
		if d.SpendFlag {
			sum.SpendFlag++
		}
		out = append(out, d)
	}
	return out, sum, nil
}
