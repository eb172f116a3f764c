package forecast

import (
	"math"
	"strings"
	"testing"
)

// TestTrendModelExactLine: Holt's linear model reproduces an exact line
// y = 10 + 5t and continues it (hand-computed: 75, 80, 85 after 13 points).
func TestTrendModelExactLine(t *testing.T) {
	y := make([]float64, 13)
	for i := range y {
		y[i] = 10 + 5*float64(i)
	}
	for _, init := range []Initialization{Heuristic, Estimated} {
		res, err := Run(y, Config{Seasonality: None, Period: 12, Horizon: 3, Initialization: init})
		if err != nil {
			t.Fatal(err)
		}
		if res.Period != 0 || res.Params.Gamma != 0 || res.RMSE > 1e-6 {
			t.Errorf("%s: period %d gamma %g rmse %g", init, res.Period, res.Params.Gamma, res.RMSE)
		}
		for k, want := range []float64{75, 80, 85} {
			if math.Abs(res.Forecast[k].Value-want) > 1e-6 {
				t.Errorf("%s: step %d = %g, want %g", init, k+1, res.Forecast[k].Value, want)
			}
		}
		// Holdout: min(horizon 3, 13/4 = 3) steps, the line forecast exactly.
		if res.Holdout == nil || res.Holdout.Steps != 3 || res.Holdout.RMSE > 1e-6 || res.Holdout.MAPE > 1e-8 {
			t.Errorf("%s: holdout %+v", init, res.Holdout)
		}
	}
}

func TestHoldoutSteps(t *testing.T) {
	tests := []struct {
		n    int
		cfg  Config
		want int
	}{
		{36, Config{Period: 12}, 12},                    // three seasons: one season held out
		{30, Config{Period: 12}, 6},                     // leaves two seasons to fit
		{24, Config{Period: 12}, 0},                     // nothing to spare
		{13, Config{Seasonality: None, Horizon: 12}, 3}, // a quarter of the series
		{13, Config{Seasonality: None, Horizon: 2}, 2},
		{4, Config{Seasonality: None, Horizon: 2}, 0}, // the fit needs MinTrendPoints
	}
	for _, tt := range tests {
		if got := HoldoutSteps(tt.n, tt.cfg); got != tt.want {
			t.Errorf("HoldoutSteps(%d, %+v) = %d, want %d", tt.n, tt.cfg, got, tt.want)
		}
	}
}

// TestDegenerateFlags: a series that swings between 1 and 100 gives an
// interval far wider than the level, so lower bounds are negative: flagged.
func TestDegenerateFlags(t *testing.T) {
	y := []float64{1, 100, 1, 100, 1, 100, 1, 100, 1, 100, 1, 100, 1}
	res, err := Run(y, Config{Seasonality: None, Horizon: 3})
	if err != nil {
		t.Fatal(err)
	}
	var neg bool
	for _, d := range res.Degenerate {
		neg = neg || strings.Contains(d, "lower bounds are negative")
	}
	if !neg {
		t.Errorf("degenerate = %q, want negative lower bounds flagged (forecast %+v)", res.Degenerate, res.Forecast)
	}
	if got := degenerate(Result{Seasonality: Additive, Params: Params{Alpha: 0.5, Beta: 0.0001, Gamma: 0.0001}}); len(got) != 0 {
		t.Errorf("sound fit flagged: %q", got)
	}
	got := degenerate(Result{Seasonality: Additive, Params: Params{Alpha: 0.9999, Beta: 0.1, Gamma: 0.9995}})
	if len(got) != 2 || !strings.HasPrefix(got[0], "alpha = 0.9999 is at its upper bound") || !strings.HasPrefix(got[1], "gamma") {
		t.Errorf("degenerate = %q", got)
	}
}
