package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/forecast"
	"github.com/crmlens/crmlens/analytics/result"
)

func init() {
	Register(string(Forecast), Model{Run: runForecast})
}

// runForecast fits Holt-Winters to the set's revenue per day, week or month,
// with steps without sales up to the as-of day as zeros and partial first and
// last steps left out (a half week would look like a slump).
func runForecast(_ context.Context, cfg *Config, set *customer.Set, asOf time.Time) (Output, error) {
	p := cfg.Forecast
	unit := p.unit()
	if len(set.Daily) == 0 {
		return Output{}, errors.New("no sales to forecast")
	}
	s, err := forecast.Aggregate(set.Daily, unit)
	if err != nil {
		return Output{}, err
	}
	today := customer.DayOf(asOf)
	for {
		next := stepAfter(s.Start[len(s.Start)-1], unit)
		if customer.DayOf(next) > today {
			break
		}
		s.Start = append(s.Start, next)
		s.Values = append(s.Values, 0)
	}
	sec := &result.ForecastSection{Unit: string(unit)}
	if set.Daily[0].Day > customer.DayOf(s.Start[0]) {
		s.Start, s.Values = s.Start[1:], s.Values[1:]
		sec.Trimmed = append(sec.Trimmed, "first")
	}
	if n := len(s.Start); n > 0 && customer.DayOf(stepAfter(s.Start[n-1], unit))-1 > today {
		s.Start, s.Values = s.Start[:n-1], s.Values[:n-1]
		sec.Trimmed = append(sec.Trimmed, "last")
	}
	fc := p.config()
	warnings, err := fitPlan(&fc, len(s.Values), unit, sec)
	if err != nil {
		return Output{}, err
	}
	if sec.Result, err = forecast.RunSeries(s, fc); err != nil {
		return Output{}, err
	}
	for _, d := range sec.Degenerate {
		warnings = append(warnings, "degenerate fit, do not read it as a plain forecast: "+d)
	}
	sec.History = make([]result.SeriesPoint, len(s.Values))
	for i := range s.Values {
		sec.History[i] = result.SeriesPoint{Start: s.Start[i], Revenue: s.Values[i]}
	}
	return Output{Section: sec, Warnings: warnings}, nil
}

// fitPlan checks the series length against the model asked for. With at
// least one season but fewer than two (12–23 months of monthly data, the
// common case) a seasonal fit has nothing to estimate the season from twice,
// so it falls back to Holt's linear trend model and says so.
func fitPlan(fc *forecast.Config, n int, unit forecast.Granularity, sec *result.ForecastSection) ([]string, error) {
	if fc.Seasonality == forecast.None {
		if fc.Horizon == 0 {
			fc.Horizon = fc.Period // the unit's usual season (12 months, 52 weeks, 7 days)
		}
		if n < forecast.MinTrendPoints {
			return nil, fmt.Errorf("%d whole %s steps of revenue, a trend model needs at least %d", n, unit, forecast.MinTrendPoints)
		}
		return nil, nil
	}
	if n >= 2*fc.Period {
		return nil, nil
	}
	if n < max(fc.Period, forecast.MinTrendPoints) {
		return nil, fmt.Errorf("%d whole %s steps of revenue, need one season (%d steps) for a trend model and two (%d) for a seasonal one: choose a shorter unit or season length",
			n, unit, max(fc.Period, forecast.MinTrendPoints), 2*fc.Period)
	}
	asked := fc.Seasonality
	if asked == "" {
		asked = forecast.Additive
	}
	sec.Fallback = string(forecast.None)
	fc.Seasonality = forecast.None
	if fc.Horizon == 0 {
		fc.Horizon = fc.Period // still one season ahead, as documented
	}
	return []string{fmt.Sprintf("fallback: %d whole %s steps are fewer than two seasons (%d): fitted a non-seasonal trend model (Holt linear, seasonality none) instead of %s Holt-Winters",
		n, unit, 2*fc.Period, asked)}, nil
}

// stepAfter returns the first day of the step after the one starting at t.
func stepAfter(t time.Time, g forecast.Granularity) time.Time {
	switch g {
	case forecast.Weekly:
		return t.AddDate(0, 0, 7)
	case forecast.Monthly:
		return t.AddDate(0, 1, 0)
	}
	return t.AddDate(0, 0, 1)
}
