package clv

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mathext"
)

// GammaGamma holds the Gamma-Gamma spend parameters: a transaction's value is
// Gamma(p, ν) and ν is Gamma(q, γ) across customers.
type GammaGamma struct {
	P     float64 `json:"p"`
	Q     float64 `json:"q"`
	Gamma float64 `json:"gamma"`
	// LogLikelihood is the total log-likelihood of the repeat customers' mean
	// spend at the fitted parameters.
	LogLikelihood float64 `json:"logLikelihood"`
	// Customers is the number of repeat customers the model was fitted on.
	Customers int `json:"customers"`
	// Excluded counts repeat customers left out because their mean repeat-day
	// spend is not positive (net refunds), which Gamma-Gamma cannot model.
	Excluded int `json:"excluded"`
	// MeanSpend is the plain mean of the fitted customers' mean spends; it
	// stands in for the population mean pγ/(q−1) when q ≤ 1 (where that mean
	// does not exist).
	MeanSpend float64 `json:"meanSpend"`
}

// ggData holds the repeat customers (x > 0, positive mean spend).
type ggData struct {
	n        float64
	excluded int
	x        []float64
	m        []float64
	cntX     []float64
	sumXL    float64 // Σ x(ln m + ln x)
	sumLM    float64 // Σ ln m
	maxX     int
}

func newGGData(s []Summary) (*ggData, error) {
	d := &ggData{}
	for i, c := range s {
		if c.X == 0 {
			continue
		}
		if math.IsNaN(c.Monetary) || math.IsInf(c.Monetary, 0) {
			return nil, fmt.Errorf("clv: summary %d: mean repeat spend is not finite", i)
		}
		if c.Monetary <= 0 {
			d.excluded++
			continue
		}
		fx := float64(c.X)
		d.x = append(d.x, fx)
		d.m = append(d.m, c.Monetary)
		d.sumXL += fx * (math.Log(c.Monetary) + math.Log(fx))
		d.sumLM += math.Log(c.Monetary)
		if c.X > d.maxX {
			d.maxX = c.X
		}
	}
	if len(d.x) < 2 {
		return nil, fmt.Errorf("clv: Gamma-Gamma needs at least 2 repeat customers with positive spend, have %d", len(d.x))
	}
	d.n = float64(len(d.x))
	d.cntX = make([]float64, d.maxX+1)
	for _, x := range d.x {
		d.cntX[int(x)]++
	}
	return d, nil
}

// eval returns the Gamma-Gamma log-likelihood of the mean spends and its
// gradient in (p, q, γ). Per customer:
// lnΓ(px+q) − lnΓ(px) − lnΓ(q) + q ln γ + (px−1) ln m + px ln x − (px+q) ln(xm+γ).
func (d *ggData) eval(p, q, g float64, grad []float64) float64 {
	var sLog, sXLog, sFrac float64
	for i, x := range d.x {
		u := x*d.m[i] + g
		l := math.Log(u)
		sLog += l
		sXLog += x * l
		sFrac += (p*x + q) / u
	}
	lgQ, _ := math.Lgamma(q)
	psQ := mathext.Digamma(q)
	lnG := math.Log(g)
	ll := p*d.sumXL - d.sumLM - p*sXLog - q*sLog + d.n*(q*lnG-lgQ)
	dp := d.sumXL - sXLog
	dq := -sLog + d.n*(lnG-psQ)
	dg := d.n*q/g - sFrac
	for x, c := range d.cntX {
		if c == 0 {
			continue
		}
		fx := float64(x)
		a, _ := math.Lgamma(p*fx + q)
		b, _ := math.Lgamma(p * fx)
		ll += c * (a - b)
		pa, pb := mathext.Digamma(p*fx+q), mathext.Digamma(p*fx)
		dp += c * fx * (pa - pb)
		dq += c * pa
	}
	if grad != nil {
		grad[0], grad[1], grad[2] = dp, dq, dg
	}
	return ll
}

// LogLikelihoodOf returns the Gamma-Gamma log-likelihood of the repeat customers
// among s at the parameters in m.
func (m GammaGamma) LogLikelihoodOf(s []Summary) (float64, error) {
	d, err := newGGData(s)
	if err != nil {
		return 0, err
	}
	return d.eval(m.P, m.Q, m.Gamma, nil), nil
}

// FitGammaGamma fits Gamma-Gamma to the customers of s with at least one
// repeat purchase day, using their mean repeat-day spend.
func FitGammaGamma(s []Summary, opt FitOptions) (GammaGamma, error) {
	d, err := newGGData(s)
	if err != nil {
		return GammaGamma{}, err
	}
	start, near, err := warmStart(s, opt, FitGammaGamma)
	if err != nil {
		return GammaGamma{}, err
	}
	obj := newLogObjective(3, d.n, func(th, g []float64) float64 {
		return d.eval(th[0], th[1], th[2], g)
	})
	th, err := obj.minimize(start, near)
	if err != nil {
		return GammaGamma{}, fmt.Errorf("fitting Gamma-Gamma: %w", err)
	}
	m := GammaGamma{P: th[0], Q: th[1], Gamma: th[2], Customers: len(d.x), Excluded: d.excluded}
	for _, v := range d.m {
		m.MeanSpend += v
	}
	m.MeanSpend /= d.n
	m.LogLikelihood = d.eval(m.P, m.Q, m.Gamma, nil)
	return m, nil
}

// ExpectedSpend returns the expected spend per purchase of a customer with x
// repeat purchases of mean value m; with x == 0 it is the population mean.
// When q ≤ 1 that mean does not exist and MeanSpend is returned instead.
func (m GammaGamma) ExpectedSpend(x int, mean float64) float64 {
	if m.Q <= 1 && x == 0 {
		return m.MeanSpend
	}
	fx := float64(x)
	return m.P * (m.Gamma + fx*mean) / (m.P*fx + m.Q - 1)
}
