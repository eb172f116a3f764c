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

// Holdout is the error of a model fitted without the last period, forecasting it.
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
	// Holdout is set when the series holds at least three periods.
	Holdout *Holdout `json:"holdout,omitempty"`
}

// Run fits the series, forecasts Horizon steps and, when the series is long
// enough (three periods), reports the error of forecasting its last period from
// a fit on the rest.
func Run(y []float64, cfg Config) (Result, error) {
	if cfg.Seasonality == "" {
		cfg.Seasonality = Additive
	}
	if cfg.Horizon == 0 {
		cfg.Horizon = cfg.Period
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
	if len(y) >= 3*cfg.Period {
		h, err := HoldoutError(y, cfg)
		if err != nil {
			return Result{}, fmt.Errorf("holdout: %w", err)
		}
		res.Holdout = &h
	}
	return res, nil
}

// HoldoutError fits y without its last period and scores the forecast of it.
func HoldoutError(y []float64, cfg Config) (Holdout, error) {
	period := cfg.Period
	if period < 2 || len(y) < 3*period {
		return Holdout{}, fmt.Errorf("forecast: a holdout needs three periods of data, have %d points for period %d", len(y), period)
	}
	n := len(y) - period
	m, err := Fit(y[:n], cfg)
	if err != nil {
		return Holdout{}, err
	}
	fc, err := m.Forecast(period, 0.95)
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
