// Package forecast fits Holt-Winters exponential smoothing (additive or
// multiplicative seasonality, additive trend) or Holt's linear trend model
// (no seasonal component) to a revenue series, forecasts it
// with a prediction interval and measures the error on a held-out last season.
// Helpers turn daily revenue into contiguous daily, weekly or monthly series.
package forecast

import (
	"errors"
	"fmt"
	"math"
	"time"

	"gonum.org/v1/gonum/diff/fd"
	"gonum.org/v1/gonum/optimize"
	"gonum.org/v1/gonum/stat/distuv"
)

// Seasonality selects how the seasonal component combines with the level.
type Seasonality string

// Seasonality kinds.
const (
	Additive       Seasonality = "additive"
	Multiplicative Seasonality = "multiplicative"
	// None fits Holt's linear trend model: level and trend, no season
	// (Period is ignored and reported as 0).
	None Seasonality = "none"
)

// Initialization selects how the starting level, trend and seasonal terms are set.
type Initialization string

// Initialization methods.
const (
	// Estimated optimises the starting states together with α, β, γ (as
	// statsmodels' default), starting from the heuristic values.
	Estimated Initialization = "estimated"
	// Heuristic fixes them from the first two periods (see initial).
	Heuristic Initialization = "heuristic"
)

// Params are the smoothing parameters, each in (0, 1): Alpha for the level,
// Beta for the trend (Holt's β*), Gamma for the seasonal component.
type Params struct {
	Alpha float64 `json:"alpha"`
	Beta  float64 `json:"beta"`
	Gamma float64 `json:"gamma"`
}

// Model is a fitted Holt-Winters model: its parameters and the states after
// the last observation.
type Model struct {
	Params      Params
	Seasonality Seasonality
	Period      int
	SSE         float64 // sum of squared one-step-ahead errors
	N           int     // observations fitted
	// InitialLevel, InitialTrend and InitialSeasonal are the states before the
	// first observation; InitialSeasonal[i] serves steps t ≡ i (mod Period).
	InitialLevel    float64
	InitialTrend    float64
	InitialSeasonal []float64
	final           states
	lastPhase       int
}

// states are the level, trend and seasonal terms; s[i] serves steps t ≡ i (mod m).
type states struct {
	l, b float64
	s    []float64
}

// initial returns the classic starting states, placed just before y[0]: the
// trend is the mean change between the first two seasons per step, the level
// is the first season's mean moved back along that trend to step −1, and the
// seasonal terms are the first season's deviations (or ratios) from the trend
// line. A series with exact linear trend and additive seasonality is then
// reproduced without error.
func initial(y []float64, m int, s Seasonality) states {
	if s == None {
		// Holt: the trend is the mean step over the first few points, the
		// level y[0] moved back one step along it.
		k := min(len(y), 4)
		b := (y[k-1] - y[0]) / float64(k-1)
		return states{l: y[0] - b, b: b}
	}
	var m1, m2 float64
	for i := 0; i < m; i++ {
		m1 += y[i]
		m2 += y[m+i]
	}
	m1 /= float64(m)
	m2 /= float64(m)
	st := states{b: (m2 - m1) / float64(m), s: make([]float64, m)}
	st.l = m1 - st.b*float64(m+1)/2
	for i := 0; i < m; i++ {
		base := st.l + float64(i+1)*st.b
		if s == Multiplicative {
			st.s[i] = y[i] / base
		} else {
			st.s[i] = y[i] - base
		}
	}
	return st
}

// filter runs the recursions from st0 (left unchanged) and returns the SSE and
// the final states. The recursions are the error-correction form used by
// statsmodels and Hyndman et al.: level ← α(y − s) + (1−α)(l + b),
// trend ← β(l' − l) + (1−β)b, season ← γ(y − l − b) + (1−γ)s (additive;
// ratios for multiplicative).
func filter(y []float64, s Seasonality, p Params, st0 states, season []float64) (float64, states) {
	m := len(st0.s)
	copy(season, st0.s)
	l, b := st0.l, st0.b
	var sse float64
	for t, v := range y {
		var pred, lNew float64
		if m == 0 {
			pred = l + b
			lNew = p.Alpha*v + (1-p.Alpha)*(l+b)
			sse += (v - pred) * (v - pred)
			b = p.Beta*(lNew-l) + (1-p.Beta)*b
			l = lNew
			continue
		}
		i := t % m
		if s == Multiplicative {
			pred = (l + b) * season[i]
			lNew = p.Alpha*v/season[i] + (1-p.Alpha)*(l+b)
			season[i] = p.Gamma*v/(l+b) + (1-p.Gamma)*season[i]
		} else {
			pred = l + b + season[i]
			lNew = p.Alpha*(v-season[i]) + (1-p.Alpha)*(l+b)
			season[i] = p.Gamma*(v-l-b) + (1-p.Gamma)*season[i]
		}
		e := v - pred
		sse += e * e
		b = p.Beta*(lNew-l) + (1-p.Beta)*b
		l = lNew
	}
	return sse, states{l: l, b: b, s: season}
}

