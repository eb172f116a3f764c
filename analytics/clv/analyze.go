package clv

import (
	"fmt"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

// Config drives a full CLV analysis.
type Config struct {
	// CalibrationEnd is the last calendar day (inclusive) of the fitting
	// period. Zero means the set's AsOf (no holdout) in AnalyzeSet.
	CalibrationEnd time.Time
	// Unit is the time unit of recency, age, horizon and periods; "" means week.
	Unit TimeUnit
	// HoldoutLength, when positive, is the length of the period after the
	// calibration end (in Unit) over which predicted and actual purchases are
	// compared. AnalyzeSet sets it from the set's AsOf.
	HoldoutLength float64
	// Value sets margin, discounting and costs. Unlike Value and Values,
	// Analyze takes a zero PeriodLength as one month (in Unit), so the default
	// horizon is 12 months and DiscountRate is monthly.
	Value ValueParams
	Fit   FitOptions
	// GammaGammaStart is the Gamma-Gamma starting point (Fit.Start is BG/NBD's).
	GammaGammaStart []float64
}

// Result is the aggregate CLV summary: fitted models and distributions, never
// per-customer values or IDs.
type Result struct {
	Unit            TimeUnit    `json:"unit"`
	CalibrationEnd  string      `json:"calibrationEnd,omitempty"` // yyyy-mm-dd
	Customers       int         `json:"customers"`
	RepeatCustomers int         `json:"repeatCustomers"`
	BGNBD           BGNBD       `json:"bgnbd"`
	GammaGamma      GammaGamma  `json:"gammaGamma"`
	Value           ValueParams `json:"value"`   // with defaults applied
	Horizon         float64     `json:"horizon"` // in Unit
	// Deciles are 11 values each: min, 10th…90th percentile, max.
	PAliveDeciles            []float64 `json:"pAliveDeciles"`
	ExpectedPurchasesDeciles []float64 `json:"expectedPurchasesDeciles"`
	CLVDeciles               []float64 `json:"clvDeciles"`
	TotalCLV                 float64   `json:"totalClv"`
	MeanCLV                  float64   `json:"meanClv"`
	TotalHistoric            float64   `json:"totalHistoric"`
	// Holdout compares predicted with actual purchases after the calibration
	// end, when there is data there.
	Holdout *Holdout `json:"holdout,omitempty"`
	// Degenerate names what makes the fit unfit to read as plain
	// predictions, with the likely cause (see Diagnose); empty when sound.
	Degenerate []string `json:"degenerate,omitempty"`
}

// Holdout is the out-of-sample check of the purchase model.
type Holdout struct {
	Length    float64 `json:"length"` // in Unit
	Actual    float64 `json:"actualPurchases"`
	Predicted float64 `json:"predictedPurchases"`
}

// Analyze fits both models to the summaries and computes every customer's
// value; values[i] belongs to sums[i].
func Analyze(sums []Summary, cfg Config) (Result, []CustomerValue, error) {
	if cfg.Unit == "" {
		cfg.Unit = Week
	}
	unitDays, err := cfg.Unit.Days()
	if err != nil {
		return Result{}, nil, err
	}
	if cfg.Value.PeriodLength == 0 {
		cfg.Value.PeriodLength = 365.25 / 12 / unitDays
	}
	v, err := cfg.Value.withDefaults()
	if err != nil {
		return Result{}, nil, err
	}
	bg, err := FitBGNBD(sums, cfg.Fit)
	if err != nil {
		return Result{}, nil, err
	}
	gg, err := FitGammaGamma(sums, FitOptions{Start: cfg.GammaGammaStart})
	if err != nil {
		return Result{}, nil, err
	}
	values, err := Values(bg, gg, sums, v, cfg.Fit.Workers)
	if err != nil {
		return Result{}, nil, err
	}
	res := Result{Unit: cfg.Unit, Customers: len(sums), BGNBD: bg, GammaGamma: gg, Value: v, Horizon: v.Horizon()}
	pa := make([]float64, len(values))
	ep := make([]float64, len(values))
	cl := make([]float64, len(values))
	// Historic spends are fixed-point amounts: sum them exactly.
	var historic txn.Money
	for i, cv := range values {
		pa[i], ep[i], cl[i] = cv.PAlive, cv.ExpectedPurchases, cv.CLV
		res.TotalCLV += cv.CLV
		historic += txn.MoneyFromFloat(cv.Historic)
		if sums[i].X > 0 {
			res.RepeatCustomers++
		}
	}
	res.TotalHistoric = historic.Float()
	res.MeanCLV = res.TotalCLV / float64(len(values))
	res.PAliveDeciles, res.ExpectedPurchasesDeciles, res.CLVDeciles = Deciles(pa), Deciles(ep), Deciles(cl)
	res.Degenerate = Diagnose(bg, gg, sums, values, cfg.Unit)
	if cfg.HoldoutLength > 0 {
		h := &Holdout{Length: cfg.HoldoutLength}
		for _, s := range sums {
			h.Actual += float64(s.Holdout)
			h.Predicted += bg.ExpectedPurchases(s.X, s.Tx, s.T, cfg.HoldoutLength)
		}
		res.Holdout = h
	}
	return res, values, nil
}

// AnalyzeSet runs Analyze on the customers of set (their History must be
// kept). ids[i] is the customer of values[i]; customers whose first purchase is
// after the calibration end are left out.
func AnalyzeSet(set *customer.Set, cfg Config) (res Result, ids []string, values []CustomerValue, err error) {
	if cfg.Unit == "" {
		cfg.Unit = Week
	}
	days, err := cfg.Unit.Days()
	if err != nil {
		return Result{}, nil, nil, err
	}
	end := cfg.CalibrationEnd
	if end.IsZero() {
		end = set.AsOf
	}
	if end.IsZero() {
		return Result{}, nil, nil, fmt.Errorf("clv: no calibration end and no as-of time in the customer set")
	}
	if cfg.HoldoutLength == 0 && !set.AsOf.IsZero() {
		if gap := customer.DayOf(set.AsOf) - customer.DayOf(end); gap > 0 {
			cfg.HoldoutLength = float64(gap) / days
		}
	}
	ids, sums, err := Summaries(set, end, cfg.Unit)
	if err != nil {
		return Result{}, nil, nil, err
	}
	res, values, err = Analyze(sums, cfg)
	if err != nil {
		return Result{}, nil, nil, err
	}
	res.CalibrationEnd = customer.DayOf(end).Time().Format("2006-01-02")
	return res, ids, values, nil
}
