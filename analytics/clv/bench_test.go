package clv

import (
	"fmt"
	"testing"
)

// BenchmarkFit1M fits BG/NBD and Gamma-Gamma to one million simulated
// customers: continuous times (no rows merge: worst case) and day-granular
// times in weeks (as real data, where identical rows merge).
func BenchmarkFit1M(b *testing.B) {
	for _, grid := range []float64{0, 1.0 / 7} {
		sums, err := Simulate(SimConfig{BG: trueBG, GG: trueGG, N: 1_000_000, MinT: 26, MaxT: 104, Grid: grid, Seed: 1})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(fmt.Sprintf("grid=%.3f", grid), func(b *testing.B) {
			for b.Loop() {
				if _, err := FitBGNBD(sums, FitOptions{}); err != nil {
					b.Fatal(err)
				}
				if _, err := FitGammaGamma(sums, FitOptions{}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

func BenchmarkBGNBDLogLikelihood1M(b *testing.B) {
	sums, err := Simulate(SimConfig{BG: trueBG, GG: trueGG, N: 1_000_000, MinT: 26, MaxT: 104, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	d, err := newBGData(sums)
	if err != nil {
		b.Fatal(err)
	}
	g := make([]float64, 4)
	for _, w := range []int{1, 2} {
		ev := newBGEvaluator(d, w)
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			for b.Loop() {
				ev.eval(0.25, 4, 0.8, 2.5, g)
			}
		})
	}
}

// BenchmarkValues1M computes P(alive), expected purchases over 12 periods and
// discounted CLV for one million day-granular customers.
func BenchmarkValues1M(b *testing.B) {
	sums, err := Simulate(SimConfig{BG: trueBG, GG: trueGG, N: 1_000_000, MinT: 26, MaxT: 104, Grid: 1.0 / 7, Seed: 1})
	if err != nil {
		b.Fatal(err)
	}
	for b.Loop() {
		if _, err := Values(trueBG, trueGG, sums, ValueParams{Margin: 0.3, DiscountRate: 0.01, Periods: 12, PeriodLength: 4}, 0); err != nil {
			b.Fatal(err)
		}
	}
}
