package forecast

import "testing"

// BenchmarkFitWeekly fits three years of weekly revenue with a yearly season.
func BenchmarkFitWeekly(b *testing.B) {
	y := SyntheticSeries(156, 52, 1)
	for _, s := range []Seasonality{Additive, Multiplicative} {
		b.Run(string(s), func(b *testing.B) {
			for b.Loop() {
				if _, err := Fit(y, Config{Period: 52, Seasonality: s}); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
