package runner

import (
	"testing"

	"github.com/crmlens/crmlens/internal/runplan"
)

// TestForecastFieldsReachEngine: the plan's forecast seasonality (none for
// the API's seasonLength 0, multiplicative) reaches the engine unchanged.
func TestForecastFieldsReachEngine(t *testing.T) {
	tests := []struct {
		fc   runplan.Forecast
		want string
	}{
		{runplan.Forecast{Unit: "month", SeasonLength: 0, Seasonality: "none", Horizon: 3}, "none"},
		{runplan.Forecast{Unit: "month", SeasonLength: 12, Seasonality: "multiplicative", Horizon: 3}, "multiplicative"},
		{runplan.Forecast{Unit: "month", SeasonLength: 12, Horizon: 3}, ""},
	}
	for _, tt := range tests {
		fc := tt.fc
		p := &runplan.Plan{Analysis: runplan.Analysis{Method: "rfm", Reports: []string{"forecast"}, Forecast: &fc}}
		cfg, err := EngineConfig(p, nil)
		if err != nil {
			t.Fatal(err)
		}
		if cfg.Forecast.Seasonality != tt.want || cfg.Forecast.SeasonLength != fc.SeasonLength || cfg.Forecast.Horizon != 3 {
			t.Errorf("%+v → engine %+v, want seasonality %q", fc, cfg.Forecast, tt.want)
		}
	}
}
