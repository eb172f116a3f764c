package kmeans

import (
	"strconv"
	"testing"
)

// Benchmark1Mx3K8 clusters one million points with three features into 8.
func Benchmark1Mx3K8(b *testing.B) {
	x := SyntheticRFM(1_000_000, 8, 1)
	for _, w := range []int{1, 2} {
		b.Run("workers="+strconv.Itoa(w), func(b *testing.B) {
			for b.Loop() {
				if _, _, err := Fit(x, Config{Features: RFMFeatures, K: 8, Seed: 1, Workers: w}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
