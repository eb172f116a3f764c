package forecast

import (
	"fmt"
	"math"
)

// Config drives Run.
type Config struct {
	Period      int         // season length in steps (7 daily, 52 weekly, 12 monthly)
	Seasonality Seasonality // "" means additive
	Horizon     int         // steps to forecast after the series; 0 means one period
	Level       float64     // prediction-interval level; 0 means 0.95
	// Initialization of the starting states; "" means Estimated.
	Initialization Initialization
}

// Holdout is the error of a model fitted without the last Steps points,
// forecasting them.
type Holdout struct {
	Steps int     `json:"steps"`
	MAPE  float64 `json:"mape"` // mean absolute percentage error, as a fraction; zero actuals skipped
	RMSE  float64 `json:"rmse"`
}

// Result is the forecast summary.
type Result struct {
	Seasonality    Seasonality    `json:"seasonality"`
	Initialization Initialization `json:"initialization"`
	Period         int            `json:"period"`
	Params         Params         `json:"params"`
	Points         int            `json:"points"` // observations fitted
	RMSE           float64        `json:"rmse"`   // in-sample one-step-ahead
	Level          float64        `json:"level"`
	Forecast       []Point        `json:"forecast"`
	// Holdout is set when the series is long enough to leave out its last
	// steps and still fit the model (see HoldoutSteps).
	Holdout *Holdout `json:"holdout,omitempty"`
	// Degenerate names what makes the fit unfit to read as a plain forecast:
	// a smoothing parameter at a bound, a negative point forecast or lower
	// bound for a series that cannot be negative. Empty for a sound fit.
	Degenerate []string `json:"degenerate,omitempty"`
}

// Bound is how close to 0 or 1 a smoothing parameter counts as at a bound.
const Bound = 1e-3

// Run fits the series, forecasts Horizon steps and, when the series is long
// enough, reports the error of forecasting its last steps from a fit on the
// rest (HoldoutSteps). Degenerate fits are named in Result.Degenerate.
func Run(y []float64, cfg Config) (Result, error) {
	if cfg.Seasonality == "" {
		cfg.Seasonality = Additive
	}
	if cfg.Seasonality == None {
		cfg.Period = 0
	}
	if cfg.Horizon == 0 {
		cfg.Horizon = max(cfg.Period, 1)
	}
	if cfg.Level == 0 {
		cfg.Level = 0.95
	}
	if cfg.Initialization == "" {
		cfg.Initialization = Estimated
	}
	m, err := Fit(y, cfg)
	if err != nil {
		return Result{}, err
	}
	fc, err := m.Forecast(cfg.Horizon, cfg.Level)
	if err != nil {
		return Result{}, err
	}
	res := Result{Seasonality: cfg.Seasonality, Initialization: cfg.Initialization, Period: cfg.Period, Params: m.Params, Points: len(y),
		RMSE: math.Sqrt(m.SSE / float64(len(y))), Level: cfg.Level, Forecast: fc}
	if k := HoldoutSteps(len(y), cfg); k > 0 {
		h, err := holdoutError(y, cfg, k)
		if err != nil {
			return Result{}, fmt.Errorf("holdout: %w", err)
		}
		res.Holdout = &h
	}
	res.Degenerate = degenerate(res)
	return res, nil
}

// HoldoutSteps is how many last steps of an n-point series are held out:
// one period for a seasonal model with three periods of data, else as many
// as leave enough points to fit (two periods, or MinTrendPoints without a
// season), at most one period, or for the trend model the horizon capped at
// a quarter of the series. 0 means no holdout.
func HoldoutSteps(n int, cfg Config) int {
	s, period := cfg.Seasonality, cfg.Period
	if s == "" {
		s = Additive
	}
	want := period
	if s == None {
		period = 0
		want = min(max(cfg.Horizon, 1), n/4)
	}
	k := min(want, n-minPoints(s, period))
	return max(k, 0)
}

// HoldoutError fits y without its last period and scores the forecast of it.
func HoldoutError(y []float64, cfg Config) (Holdout, error) {
	period := cfg.Period
	if period < 2 || len(y) < 3*period {
		return Holdout{}, fmt.Errorf("forecast: a holdout needs three periods of data, have %d points for period %d", len(y), period)
	}
	return holdoutError(y, cfg, period)
}

// holdoutError fits y without its last k points and scores the forecast of them.
func holdoutError(y []float64, cfg Config, k int) (Holdout, error) {
	period := k
	n := len(y) - k
	m, err := Fit(y[:n], cfg)
	if err != nil {
		return Holdout{}, err
	}
	fc, err := m.Forecast(k, 0.95)
	if err != nil {
		return Holdout{}, err
	}
	var sq, ape float64
	nape := 0
	for i, p := range fc {
		e := y[n+i] - p.Value
		sq += e * e
		if y[n+i] != 0 {
			ape += math.Abs(e / y[n+i])
			nape++
		}
	}
	h := Holdout{Steps: period, RMSE: math.Sqrt(sq / float64(period))}
	if nape > 0 {
		h.MAPE = ape / float64(nape)
	}
	return h, nil
}

// degenerate lists what makes res unfit to read as a plain forecast of
// revenue (which cannot be negative).
func degenerate(res Result) []string {
	var out []string
	at := func(name string, v float64, low bool) {
		switch {
		case v >= 1-Bound:
			out = append(out, fmt.Sprintf("%s = %.4f is at its upper bound 1", name, v))
		case low && v <= Bound:
			out = append(out, fmt.Sprintf("%s = %.4f is at its lower bound 0", name, v))
		}
	}
	// α at 1: the level is the last step (a naive forecast); at 0: never
	// updated. β at 1: the trend chases every step. γ at 1: the season is
	// last year's value. β and γ near 0 (a steady trend or season) are sound.
	at("alpha", res.Params.Alpha, true)
	at("beta", res.Params.Beta, false)
	if res.Seasonality != None {
		at("gamma", res.Params.Gamma, false)
	}
	var negValue, negLower int
	for _, p := range res.Forecast {
		if p.Value < 0 {
			negValue++
		}
		if p.Lower < 0 {
			negLower++
		}
	}
	if negValue > 0 {
		out = append(out, fmt.Sprintf("%d of %d forecast values are negative", negValue, len(res.Forecast)))
	}
	if negLower > 0 {
		out = append(out, fmt.Sprintf("%d of %d lower bounds are negative: the interval is wider than the forecast", negLower, len(res.Forecast)))
	}
	return out
}
