package forecast

import (
	"math"
	"math/rand/v2"
)

// SyntheticMean is the noise-free value of SyntheticSeries at step t: linear
// growth times a smooth seasonal swing of the given period.
func SyntheticMean(t, period int) float64 {
	season := 1 + 0.3*math.Sin(2*math.Pi*float64(t)/float64(period)) + 0.1*math.Cos(4*math.Pi*float64(t)/float64(period))
	return (1000 + 5*float64(t)) * season
}

// SyntheticSeries returns n steps of SyntheticMean with 3% multiplicative
// Gaussian noise, for benchmarks and comparisons with other implementations.
// Deterministic per seed.
func SyntheticSeries(n, period int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x853c49e6748fea9b))
	y := make([]float64, n)
	for t := range y {
		y[t] = SyntheticMean(t, period) * (1 + 0.03*rng.NormFloat64())
	}
	return y
}
