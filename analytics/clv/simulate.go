package clv

import (
	"errors"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/stat/distuv"
)

// SimConfig describes a synthetic population drawn from BG/NBD and
// Gamma-Gamma with known parameters, for parameter-recovery tests and
// benchmarks.
type SimConfig struct {
	BG BGNBD
	GG GammaGamma
	N  int // customers
	// Each customer's age T is uniform in [MinT, MaxT] (staggered first purchases).
	MinT, MaxT float64
	// Holdout is the length of the period after T whose purchases are counted
	// in Summary.Holdout.
	Holdout float64
	// Grid, when positive, rounds purchase times down to multiples of Grid (for
	// example 1/7 to get whole days in weeks) and merges purchases that fall in
	// the same slot, like real day-granular data.
	Grid float64
	Seed uint64
}

// Simulate draws a population from cfg. Customer i's purchase rate is
// Gamma(r, α), its dropout probability after each repeat purchase Beta(a, b),
// its mean spend ν ~ Gamma(q, γ) and each purchase's value Gamma(p, ν).
func Simulate(cfg SimConfig) ([]Summary, error) {
	if cfg.N <= 0 || !(cfg.MaxT > 0) || cfg.MinT < 0 || cfg.MinT > cfg.MaxT {
		return nil, errors.New("clv: simulation needs N > 0 and 0 ≤ MinT ≤ MaxT, MaxT > 0")
	}
	if err := cfg.BG.validate(); err != nil {
		return nil, err
	}
	if !(cfg.GG.P > 0 && cfg.GG.Q > 0 && cfg.GG.Gamma > 0) {
		return nil, errors.New("clv: simulation needs positive Gamma-Gamma parameters")
	}
	src := rand.NewPCG(cfg.Seed, cfg.Seed^0x9e3779b97f4a7c15)
	rng := rand.New(src)
	lambda := distuv.Gamma{Alpha: cfg.BG.R, Beta: cfg.BG.Alpha, Src: src}
	drop := distuv.Beta{Alpha: cfg.BG.A, Beta: cfg.BG.B, Src: src}
	nu := distuv.Gamma{Alpha: cfg.GG.Q, Beta: cfg.GG.Gamma, Src: src}
	spend := distuv.Gamma{Alpha: cfg.GG.P, Beta: 1, Src: src}
	slot := func(t float64) float64 {
		if cfg.Grid > 0 {
			return math.Floor(t/cfg.Grid) * cfg.Grid
		}
		return t
	}
	out := make([]Summary, cfg.N)
	for i := range out {
		T := slot(cfg.MinT + (cfg.MaxT-cfg.MinT)*rng.Float64())
		l := lambda.Rand()
		p := drop.Rand()
		spend.Beta = nu.Rand()
		s := Summary{T: T}
		var total float64
		t, last := 0.0, 0.0
		for {
			t += rng.ExpFloat64() / l
			st := slot(t)
			if st > T+cfg.Holdout {
				break
			}
			if st != last { // same slot as the previous purchase: merged
				if st <= T {
					s.X++
					s.Tx = st
					total += spend.Rand()
				} else {
					s.Holdout++
				}
				last = st
			}
			if rng.Float64() < p {
				break
			}
		}
		if s.X > 0 {
			s.Monetary = total / float64(s.X)
		}
		out[i] = s
	}
	return out, nil
}
