package cli

import (
	"flag"
	"slices"
	"strconv"
	"strings"

	"github.com/crmlens/crmlens/analytics/engine"
)

// modelFlags are the parameters of the clv and kmeans methods and the vip,
// basket and forecast reports.
type modelFlags struct {
	horizon, margin, discount, acqCost, retCost float64
	tiers                                       int

	k      int
	kRange string
	seed   uint64

	vipTop                                int
	vipPercent, dropThreshold             float64
	dropRecent, dropBaseline, dropMinDays int

	minSupport, minConfidence, minLift float64
	maxRules                           int
	basketItem, basketScope            string

	fcUnit, seasonality  string
	seasonLen, fcHorizon int
	fcLevel              float64
}

// modelUsage is the help text of the model flags.
const modelUsage = `CLV (--method clv):
  --horizon H             prediction horizon in time units (default: one year)
  --margin M              profit share of revenue, 0 < M ≤ 1 (default 1)
  --discount-rate R       annual discount rate (default 0.1 = 10 %)
  --acquisition-cost X    subtracted once from every customer's value (default 0)
  --retention-cost X      cost per time unit of keeping a customer alive (default 0)
  --tiers N               equal-sized value tiers reported as segments (default 4)

K-means (--method kmeans):
  --k N                   fixed number of clusters (default: chosen by silhouette)
  --k-range MIN-MAX       range k is chosen from (default 2-8)
  --seed N                seed of the k-means++ initialisation (default 1)

VIP report (--report vip):
  --vip-top N             the N customers with the highest revenue are VIPs
  --vip-top-percent P     the top P % of customers by revenue are VIPs (default 5)
  --drop-threshold T      flag a VIP whose frequency or spend fell by T or more (default 0.4)
  --drop-recent-days N    recent window compared with the baseline (default 90)
  --drop-baseline-days N  baseline length before the recent window (default: whole history)
  --drop-min-purchases N  fewest baseline purchase days to judge a VIP (default 3)

Basket report (--report basket):
  --min-support S         least share of baskets holding a rule's items (default 0.01)
  --min-confidence C      least confidence (default 0.2)
  --min-lift L            least lift (default 1)
  --max-rules N           rules reported, best lift first (default 50)
  --basket-item I         product (default; category when a line has none) or category
  --basket-scope S        all (default) customers' baskets or only the VIPs'

Forecast report (--report forecast):
  --forecast-unit U       day, week or month (default month)
  --seasonality S         additive (default), multiplicative, or none (a trend
                          model, Holt linear)
  --season-length N       steps per season (default 7 days, 52 weeks, 12
                          months); 0 means no season (as --seasonality none).
                          A series shorter than two seasons falls back to the
                          trend model, with a warning
  --forecast-horizon N    steps to forecast (default one season)
  --forecast-level L      prediction-interval level (default 0.95)
`

func (m *modelFlags) define(fs *flag.FlagSet) {
	fs.Float64Var(&m.horizon, "horizon", 0, "")
	fs.Float64Var(&m.margin, "margin", 1, "")
	fs.Float64Var(&m.discount, "discount-rate", 0.1, "")
	fs.Float64Var(&m.acqCost, "acquisition-cost", 0, "")
	fs.Float64Var(&m.retCost, "retention-cost", 0, "")
	fs.IntVar(&m.tiers, "tiers", 4, "")
	fs.IntVar(&m.k, "k", 0, "")
	fs.StringVar(&m.kRange, "k-range", "", "")
	fs.Uint64Var(&m.seed, "seed", 1, "")
	fs.IntVar(&m.vipTop, "vip-top", 0, "")
	fs.Float64Var(&m.vipPercent, "vip-top-percent", 0, "")
	fs.Float64Var(&m.dropThreshold, "drop-threshold", 0.4, "")
	fs.IntVar(&m.dropRecent, "drop-recent-days", 90, "")
	fs.IntVar(&m.dropBaseline, "drop-baseline-days", 0, "")
	fs.IntVar(&m.dropMinDays, "drop-min-purchases", 3, "")
	fs.Float64Var(&m.minSupport, "min-support", 0.01, "")
	fs.Float64Var(&m.minConfidence, "min-confidence", 0.2, "")
	fs.Float64Var(&m.minLift, "min-lift", 1, "")
	fs.IntVar(&m.maxRules, "max-rules", 50, "")
	fs.StringVar(&m.basketItem, "basket-item", "product", "")
	fs.StringVar(&m.basketScope, "basket-scope", "all", "")
	fs.StringVar(&m.fcUnit, "forecast-unit", "month", "")
	fs.StringVar(&m.seasonality, "seasonality", "additive", "")
	fs.IntVar(&m.seasonLen, "season-length", 0, "")
	fs.IntVar(&m.fcHorizon, "forecast-horizon", 0, "")
	fs.Float64Var(&m.fcLevel, "forecast-level", 0.95, "")
}

// flagOwners says which method or report each model flag belongs to.
var flagOwners = map[string]string{
	"horizon": "clv", "margin": "clv", "discount-rate": "clv", "acquisition-cost": "clv", "retention-cost": "clv", "tiers": "clv",
	"k": "kmeans", "k-range": "kmeans", "seed": "kmeans",
	"vip-top": "vip", "vip-top-percent": "vip", "drop-threshold": "vip", "drop-recent-days": "vip", "drop-baseline-days": "vip", "drop-min-purchases": "vip",
	"min-support": "basket", "min-confidence": "basket", "min-lift": "basket", "max-rules": "basket", "basket-item": "basket", "basket-scope": "basket",
	"forecast-unit": "forecast", "seasonality": "forecast", "season-length": "forecast", "forecast-horizon": "forecast", "forecast-level": "forecast",
}

