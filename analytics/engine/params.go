package engine

import (
	"fmt"
	"math"
	"slices"
	"time"

	"github.com/crmlens/crmlens/analytics/basket"
	"github.com/crmlens/crmlens/analytics/clv"
	"github.com/crmlens/crmlens/analytics/forecast"
	"github.com/crmlens/crmlens/analytics/vip"
)

// CLVParams tune the clv method. Zero values take the defaults named.
type CLVParams struct {
	// Horizon is how far ahead value is predicted, in the time unit; 0 means
	// one year (52.18 weeks, 365.25 days or 12 months).
	Horizon float64
	// Margin is the profit share of revenue, in (0, 1]; 0 means 1.
	Margin float64
	// DiscountRate is the annual discount rate (0.1 = 10 % a year); 0 means
	// no discounting. Value is discounted per period of about a month.
	DiscountRate float64
	// AcquisitionCost is subtracted once from every customer's value.
	AcquisitionCost float64
	// RetentionCost is spent per time unit on every customer while alive.
	RetentionCost float64
	// Tiers is the number of equal-sized value tiers reported as segments
	// ("Tier 1" the most valuable); 0 means 4.
	Tiers int
}

// KMeansParams tune the kmeans method. With K zero, k is chosen by
// silhouette in [MinK, MaxK] (defaults 2 and 8).
type KMeansParams struct {
	K          int
	MinK, MaxK int
	Seed       uint64
	// Features are clustered in this order; nil means DefaultKMeansFeatures
	// (recency, frequency, monetary).
	Features []KMeansFeature
	// Restarts is the number of initialisations per k (best inertia kept);
	// 0 means 1.
	Restarts int
	// MaxIterations bounds Lloyd iterations per initialisation; 0 means 300.
	MaxIterations int
}

// VIPParams tune the vip report.
type VIPParams struct {
	// TopN or TopPercent (0 < p ≤ 100) customers by revenue are VIPs; at most
	// one may be set; neither means the top 5 %.
	TopN       int
	TopPercent float64
	// Segments, instead of TopN or TopPercent, makes every customer the
	// run's method puts in one of these segments a VIP (such as
	// ["Champions"] with RFM).
	Segments []string
	// ValueBuckets are ascending upper edges of the VIP revenue distribution;
	// nil means DefaultVIPValueBuckets.
	ValueBuckets []float64
	// SpendBuckets are ascending upper edges of the VIP line-amount
	// distribution; nil means vip.DefaultSpendEdges.
	SpendBuckets []float64
	// Drop tunes the activity-drop detector; AsOf is set by the engine.
	Drop vip.DropConfig
}

// DefaultVIPValueBuckets are the VIP revenue bucket edges used when none are given.
var DefaultVIPValueBuckets = []float64{100, 250, 500, 1000, 2500, 5000, 10000, 25000}

// BasketParams tune the basket report. Zero values take the defaults named.
type BasketParams struct {
	MinSupport    float64 // share of baskets; 0 means 0.01
	MinConfidence float64 // 0 means 0.2
	MinLift       float64 // 0 means 1 (positive associations only); negative: no lift filter
	MaxLen        int     // items per rule; 0 means 3
	MaxRules      int     // rules reported, best lift first; 0 means 50
	// Item is "product" (default; lines without a product use their
	// category) or "category".
	Item string
	// Scope is "all" (default) customers' baskets or only the VIPs' ("vip",
	// chosen as in VIPParams).
	Scope string
	// MaxLines bounds the lines held for mining; above it a deterministic
	// hash sample of baskets is mined. 0 means 2,000,000.
	MaxLines int64
}

// ForecastParams tune the forecast report.
type ForecastParams struct {
	// Unit is the series step: day, week or month (default).
	Unit string
	// Seasonality is additive (default), multiplicative, or none for a
	// trend model without a seasonal component (Holt's linear method).
	Seasonality string
	// SeasonLength is the number of steps in one season; 0 means 7 for
	// days, 52 for weeks, 12 for months.
	SeasonLength int
	// Horizon is the number of steps forecast; 0 means one season (without
	// a season: the unit's usual one, 7 days, 52 weeks or 12 months).
	Horizon int
	// Level is the prediction-interval level; 0 means 0.95.
	Level float64
}

