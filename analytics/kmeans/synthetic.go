package kmeans

import "math/rand/v2"

// SyntheticRFM returns n×3 row-major points (recency days, orders, spend)
// drawn around k random centres with overlap, for benchmarks and comparisons
// with other implementations. It is deterministic for a seed.
func SyntheticRFM(n, k int, seed uint64) []float64 {
	rng := rand.New(rand.NewPCG(seed, 0x2545f4914f6cdd1d))
	centres := make([][3]float64, k)
	for i := range centres {
		for f := range centres[i] {
			centres[i][f] = rng.Float64()
		}
	}
	scale := [3]float64{365, 30, 2000}
	offset := [3]float64{0, 1, 20}
	x := make([]float64, 0, 3*n)
	for i := 0; i < n; i++ {
		c := centres[rng.IntN(k)]
		for f := 0; f < 3; f++ {
			x = append(x, offset[f]+scale[f]*(c[f]+0.08*rng.NormFloat64()))
		}
	}
	return x
}
