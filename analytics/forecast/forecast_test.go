package forecast

import (
	"math"
	"math/rand/v2"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

func TestExactSeasonality(t *testing.T) {
	add := []float64{12, -7, 3, -8}
	mul := []float64{1.3, 0.8, 1.1, 0.8}
	cases := []struct {
		name string
		s    Seasonality
		f    func(t int) float64
		tol  float64 // relative
	}{
		{"additive with trend", Additive, func(t int) float64 { return 100 + 2*float64(t) + add[t%4] }, 1e-9},
		{"multiplicative flat", Multiplicative, func(t int) float64 { return 200 * mul[t%4] }, 1e-9},
		{"multiplicative with trend", Multiplicative, func(t int) float64 { return (100 + 3*float64(t)) * mul[t%4] }, 0.01},
	}
	for _, c := range cases {
		for _, init := range []Initialization{Estimated, Heuristic} {
			t.Run(c.name+" "+string(init), func(t *testing.T) {
				var y []float64
				for i := 0; i < 40; i++ {
					y = append(y, c.f(i))
				}
				res, err := Run(y, Config{Period: 4, Seasonality: c.s, Horizon: 8, Initialization: init})
				if err != nil {
					t.Fatal(err)
				}
				for _, p := range res.Forecast {
					want := c.f(40 + p.Step - 1)
					if math.Abs(p.Value-want) > c.tol*math.Abs(want) {
						t.Errorf("step %d: forecast %v, want %v", p.Step, p.Value, want)
					}
				}
				if res.Holdout == nil || res.Holdout.MAPE > c.tol {
					t.Errorf("holdout %+v", res.Holdout)
				}
			})
		}
	}
}

// TestEstimatedStatesLowerSSE: optimising the starting states starts from the
// heuristic ones, so it can only lower the SSE; on a noisy series it does.
func TestEstimatedStatesLowerSSE(t *testing.T) {
	y := SyntheticSeries(156, 52, 3)
	for _, s := range []Seasonality{Additive, Multiplicative} {
		h, err := Fit(y, Config{Period: 52, Seasonality: s, Initialization: Heuristic})
		if err != nil {
			t.Fatal(err)
		}
		e, err := Fit(y, Config{Period: 52, Seasonality: s})
		if err != nil {
			t.Fatal(err)
		}
		if !(e.SSE < h.SSE) {
			t.Errorf("%s: estimated SSE %v not below heuristic %v", s, e.SSE, h.SSE)
		}
		// The model's states reproduce its SSE when the filter is rerun.
		sse, _ := filter(y, s, e.Params, states{l: e.InitialLevel, b: e.InitialTrend, s: e.InitialSeasonal}, make([]float64, 52))
		if math.Abs(sse-e.SSE) > 1e-9*sse {
			t.Errorf("%s: SSE %v, rerun %v", s, e.SSE, sse)
		}
	}
	if _, err := Fit(y, Config{Period: 52, Initialization: "magic"}); err == nil {
		t.Error("unknown initialization accepted")
	}
}

func TestNoisySeriesHoldoutAndInterval(t *testing.T) {
	rng := rand.New(rand.NewPCG(5, 5))
	season := []float64{0, 5, 10, 20, 10, 5, 0, -10, -15, -15, -10, 0}
	var y []float64
	for i := 0; i < 60; i++ {
		y = append(y, 500+float64(i)+season[i%12]*3+rng.NormFloat64()*4)
	}
	res, err := Run(y, Config{Period: 12, Horizon: 24})
	if err != nil {
		t.Fatal(err)
	}
	if res.Holdout == nil || res.Holdout.Steps != 12 || !(res.Holdout.MAPE > 0 && res.Holdout.MAPE < 0.05) || !(res.Holdout.RMSE > 0) {
		t.Fatalf("holdout %+v", res.Holdout)
	}
	// The holdout is the error of forecasting the last 12 points from the first 48.
	m, _ := Fit(y[:48], Config{Period: 12})
	fc, _ := m.Forecast(12, 0.95)
	var sq float64
	for i, p := range fc {
		sq += (y[48+i] - p.Value) * (y[48+i] - p.Value)
	}
	if math.Abs(math.Sqrt(sq/12)-res.Holdout.RMSE) > 1e-9 {
		t.Errorf("holdout RMSE %v, recomputed %v", res.Holdout.RMSE, math.Sqrt(sq/12))
	}
	for i, p := range res.Forecast {
		if !(p.Lower < p.Value && p.Value < p.Upper) {
			t.Errorf("step %d: interval [%v, %v] misses %v", p.Step, p.Lower, p.Upper, p.Value)
		}
		if i > 0 && p.Upper-p.Lower < res.Forecast[i-1].Upper-res.Forecast[i-1].Lower {
			t.Errorf("interval narrows at step %d", p.Step)
		}
	}
	for _, v := range []float64{res.Params.Alpha, res.Params.Beta, res.Params.Gamma} {
		if !(v > 0 && v < 1) {
			t.Errorf("parameter %v outside (0, 1)", v)
		}
	}
	short, err := Run(y[:24], Config{Period: 12})
	if err != nil || short.Holdout != nil {
		t.Errorf("two periods: holdout %+v err %v", short.Holdout, err)
	}
}

func TestBadInput(t *testing.T) {
	y := []float64{1, 2, 3, 4, 5, 6, 7, 8}
	cases := []struct {
		name string
		y    []float64
		p    int
		s    Seasonality
	}{
		{"too short", y[:5], 4, Additive},
		{"period 1", y, 1, Additive},
		{"unknown kind", y, 4, "cubic"},
		{"non-positive multiplicative", []float64{1, 0, 3, 4, 5, 6, 7, 8}, 4, Multiplicative},
		{"nan", []float64{1, math.NaN(), 3, 4, 5, 6, 7, 8}, 4, Additive},
	}
	for _, c := range cases {
		if _, err := Fit(c.y, Config{Period: c.p, Seasonality: c.s}); err == nil {
			t.Errorf("%s: accepted", c.name)
		}
	}
}

func TestAggregate(t *testing.T) {
	day := func(s string) customer.Day {
		tm, _ := time.Parse("2006-01-02", s)
		return customer.DayOf(tm)
	}
	money := func(v float64) txn.Money { return txn.MoneyFromFloat(v) }
	daily := []customer.DailyRevenue{
		{Day: day("2024-01-31"), Revenue: money(10)}, // Wednesday
		{Day: day("2024-02-04"), Revenue: money(5)},  // Sunday, same week
		{Day: day("2024-02-05"), Revenue: money(7)},  // Monday
		{Day: day("2024-02-20"), Revenue: money(1)},
		{Day: day("2024-04-02"), Revenue: money(2)},
	}
	cases := []struct {
		g      Granularity
		first  string
		values []float64
	}{
		{Weekly, "2024-01-29", []float64{15, 7, 0, 1, 0, 0, 0, 0, 0, 2}},
		{Monthly, "2024-01-01", []float64{10, 13, 0, 2}},
	}
	for _, c := range cases {
		s, err := Aggregate(daily, c.g)
		if err != nil {
			t.Fatal(err)
		}
		if s.Start[0].Format("2006-01-02") != c.first || len(s.Values) != len(c.values) || len(s.Start) != len(s.Values) {
			t.Fatalf("%s: start %v, %d values %v", c.g, s.Start[0], len(s.Values), s.Values)
		}
		for i := range c.values {
			if math.Abs(s.Values[i]-c.values[i]) > 1e-9 {
				t.Errorf("%s: values %v, want %v", c.g, s.Values, c.values)
				break
			}
		}
	}
	d, _ := Aggregate(daily, Daily)
	if len(d.Values) != int(day("2024-04-02")-day("2024-01-31"))+1 {
		t.Errorf("daily series has %d steps", len(d.Values))
	}
	if _, err := Aggregate([]customer.DailyRevenue{daily[1], daily[0]}, Weekly); err == nil {
		t.Error("unsorted input accepted")
	}
}

func TestRunSeriesDates(t *testing.T) {
	var daily []customer.DailyRevenue
	start := customer.DayOf(time.Date(2023, 1, 1, 0, 0, 0, 0, time.UTC))
	for d := start; d < start+3*365; d++ {
		m := d.Time().Month()
		daily = append(daily, customer.DailyRevenue{Day: d, Revenue: txn.MoneyFromFloat(100 + 10*float64(m))})
	}
	s, err := Aggregate(daily, Monthly)
	if err != nil {
		t.Fatal(err)
	}
	res, err := RunSeries(s, Config{Period: 12, Horizon: 3})
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"2026-01-01", "2026-02-01", "2026-03-01"}
	for i, p := range res.Forecast {
		if got := p.Start.Format("2006-01-02"); got != want[i] {
			t.Errorf("step %d starts %s, want %s", p.Step, got, want[i])
		}
	}
	if _, err := RunSeries(Series{}, Config{Period: 12}); err == nil {
		t.Error("empty series accepted")
	}
}
