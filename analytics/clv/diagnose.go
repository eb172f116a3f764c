package clv

import (
	"fmt"
	"math"
)

// Thresholds of Diagnose.
const (
	// paramBound: BG/NBD a or b beyond exp(±paramBound) counts as at a
	// bound (the optimiser's range is exp(±30); the likelihood is flat long
	// before, so fits stop short of it).
	paramBound = 20
	// MinDropout: a mean dropout probability per purchase a/(a+b) below it
	// is a at its lower bound relative to b (no customer ever leaves).
	MinDropout = 1e-4
	// AliveBound: every P(alive) at or above it means the fit saw no dropout.
	AliveBound = 0.999
	// MinRepeatBuyers and MinRepeatShare: fewer repeat buyers than this
	// (count or share) leave the purchase process barely identified.
	MinRepeatBuyers = 20
	MinRepeatShare  = 0.05
)

// Diagnose names what makes a fit degenerate — BG/NBD's a or b at the
// optimiser's bound, every customer's P(alive) ≈ 1, Gamma-Gamma's q ≤ 1
// (no finite mean spend) — each with its likely cause read from the data:
// too few repeat buyers, or a calibration period too short for dropouts to
// show. Empty for a sound fit.
func Diagnose(bg BGNBD, gg GammaGamma, sums []Summary, values []CustomerValue, unit TimeUnit) []string {
	if len(sums) == 0 {
		return nil
	}
	repeat, maxT := 0, 0.0
	for _, s := range sums {
		if s.X > 0 {
			repeat++
		}
		maxT = math.Max(maxT, s.T)
	}
	if unit == "" {
		unit = Week
	}
	var cause string
	if repeat < MinRepeatBuyers || float64(repeat) < MinRepeatShare*float64(len(sums)) {
		cause = fmt.Sprintf("likely cause: too few repeat buyers (%d of %d customers bought again in the calibration period)", repeat, len(sums))
	} else {
		cause = fmt.Sprintf("likely cause: calibration period too short (the oldest customer's age T is %.4g %ss), so dropouts have not had time to show; move the calibration end later or use a longer history", maxT, unit)
	}
	var out []string
	for _, p := range []struct {
		name string
		v    float64
	}{{"a", bg.A}, {"b", bg.B}} {
		if l := math.Log(p.v); l <= -paramBound || l >= paramBound {
			out = append(out, fmt.Sprintf("BG/NBD %s = %.4g is at the bound of its range: %s", p.name, p.v, cause))
		}
	}
	if d := bg.A / (bg.A + bg.B); d < MinDropout && len(out) == 0 {
		out = append(out, fmt.Sprintf("BG/NBD a = %.4g is at its lower bound relative to b = %.4g (mean dropout probability per purchase a/(a+b) = %.2g): %s", bg.A, bg.B, d, cause))
	}
	minAlive := math.Inf(1)
	for _, v := range values {
		minAlive = math.Min(minAlive, v.PAlive)
	}
	if len(values) > 0 && minAlive >= AliveBound {
		out = append(out, fmt.Sprintf("every P(alive) is ≈ 1 (lowest %.6f): the model sees no customer as gone and CLV is an upper bound; %s", minAlive, cause))
	}
	if gg.Customers > 0 && gg.Q <= 1 {
		out = append(out, fmt.Sprintf("Gamma-Gamma q = %.4g ≤ 1: the spend distribution has no finite mean and one-time buyers are valued at the sample mean spend; %s", gg.Q, cause))
	}
	return out
}