func (p CLVParams) withDefaults() CLVParams {
	if p.Margin == 0 {
		p.Margin = 1
	}
	if p.Tiers == 0 {
		p.Tiers = 4
	}
	return p
}

// valueParams turns p into the clv package's per-period parameters: the
// horizon is cut into whole periods of about a month, and the annual rate and
// per-unit retention cost are converted to those periods.
func (p CLVParams) valueParams(unitDays float64) clv.ValueParams {
	p = p.withDefaults()
	h := p.Horizon
	if h == 0 {
		h = 365.25 / unitDays
	}
	month := 365.25 / 12 / unitDays
	periods := max(1, int(math.Round(h/month)))
	l := h / float64(periods)
	return clv.ValueParams{
		Margin:          p.Margin,
		DiscountRate:    math.Pow(1+p.DiscountRate, l*unitDays/365.25) - 1,
		Periods:         periods,
		PeriodLength:    l,
		AcquisitionCost: p.AcquisitionCost,
		RetentionCost:   p.RetentionCost * l,
	}
}

func (p CLVParams) validate() error {
	switch {
	case p.Horizon < 0 || math.IsNaN(p.Horizon) || p.Horizon > 100000:
		return fmt.Errorf("clv horizon %g: want 0 < horizon ≤ 100000 time units", p.Horizon)
	case p.Margin < 0 || p.Margin > 1 || math.IsNaN(p.Margin):
		return fmt.Errorf("clv margin %g: want a share in (0, 1]", p.Margin)
	case p.DiscountRate < 0 || p.DiscountRate > 10 || math.IsNaN(p.DiscountRate):
		return fmt.Errorf("clv discount rate %g: want an annual rate ≥ 0 (0.1 = 10%%)", p.DiscountRate)
	case p.AcquisitionCost < 0 || p.RetentionCost < 0 || math.IsNaN(p.AcquisitionCost+p.RetentionCost):
		return fmt.Errorf("clv costs must be ≥ 0")
	case p.Tiers < 0 || p.Tiers > 100:
		return fmt.Errorf("clv tiers %d: want 1..100", p.Tiers)
	}
	return nil
}

func (p KMeansParams) validate() error {
	switch {
	case p.K < 0:
		return fmt.Errorf("kmeans k %d: want ≥ 1", p.K)
	case p.K > 0 && (p.MinK != 0 || p.MaxK != 0):
		return fmt.Errorf("kmeans: give a fixed k or a k range, not both")
	case p.MinK < 0 || p.MaxK < 0:
		return fmt.Errorf("kmeans k range %d-%d: want 2 ≤ min ≤ max", p.MinK, p.MaxK)
	}
	lo, hi := p.MinK, p.MaxK
	if lo == 0 {
		lo = 2
	}
	if hi == 0 {
		hi = max(8, lo)
	}
	if p.K == 0 && (lo < 2 || hi < lo || hi > 100) {
		return fmt.Errorf("kmeans k range %d-%d: want 2 ≤ min ≤ max ≤ 100", lo, hi)
	}
	return p.validateFeatures()
}

func (p VIPParams) selection() vip.Selection {
	if len(p.Segments) > 0 {
		return vip.Selection{Segments: p.Segments}
	}
	if p.TopN == 0 && p.TopPercent == 0 {
		return vip.Selection{TopPercent: 5}
	}
	return vip.Selection{TopN: p.TopN, TopPercent: p.TopPercent}
}

func (p VIPParams) valueEdges() []float64 {
	if p.ValueBuckets == nil {
		return DefaultVIPValueBuckets
	}
	return p.ValueBuckets
}

