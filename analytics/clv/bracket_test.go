package clv

import (
	"math"
	"testing"
)

// referenceBracket sums the same series as conditionalBracket with a fixed,
// generous stopping rule (every term past k = |c−A| + 20,000 below 1e-18 of
// the sum), so the early stop can be checked against it.
func referenceBracket(m BGNBD, fx, T, t float64) float64 {
	eps := m.A - 1
	c := m.A + m.B + fx - 1
	cA := m.A + m.B - 1 - m.R
	z := t / (m.Alpha + T + t)
	L := math.Log(m.Alpha+T) - math.Log(m.Alpha+T+t)
	var S float64
	term := cA / c * z
	minK := math.Abs(cA) + 20_000
	for k := 1; k < 5_000_000; k++ {
		S += term
		if float64(k) > minK && math.Abs(term) <= 1e-18*math.Abs(S) {
			break
		}
		fk := float64(k)
		term *= (cA + fk) * (m.A + fk - 1) / ((c + fk) * (fk + 1)) * z
	}
	lead := -L
	if math.Abs(eps) >= 1e-12 {
		lead = -math.Expm1(eps*L) / eps
	}
	return c * (lead - math.Exp(eps*L)*S)
}

// TestConditionalBracketStopsEarlyButExactly: the tail-bound stop agrees
// with the long sum to 1e-12 relative, for weekly-unit fits (a ≈ 0, b in
// the thousands, where the stop matters), the CDNOW fit, a ≈ 1, a > 2 and
// r larger than a+b.
func TestConditionalBracketStopsEarlyButExactly(t *testing.T) {
	models := []struct {
		name string
		m    BGNBD
	}{
		{"weekly a≈0 b large", BGNBD{R: 0.25, Alpha: 4.4, A: 0.002, B: 1500}},
		{"CDNOW weeks", BGNBD{R: 0.243, Alpha: 4.414, A: 0.793, B: 2.426}},
		{"a near 1", BGNBD{R: 1.2, Alpha: 10, A: 1 + 1e-13, B: 3}},
		{"a above 2", BGNBD{R: 0.5, Alpha: 2, A: 3.5, B: 8}},
		{"r above a+b", BGNBD{R: 9, Alpha: 30, A: 0.4, B: 0.7}},
	}
	for _, mc := range models {
		for _, x := range []float64{0, 1, 7, 60} {
			for _, tc := range [][2]float64{{0, 39}, {38.9, 52}, {78, 39}, {20, 400}} {
				T, horizon := tc[0], tc[1]
				got, want := conditionalBracket(mc.m, x, T, horizon), referenceBracket(mc.m, x, T, horizon)
				if math.Abs(got-want) > 1e-12*math.Abs(want) {
					t.Errorf("%s x=%v T=%v t=%v: %.17g, long sum %.17g", mc.name, x, T, horizon, got, want)
				}
			}
		}
	}
}

func BenchmarkExpectedPurchasesWeekly(b *testing.B) {
	m := BGNBD{R: 0.25, Alpha: 4.4, A: 0.002, B: 1500}
	for b.Loop() {
		for x := 0; x < 100; x++ {
			m.ExpectedPurchases(x, 30, 78, 52)
		}
	}
}
