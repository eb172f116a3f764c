package clv

import (
	"testing"
	"time"
)

func TestScratchCount(t *testing.T) {
	sums, _ := Simulate(SimConfig{BG: trueBG, GG: trueGG, N: 1000000, MinT: 26, MaxT: 104, Seed: 7})
	d, _ := newBGData(sums)
	ev := newBGEvaluator(d, 2)
	n := 0
	obj := newLogObjective(4, d.n, func(th, g []float64) float64 { n++; return ev.eval(th[0], th[1], th[2], th[3], g) })
	start, _ := warmStart(sums, FitOptions{}, FitBGNBD)
	t0 := time.Now()
	_, err := obj.minimize(start)
	t.Log(n, time.Since(t0), err, start)
}