func logistic(x float64) float64 { return 1 / (1 + math.Exp(-x)) }
func logit(p float64) float64    { return math.Log(p / (1 - p)) }

func toParams(x []float64) Params { return Params{logistic(x[0]), logistic(x[1]), logistic(x[2])} }

// Fit estimates the model on y with cfg's period, seasonality and
// initialisation. α, β, γ minimise the one-step-ahead SSE: first by
// Nelder-Mead over logit-transformed parameters (each stays in (0, 1)) from a
// few starting points with heuristic states; with Estimated initialisation
// the starting states are then optimised jointly with them by BFGS (central
// finite-difference gradient; the problem has only period+5 parameters).
// y needs at least two full periods; multiplicative seasonality needs positive
// values.
func Fit(y []float64, cfg Config) (*Model, error) {
	s, period := cfg.Seasonality, cfg.Period
	if s == "" {
		s = Additive
	}
	if s != Additive && s != Multiplicative && s != None {
		return nil, fmt.Errorf("forecast: unknown seasonality %q (want additive, multiplicative or none)", string(s))
	}
	init := cfg.Initialization
	if init == "" {
		init = Estimated
	}
	if init != Estimated && init != Heuristic {
		return nil, fmt.Errorf("forecast: unknown initialization %q (want estimated or heuristic)", string(init))
	}
	if s == None {
		period = 0
	} else if period < 2 {
		return nil, fmt.Errorf("forecast: period must be ≥ 2, got %d", period)
	}
	if len(y) < minPoints(s, period) {
		if s == None {
			return nil, fmt.Errorf("forecast: %d points, a trend model needs at least %d", len(y), minPoints(s, period))
		}
		return nil, fmt.Errorf("forecast: %d points, need at least two periods (%d)", len(y), 2*period)
	}
	var scale float64
	for i, v := range y {
		if math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("forecast: point %d is not finite", i)
		}
		if s == Multiplicative && v <= 0 {
			return nil, fmt.Errorf("forecast: multiplicative seasonality needs positive values, point %d is %g", i, v)
		}
		scale += math.Abs(v)
	}
	scale /= float64(len(y))
	if scale == 0 {
		scale = 1
	}
	st0 := initial(y, period, s)
	season := make([]float64, period)
	obj := func(x []float64) float64 {
		sse, _ := filter(y, s, toParams(x), st0, season)
		if math.IsNaN(sse) {
			return math.Inf(1)
		}
		return sse / (float64(len(y)) * scale * scale)
	}
	best, bestF := []float64(nil), math.Inf(1)
	for _, start := range []Params{{0.3, 0.1, 0.1}, {0.1, 0.01, 0.3}, {0.7, 0.2, 0.05}} {
		x0 := []float64{logit(start.Alpha), logit(start.Beta), logit(start.Gamma)}
		res, err := optimize.Minimize(optimize.Problem{Func: obj}, x0,
			&optimize.Settings{MajorIterations: 2000, Converger: &optimize.FunctionConverge{Absolute: 1e-12, Relative: 1e-12, Iterations: 50}},
			&optimize.NelderMead{})
		if err != nil && res == nil {
			return nil, fmt.Errorf("forecast: fitting Holt-Winters: %w", err)
		}
		if res.F < bestF {
			best, bestF = res.X, res.F
		}
	}
	if best == nil || math.IsInf(bestF, 0) {
		return nil, errors.New("forecast: fitting Holt-Winters found no finite error")
	}
	p := toParams(best)
	if init == Estimated {
		p, st0 = estimateStates(y, s, best, st0, scale)
	}
	if s == None {
		p.Gamma = 0 // no seasonal component: γ is not a parameter
	}
	sse, final := filter(y, s, p, st0, make([]float64, period))
	phase := 0
	if period > 0 {
		phase = len(y) % period
	}
	return &Model{Params: p, Seasonality: s, Period: period, SSE: sse, N: len(y),
		InitialLevel: st0.l, InitialTrend: st0.b, InitialSeasonal: st0.s, final: final, lastPhase: phase}, nil
}

