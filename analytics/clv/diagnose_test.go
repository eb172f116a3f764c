package clv

import (
	"strings"
	"testing"
)

// TestDiagnoseShortCalibration: a calibration period of two weeks in which
// every repeat buyer is still buying at its end shows no dropout: the fit
// drives a to its bound and every P(alive) to 1, and both are flagged with
// the short calibration as the cause. A single repeat buyer is flagged as
// too few repeat buyers instead.
func TestDiagnoseShortCalibration(t *testing.T) {
	var sums []Summary
	for i := 0; i < 60; i++ {
		T := 1 + float64(i%2) // ages of one and two weeks
		s := Summary{T: T}
		if i%3 != 0 {
			s.X = 1 + i%4
			s.Tx = T // bought on the last calibration day
			s.Monetary = 20 + float64(i%5)
		}
		sums = append(sums, s)
	}
	res, _, err := Analyze(sums, Config{Unit: Week})
	if err != nil {
		t.Fatal(err)
	}
	all := strings.Join(res.Degenerate, "\n")
	t.Logf("a %g b %g:\n%s", res.BGNBD.A, res.BGNBD.B, all)
	if len(res.Degenerate) != 2 || !strings.HasPrefix(res.Degenerate[0], "BG/NBD a = ") || !strings.Contains(all, "every P(alive) is ≈ 1") || !strings.Contains(all, "calibration period too short") {
		t.Errorf("degenerate = %q (a %g b %g)", res.Degenerate, res.BGNBD.A, res.BGNBD.B)
	}

	few := []Summary{{X: 0, T: 2}, {X: 0, T: 2}, {X: 1, Tx: 2, T: 2, Monetary: 10}}
	got := Diagnose(BGNBD{R: 1, Alpha: 1, A: 1e-14, B: 1}, GammaGamma{}, few, []CustomerValue{{PAlive: 1}, {PAlive: 1}, {PAlive: 1}}, Week)
	if len(got) != 2 || !strings.Contains(got[0], "BG/NBD a = 1e-14 is at the bound") || !strings.Contains(got[0], "too few repeat buyers (1 of 3") {
		t.Errorf("few repeat buyers: %q", got)
	}
	if got := Diagnose(BGNBD{R: 0.24, Alpha: 4.4, A: 0.79, B: 2.4}, GammaGamma{Customers: 2, Q: 3.7}, few, []CustomerValue{{PAlive: 0.5}, {PAlive: 1}}, Week); len(got) != 0 {
		t.Errorf("sound fit flagged: %q", got)
	}
}