// apply checks that every model flag given belongs to the method or a
// report of the run, and fills cfg's parameter blocks.
func (m *modelFlags) apply(set map[string]bool, cfg *engine.Config) error {
	for name := range set {
		owner, ok := flagOwners[name]
		if !ok || string(cfg.Method) == owner || slices.Contains(cfg.Reports, engine.Report(owner)) {
			continue
		}
		// The VIP selection also picks the baskets of --basket-scope vip.
		if (name == "vip-top" || name == "vip-top-percent") && slices.Contains(cfg.Reports, engine.Basket) && m.basketScope == "vip" {
			continue
		}
		kind := "--report"
		if owner == "clv" || owner == "kmeans" {
			kind = "--method"
		}
		return usagef("--%s needs %s %s", name, kind, owner)
	}
	if set["vip-top"] && set["vip-top-percent"] {
		return usagef("give --vip-top or --vip-top-percent, not both")
	}
	cfg.CLV = engine.CLVParams{Horizon: m.horizon, Margin: m.margin, DiscountRate: m.discount, AcquisitionCost: m.acqCost, RetentionCost: m.retCost, Tiers: m.tiers}
	if set["horizon"] && !(m.horizon > 0) {
		return usagef("--horizon %g: want a positive number of time units", m.horizon)
	}
	if set["margin"] && !(m.margin > 0) {
		return usagef("--margin %g: want a share in (0, 1]", m.margin)
	}
	if set["tiers"] && m.tiers < 1 {
		return usagef("--tiers %d: want 1 or more", m.tiers)
	}
	cfg.KMeans = engine.KMeansParams{K: m.k, Seed: m.seed}
	if set["k"] && m.k < 1 {
		return usagef("--k %d: want 1 or more", m.k)
	}
	if m.kRange != "" {
		lo, hi, ok := strings.Cut(m.kRange, "-")
		a, err1 := strconv.Atoi(strings.TrimSpace(lo))
		b, err2 := strconv.Atoi(strings.TrimSpace(hi))
		if !ok || err1 != nil || err2 != nil {
			return usagef("--k-range %q: want MIN-MAX, e.g. 2-8", m.kRange)
		}
		cfg.KMeans.MinK, cfg.KMeans.MaxK = a, b
		if cfg.KMeans.MinK == 0 || cfg.KMeans.MaxK == 0 {
			return usagef("--k-range %q: want 2 ≤ MIN ≤ MAX", m.kRange)
		}
	}
	cfg.VIP.TopN, cfg.VIP.TopPercent = m.vipTop, m.vipPercent
	if set["vip-top"] && m.vipTop < 1 {
		return usagef("--vip-top %d: want 1 or more", m.vipTop)
	}
	if set["vip-top-percent"] && !(m.vipPercent > 0 && m.vipPercent <= 100) {
		return usagef("--vip-top-percent %g: want 0 < P ≤ 100", m.vipPercent)
	}
	cfg.VIP.Drop.Threshold, cfg.VIP.Drop.RecentDays, cfg.VIP.Drop.BaselineDays, cfg.VIP.Drop.MinBaselinePurchases = m.dropThreshold, m.dropRecent, m.dropBaseline, m.dropMinDays
	if m.dropRecent < 1 || m.dropMinDays < 1 || m.dropBaseline < 0 {
		return usagef("--drop-recent-days and --drop-min-purchases want 1 or more, --drop-baseline-days 0 or more")
	}
	if !(m.dropThreshold > 0 && m.dropThreshold <= 1) {
		return usagef("--drop-threshold %g: want a share in (0, 1]", m.dropThreshold)
	}
	cfg.Basket = engine.BasketParams{MinSupport: m.minSupport, MinConfidence: m.minConfidence, MinLift: m.minLift, MaxRules: m.maxRules,
		Item: strings.ToLower(m.basketItem), Scope: strings.ToLower(m.basketScope)}
	if !(m.minSupport > 0) || !(m.minConfidence > 0) || m.minLift < 0 || m.maxRules < 1 {
		return usagef("--min-support and --min-confidence want a share in (0, 1], --min-lift 0 or more, --max-rules 1 or more")
	}
	if m.minLift == 0 {
		cfg.Basket.MinLift = -1 // the engine reads 0 as its default of 1 and a negative value as no filter
	}
	cfg.Forecast = engine.ForecastParams{Unit: strings.ToLower(m.fcUnit), Seasonality: strings.ToLower(m.seasonality), SeasonLength: m.seasonLen, Horizon: m.fcHorizon, Level: m.fcLevel}
	if set["season-length"] && m.seasonLen == 0 {
		if set["seasonality"] && !strings.EqualFold(m.seasonality, "none") {
			return usagef("--season-length 0 (no season) with --seasonality %s: drop one of them", m.seasonality)
		}
		cfg.Forecast.Seasonality = "none"
	}
	if set["season-length"] && m.seasonLen != 0 && m.seasonLen < 2 {
		return usagef("--season-length %d: want 0 (no season, a trend model) or 2 or more", m.seasonLen)
	}
	if set["forecast-horizon"] && m.fcHorizon < 1 {
		return usagef("--forecast-horizon %d: want 1 or more", m.fcHorizon)
	}
	if !(m.fcLevel > 0 && m.fcLevel < 1) {
		return usagef("--forecast-level %g: want a share in (0, 1)", m.fcLevel)
	}
	return nil
}