func (p VIPParams) validate() error {
	if len(p.Segments) > 0 {
		if p.TopN != 0 || p.TopPercent != 0 {
			return fmt.Errorf("vip: set segments or topN/topPercent, not both")
		}
	} else if _, err := vip.Select(nil, p.selection()); err != nil {
		return err
	}
	if _, err := vip.ValueBuckets(nil, nil, p.valueEdges()); err != nil {
		return fmt.Errorf("vip value buckets: %w", err)
	}
	if _, err := vip.NewAccumulator(nil, vip.AccumulatorConfig{SpendEdges: p.SpendBuckets}); err != nil {
		return err
	}
	d := p.Drop
	d.AsOf = time.Unix(0, 0) // any time: only the other fields are checked here
	if _, _, err := vip.DetectDrops(nil, d); err != nil {
		return err
	}
	return nil
}

func (p BasketParams) config() basket.Config {
	c := basket.Config{MinSupport: p.MinSupport, MinConfidence: p.MinConfidence, MinLift: p.MinLift, MaxLen: p.MaxLen, MaxRules: p.MaxRules}
	if c.MinConfidence == 0 {
		c.MinConfidence = 0.2
	}
	switch {
	case c.MinLift == 0:
		c.MinLift = 1
	case c.MinLift < 0:
		c.MinLift = 0
	}
	if c.MaxRules == 0 {
		c.MaxRules = 50
	}
	return c
}

func (p BasketParams) maxLines() int64 {
	if p.MaxLines <= 0 {
		return 2_000_000
	}
	return p.MaxLines
}

func (p BasketParams) validate() error {
	if !slices.Contains([]string{"", "product", "category"}, p.Item) {
		return fmt.Errorf("basket item %q: want product or category", p.Item)
	}
	if !slices.Contains([]string{"", "all", "vip"}, p.Scope) {
		return fmt.Errorf("basket scope %q: want all or vip", p.Scope)
	}
	if p.MaxLines < 0 {
		return fmt.Errorf("basket max lines %d: want ≥ 0", p.MaxLines)
	}
	if _, err := basket.Mine(nil, p.config()); err != nil { // validates the thresholds only
		return err
	}
	return nil
}

func (p ForecastParams) unit() forecast.Granularity {
	if p.Unit == "" {
		return forecast.Monthly
	}
	return forecast.Granularity(p.Unit)
}

func (p ForecastParams) config() forecast.Config {
	c := forecast.Config{Period: p.SeasonLength, Seasonality: forecast.Seasonality(p.Seasonality), Horizon: p.Horizon, Level: p.Level}
	if c.Period == 0 {
		c.Period = map[forecast.Granularity]int{forecast.Daily: 7, forecast.Weekly: 52, forecast.Monthly: 12}[p.unit()]
	}
	return c
}

func (p ForecastParams) validate() error {
	switch {
	case !slices.Contains([]forecast.Granularity{forecast.Daily, forecast.Weekly, forecast.Monthly}, p.unit()):
		return fmt.Errorf("forecast unit %q: want day, week or month", p.Unit)
	case !slices.Contains([]string{"", string(forecast.Additive), string(forecast.Multiplicative), string(forecast.None)}, p.Seasonality):
		return fmt.Errorf("forecast seasonality %q: want additive, multiplicative or none", p.Seasonality)
	case p.SeasonLength != 0 && (p.SeasonLength < 2 || p.SeasonLength > 1000):
		return fmt.Errorf("forecast season length %d: want 2..1000 steps", p.SeasonLength)
	case p.Horizon < 0 || p.Horizon > 10000:
		return fmt.Errorf("forecast horizon %d: want 1..10000 steps", p.Horizon)
	case p.Level < 0 || p.Level >= 1 || math.IsNaN(p.Level):
		return fmt.Errorf("forecast interval level %g: want a share in (0, 1)", p.Level)
	}
	return nil
}

// validateModels checks the parameters of the models cfg runs.
func (c *Config) validateModels() error {
	var err error
	switch c.method() {
	case CLV:
		err = c.CLV.validate()
	case KMeans:
		err = c.KMeans.validate()
	}
	if err != nil {
		return err
	}
	checks := map[Report]func() error{VIP: c.VIP.validate, Basket: c.Basket.validate, Forecast: c.Forecast.validate}
	for _, r := range c.reports() {
		if f, ok := checks[r]; ok {
			if err := f(); err != nil {
				return err
			}
		}
	}
	if c.has(Basket) && c.Basket.Scope == "vip" {
		return c.VIP.validate()
	}
	return nil
}
