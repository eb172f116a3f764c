package clv

import (
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"gonum.org/v1/gonum/optimize"
)

// FitOptions tunes the maximum-likelihood fits. The zero value is ready to use.
type FitOptions struct {
	// Start is the initial parameter vector on the natural scale: (r, α, a, b)
	// for BG/NBD, (p, q, γ) for Gamma-Gamma. Nil means all ones.
	Start []float64
	// Workers splits the log-likelihood sum across goroutines; 0 means GOMAXPROCS.
	Workers int
}

// logObjective minimises −LL/n over log-parameters with an analytic gradient.
// Func and Grad are computed together; the last point is cached because gonum
// asks for them separately at the same location.
type logObjective struct {
	dim   int
	n     float64
	eval  func(theta, grad []float64) float64 // natural scale LL and dLL/dθ
	lastX []float64
	lastF float64
	lastG []float64
	theta []float64
	g     []float64
}

func newLogObjective(dim int, n float64, eval func(theta, grad []float64) float64) *logObjective {
	return &logObjective{dim: dim, n: n, eval: eval, lastG: make([]float64, dim), theta: make([]float64, dim), g: make([]float64, dim)}
}

func (o *logObjective) compute(x []float64) {
	if o.lastX != nil && equal(o.lastX, x) {
		return
	}
	for i, v := range x {
		// Keep exp() finite; the optimum is far inside these bounds for any sane data.
		o.theta[i] = math.Exp(math.Max(-30, math.Min(30, v)))
	}
	ll := o.eval(o.theta, o.g)
	if math.IsNaN(ll) || math.IsInf(ll, 0) {
		o.lastF = math.Inf(1)
		clear(o.lastG)
	} else {
		o.lastF = -ll / o.n
		for i := range o.g {
			o.lastG[i] = -o.g[i] * o.theta[i] / o.n
		}
	}
	o.lastX = append(o.lastX[:0], x...)
}

func equal(a, b []float64) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

// hess fills h with forward differences of the analytic gradient: dim extra
// gradient evaluations, cheap next to the BFGS iterations it saves.
func (o *logObjective) hess(h *mat.SymDense, x []float64) {
	const step = 1e-5
	o.compute(x)
	g0 := append([]float64(nil), o.lastG...)
	xx := append([]float64(nil), x...)
	cols := make([][]float64, o.dim)
	for i := range xx {
		xx[i] += step
		o.compute(xx)
		cols[i] = make([]float64, o.dim)
		for j := range g0 {
			cols[i][j] = (o.lastG[j] - g0[j]) / step
		}
		xx[i] = x[i]
	}
	for i := 0; i < o.dim; i++ {
		for j := i; j < o.dim; j++ {
			h.SetSym(i, j, (cols[i][j]+cols[j][i])/2)
		}
	}
}

// minimize runs BFGS from start, or Newton's method (with the finite-difference
// Hessian) when near is set: from a start close to the optimum, such as a
// subsample fit, Newton needs far fewer evaluations than BFGS, which first has
// to learn the curvature. A failed Newton run falls back to BFGS.
func (o *logObjective) minimize(start []float64, near bool) ([]float64, error) {
	if near {
		if x, err := o.run(start, &optimize.Newton{}, true); err == nil {
			return x, nil
		}
	}
	return o.run(start, &optimize.BFGS{}, false)
}

