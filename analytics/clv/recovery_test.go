package clv

import (
	"math"
	"testing"
)

var trueBG = BGNBD{R: 0.25, Alpha: 4, A: 0.8, B: 2.5}
var trueGG = GammaGamma{P: 6, Q: 4, Gamma: 15}

func within(t *testing.T, name string, got, want, rel float64) {
	t.Helper()
	if math.Abs(got-want) > rel*math.Abs(want) {
		t.Errorf("%s = %.4f, want %.4f ± %.0f%%", name, got, want, rel*100)
	}
}

func TestParameterRecovery(t *testing.T) {
	sums, err := Simulate(SimConfig{BG: trueBG, GG: trueGG, N: 50000, MinT: 26, MaxT: 104, Seed: 7})
	if err != nil {
		t.Fatal(err)
	}
	starts := [][]float64{nil, {0.1, 1, 0.1, 0.1}, {3, 30, 5, 10}, {1, 100, 0.5, 20}}
	var first BGNBD
	for i, st := range starts {
		bg, err := FitBGNBD(sums, FitOptions{Start: st})
		if err != nil {
			t.Fatalf("start %v: %v", st, err)
		}
		t.Logf("start %v: %+v", st, bg)
		within(t, "r", bg.R, trueBG.R, 0.05)
		within(t, "alpha", bg.Alpha, trueBG.Alpha, 0.05)
		within(t, "a", bg.A, trueBG.A, 0.08)
		within(t, "b", bg.B, trueBG.B, 0.08)
		if i == 0 {
			first = bg
			continue
		}
		// Every start must reach the same optimum, not merely a nearby one.
		within(t, "r vs first start", bg.R, first.R, 1e-4)
		within(t, "alpha vs first start", bg.Alpha, first.Alpha, 1e-4)
		within(t, "a vs first start", bg.A, first.A, 1e-3)
		within(t, "b vs first start", bg.B, first.B, 1e-3)
	}
	for _, st := range [][]float64{nil, {1, 1, 100}, {20, 0.5, 1}} {
		gg, err := FitGammaGamma(sums, FitOptions{Start: st})
		if err != nil {
			t.Fatalf("start %v: %v", st, err)
		}
		t.Logf("start %v: %+v", st, gg)
		within(t, "p", gg.P, trueGG.P, 0.05)
		within(t, "q", gg.Q, trueGG.Q, 0.08)
		within(t, "gamma", gg.Gamma, trueGG.Gamma, 0.10)
	}
}

// TestHoldoutPrediction checks the conditional expectation against simulated
// future purchases: the model with true parameters predicts the holdout total.
func TestHoldoutPrediction(t *testing.T) {
	sums, err := Simulate(SimConfig{BG: trueBG, GG: trueGG, N: 50000, MinT: 26, MaxT: 104, Holdout: 39, Seed: 11})
	if err != nil {
		t.Fatal(err)
	}
	var actual, predicted float64
	for _, s := range sums {
		actual += float64(s.Holdout)
		predicted += trueBG.ExpectedPurchases(s.X, s.Tx, s.T, 39)
	}
	within(t, "predicted holdout purchases", predicted, actual, 0.03)
}

// TestWarmStartPathAgrees: above warmStartMin customers the fit starts from a
// subsample fit and polishes with Newton; it must land where plain BFGS does.
func TestWarmStartPathAgrees(t *testing.T) {
	if testing.Short() {
		t.Skip("250k customers")
	}
	sums, err := Simulate(SimConfig{BG: trueBG, GG: trueGG, N: warmStartMin + 50_000, MinT: 26, MaxT: 104, Grid: 1.0 / 7, Seed: 5})
	if err != nil {
		t.Fatal(err)
	}
	bg, err := FitBGNBD(sums, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	d, _ := newBGData(sums)
	ev := newBGEvaluator(d, 0)
	obj := newLogObjective(4, d.n, func(th, g []float64) float64 { return ev.eval(th[0], th[1], th[2], th[3], g) })
	plain, err := obj.minimize(nil, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, got := range []float64{bg.R, bg.Alpha, bg.A, bg.B} {
		within(t, "BG/NBD parameter vs plain BFGS", got, plain[i], 1e-4)
	}
	gg, err := FitGammaGamma(sums, FitOptions{})
	if err != nil {
		t.Fatal(err)
	}
	gd, _ := newGGData(sums)
	gobj := newLogObjective(3, gd.n, func(th, g []float64) float64 { return gd.eval(th[0], th[1], th[2], g) })
	gplain, err := gobj.minimize(nil, false)
	if err != nil {
		t.Fatal(err)
	}
	for i, got := range []float64{gg.P, gg.Q, gg.Gamma} {
		within(t, "Gamma-Gamma parameter vs plain BFGS", got, gplain[i], 1e-4)
	}
}
