package basket

import (
	"math/rand/v2"
	"strconv"
	"testing"
)

// BenchmarkMine100k mines 100k baskets over 2,000 products with popularity
// skew and a few planted associations.
func BenchmarkMine100k(b *testing.B) {
	rng := rand.New(rand.NewPCG(1, 2))
	baskets := make([][]string, 100_000)
	for i := range baskets {
		n := 1 + rng.IntN(6)
		for j := 0; j < n; j++ {
			p := int(2000 * rng.Float64() * rng.Float64()) // skewed to low IDs
			baskets[i] = append(baskets[i], "p"+strconv.Itoa(p))
			if p%10 == 0 && rng.Float64() < 0.7 {
				baskets[i] = append(baskets[i], "p"+strconv.Itoa(p+1))
			}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		if _, err := Mine(baskets, Config{MinSupport: 0.001, MinConfidence: 0.2}); err != nil {
			b.Fatal(err)
		}
	}
}