func (o *logObjective) run(start []float64, method optimize.Method, withHess bool) ([]float64, error) {
	if start == nil {
		start = make([]float64, o.dim)
		for i := range start {
			start[i] = 1
		}
	}
	if len(start) != o.dim {
		return nil, fmt.Errorf("clv: start has %d values, want %d", len(start), o.dim)
	}
	x0 := make([]float64, o.dim)
	for i, v := range start {
		if !(v > 0) {
			return nil, fmt.Errorf("clv: start value %d must be positive, got %g", i, v)
		}
		x0[i] = math.Log(v)
	}
	p := optimize.Problem{
		Func: func(x []float64) float64 { o.compute(x); return o.lastF },
		Grad: func(g, x []float64) { o.compute(x); copy(g, o.lastG) },
	}
	if withHess {
		p.Hess = o.hess
	}
	settings := &optimize.Settings{
		GradientThreshold: 1e-7, // on −LL/n in log-parameters; below it rounding noise dominates
		Converger:         &optimize.FunctionConverge{Absolute: 1e-12, Relative: 1e-12, Iterations: 5},
		MajorIterations:   1000,
	}
	res, err := optimize.Minimize(p, x0, settings, method)
	if err != nil && res == nil {
		return nil, fmt.Errorf("clv: optimisation failed: %w", err)
	}
	if math.IsInf(res.F, 0) || math.IsNaN(res.F) {
		return nil, errors.New("clv: optimisation did not reach a finite likelihood")
	}
	// Some line-search stops still end at the optimum; judge by the gradient.
	if err != nil {
		gmax := 0.0
		for _, g := range o.gradAt(res.X) {
			gmax = math.Max(gmax, math.Abs(g))
		}
		if gmax > 1e-4 {
			return nil, fmt.Errorf("clv: optimisation stopped away from an optimum (gradient %g): %w", gmax, err)
		}
	}
	out := make([]float64, o.dim)
	for i, v := range res.X {
		out[i] = math.Exp(v)
	}
	return out, nil
}

func (o *logObjective) gradAt(x []float64) []float64 {
	o.compute(x)
	return append([]float64(nil), o.lastG...)
}

// FitBGNBD fits BG/NBD to the summaries by maximum likelihood.
func FitBGNBD(s []Summary, opt FitOptions) (BGNBD, error) {
	d, err := newBGData(s)
	if err != nil {
		return BGNBD{}, err
	}
	if d.cntX[0] == d.n {
		// Without any repeat purchase the likelihood peaks at r → 0 and a, b are
		// not identified: there is nothing to fit.
		return BGNBD{}, errors.New("clv: BG/NBD needs customers with repeat purchases, none have any")
	}
	start, near, err := warmStart(s, opt, FitBGNBD)
	if err != nil {
		return BGNBD{}, err
	}
	ev := newBGEvaluator(d, opt.Workers)
	obj := newLogObjective(4, d.n, func(th, g []float64) float64 {
		return ev.eval(th[0], th[1], th[2], th[3], g)
	})
	th, err := obj.minimize(start, near)
	if err != nil {
		return BGNBD{}, fmt.Errorf("fitting BG/NBD: %w", err)
	}
	m := BGNBD{R: th[0], Alpha: th[1], A: th[2], B: th[3]}
	m.LogLikelihood = ev.eval(m.R, m.Alpha, m.A, m.B, nil)
	return m, nil
}

// warmStartMin is the population size above which a fit first runs on a
// systematic subsample of warmStartSize customers: most BFGS iterations then
// happen on the cheap subsample and the full data only polishes.
const (
	warmStartMin  = 200_000
	warmStartSize = 50_000
)

// warmStart returns the starting point for the full fit and whether it comes
// from a subsample fit (and so lies near the optimum).
func warmStart[M any](s []Summary, opt FitOptions, fit func([]Summary, FitOptions) (M, error)) ([]float64, bool, error) {
	if len(s) < warmStartMin {
		return opt.Start, false, nil
	}
	step := len(s) / warmStartSize
	sub := make([]Summary, 0, len(s)/step+1)
	for i := 0; i < len(s); i += step {
		sub = append(sub, s[i])
	}
	m, err := fit(sub, opt)
	if err != nil {
		// The subsample may lack what the full data has (e.g. repeat buyers);
		// fall back to the caller's start.
		return opt.Start, false, nil
	}
	switch v := any(m).(type) {
	case BGNBD:
		return []float64{v.R, v.Alpha, v.A, v.B}, true, nil
	case GammaGamma:
		return []float64{v.P, v.Q, v.Gamma}, true, nil
	}
	return nil, false, fmt.Errorf("clv: no warm start for %T", m)
}