// MinTrendPoints is the shortest series the trend model (None) is fitted to.
const MinTrendPoints = 4

// minPoints is the shortest series Fit accepts: two seasons, or
// MinTrendPoints without a season.
func minPoints(s Seasonality, period int) int {
	if s == None {
		return MinTrendPoints
	}
	return 2 * period
}

// estimateStates optimises smoothing parameters and starting states together.
// States are scaled by the series' mean magnitude (additive seasonal terms too)
// so that all coordinates are of order one.
func estimateStates(y []float64, s Seasonality, x3 []float64, st0 states, scale float64) (Params, states) {
	m := len(st0.s)
	x0 := make([]float64, 5+m)
	copy(x0, x3)
	x0[3], x0[4] = st0.l/scale, st0.b/scale
	sScale := scale
	if s == Multiplicative {
		sScale = 1
	}
	for i, v := range st0.s {
		x0[5+i] = v / sScale
	}
	season := make([]float64, m)
	st := states{s: make([]float64, m)}
	unpack := func(x []float64) (Params, states) {
		st.l, st.b = x[3]*scale, x[4]*scale
		for i := range st.s {
			st.s[i] = x[5+i] * sScale
		}
		return toParams(x), st
	}
	norm := float64(len(y)) * scale * scale
	f := func(x []float64) float64 {
		p, st := unpack(x)
		sse, _ := filter(y, s, p, st, season)
		if math.IsNaN(sse) || math.IsInf(sse, 0) {
			return math.Inf(1)
		}
		return sse / norm
	}
	prob := optimize.Problem{
		Func: f,
		Grad: func(g, x []float64) { fd.Gradient(g, f, x, &fd.Settings{Formula: fd.Central}) },
	}
	res, err := optimize.Minimize(prob, x0, &optimize.Settings{MajorIterations: 500}, &optimize.BFGS{})
	x := x0
	if res != nil && res.F <= f(x0) && (err == nil || !math.IsInf(res.F, 0)) {
		x = res.X
	}
	p, st := unpack(x)
	return p, states{l: st.l, b: st.b, s: append([]float64(nil), st.s...)}
}

// Point is one forecast step with its prediction interval.
type Point struct {
	Step  int       `json:"step"`
	Start time.Time `json:"start,omitzero"` // first day of the step, set by RunSeries
	Value float64   `json:"value"`
	Lower float64   `json:"lower"`
	Upper float64   `json:"upper"`
}

// Forecast predicts h steps ahead with a central prediction interval of the
// given level (e.g. 0.95). The interval uses the additive ETS(A,A,A) variance
// σ²[1 + Σ_{j<h} (α + αβj + γ·[j ≡ 0 mod m])²] with σ² = SSE/n; for
// multiplicative seasonality it is an approximation.
func (m *Model) Forecast(h int, level float64) ([]Point, error) {
	if h < 0 {
		return nil, fmt.Errorf("forecast: horizon must be ≥ 0, got %d", h)
	}
	if !(level > 0 && level < 1) {
		return nil, fmt.Errorf("forecast: interval level must be in (0, 1), got %g", level)
	}
	z := distuv.UnitNormal.Quantile(0.5 + level/2)
	sigma2 := m.SSE / float64(m.N)
	p := m.Params
	out := make([]Point, h)
	cum := 0.0
	for k := 1; k <= h; k++ {
		var v float64
		i := 0
		if m.Period > 0 {
			i = (m.lastPhase + k - 1) % m.Period
		}
		switch {
		case m.Period == 0:
			v = m.final.l + float64(k)*m.final.b
		case m.Seasonality == Multiplicative:
			v = (m.final.l + float64(k)*m.final.b) * m.final.s[i]
		default:
			v = m.final.l + float64(k)*m.final.b + m.final.s[i]
		}
		if k > 1 {
			j := float64(k - 1)
			c := p.Alpha + p.Alpha*p.Beta*j
			if m.Period > 0 && (k-1)%m.Period == 0 {
				c += p.Gamma
			}
			cum += c * c
		}
		half := z * math.Sqrt(sigma2*(1+cum))
		out[k-1] = Point{Step: k, Value: v, Lower: v - half, Upper: v + half}
	}
	return out, nil
}
