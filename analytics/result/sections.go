package result

import (
	"time"

	"github.com/crmlens/crmlens/analytics/basket"
	"github.com/crmlens/crmlens/analytics/clv"
	"github.com/crmlens/crmlens/analytics/forecast"
	"github.com/crmlens/crmlens/analytics/kmeans"
	"github.com/crmlens/crmlens/analytics/vip"
)

// The section types below are the summaries of the model packages in the
// document (doc.CLV, doc.KMeans, doc.VIP, doc.Basket, doc.Forecast), filled
// by the engine. Each embeds its package's summary, so that package's JSON
// fields appear at the top level of the section; none holds a customer ID.

// CLVSection is the clv method's section.
type CLVSection struct {
	clv.Result
	// AnnualDiscountRate is the rate given; value.discountRate is the same
	// rate per period of value.periodLength time units.
	AnnualDiscountRate float64 `json:"annualDiscountRate"`
	// NotScored counts customers whose first purchase is after the
	// calibration end: the models cannot score them.
	NotScored int `json:"notScored"`
}

// KMeansSection is the kmeans method's section.
type KMeansSection struct {
	kmeans.Result
	Seed uint64 `json:"seed"`
	// Transform names the transform of each feature before standardising
	// ("none" or "log1p" = log(1 + x)). mean, std and centroidZ are in the
	// transformed space; centroid is transformed back to original units.
	Transform []string `json:"transform"`
}

// VIPSection is the vip report's section.
type VIPSection struct {
	vip.Result
	// ValueBasis names the value VIPs are ranked by: "revenue".
	ValueBasis string `json:"valueBasis"`
	// ProfileSkipped says why there is no profile (no raw transaction
	// source to read a second time); empty when the profile is present.
	ProfileSkipped string `json:"profileSkipped,omitempty"`
}

// Shrink (nil-safe) halves the longer of the category and channel lists of the profile.
func (s *VIPSection) Shrink() bool {
	if s == nil || s.Profile == nil {
		return false
	}
	p := s.Profile
	switch {
	case len(p.Categories) > 1 && len(p.Categories) >= len(p.Channels):
		p.Categories = p.Categories[:len(p.Categories)/2]
	case len(p.Channels) > 1:
		p.Channels = p.Channels[:len(p.Channels)/2]
	default:
		return false
	}
	return true
}

// BasketSection is the basket report's section.
type BasketSection struct {
	basket.Result
	Item  string `json:"item"`  // product or category
	Scope string `json:"scope"` // all or vip
	// SampleFraction is the share of baskets mined: 1 unless the lines
	// exceeded the memory bound and a hash sample of baskets was taken.
	SampleFraction float64 `json:"sampleFraction"`
	// LinesWithoutItem counts lines skipped because they name no item.
	LinesWithoutItem int64 `json:"linesWithoutItem"`
}

// Shrink (nil-safe) drops the weaker half of the rules (they are sorted by lift).
func (s *BasketSection) Shrink() bool {
	if s == nil || len(s.Rules) <= 1 {
		return false
	}
	s.Rules = s.Rules[:len(s.Rules)/2]
	return true
}

// SeriesPoint is one step of the revenue series the forecast was fitted on.
type SeriesPoint struct {
	Start   time.Time `json:"start"` // first day of the step
	Revenue float64   `json:"revenue"`
}

// ForecastSection is the forecast report's section.
type ForecastSection struct {
	forecast.Result
	Unit string `json:"unit"` // day, week or month
	// Trimmed names partial steps left out of the series: "first", "last".
	Trimmed []string `json:"trimmed,omitempty"`
	// Fallback is set when the model asked for could not be fitted and a
	// simpler one was: "none" is the trend model fitted to a series shorter
	// than two seasons. warnings[] says why.
	Fallback string `json:"fallback,omitempty"`
	// History is the fitted series, oldest first (its oldest part may be
	// cut to fit the summary).
	History []SeriesPoint `json:"history"`
}

// Shrink (nil-safe) drops the older half of the history.
func (s *ForecastSection) Shrink() bool {
	if s == nil || len(s.History) <= 1 {
		return false
	}
	s.History = s.History[len(s.History)/2:]
	return true
}
