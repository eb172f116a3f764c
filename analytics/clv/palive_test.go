package clv

import (
	"math"
	"testing"
)

// lbeta is log B(x, y) from log-gamma functions.
func lbeta(x, y float64) float64 {
	lx, _ := math.Lgamma(x)
	ly, _ := math.Lgamma(y)
	lxy, _ := math.Lgamma(x + y)
	return lx + ly - lxy
}

// pAliveFromLikelihood derives P(alive) independently of BGNBD.PAlive: the
// individual BG/NBD likelihood (Fader, Hardie & Lee 2005, eq. 6) is the sum of
// "still alive at T" and "dropped out right after the last purchase"; the
// posterior probability of being alive is the first term's share.
func pAliveFromLikelihood(m BGNBD, x int, tx, T float64) float64 {
	fx := float64(x)
	lgRX, _ := math.Lgamma(m.R + fx)
	lgR, _ := math.Lgamma(m.R)
	common := lgRX - lgR + m.R*math.Log(m.Alpha)
	alive := math.Exp(lbeta(m.A, m.B+fx) - lbeta(m.A, m.B) + common - (m.R+fx)*math.Log(m.Alpha+T))
	if x == 0 {
		return 1
	}
	dead := math.Exp(lbeta(m.A+1, m.B+fx-1) - lbeta(m.A, m.B) + common - (m.R+fx)*math.Log(m.Alpha+tx))
	return alive / (alive + dead)
}

func TestPAliveMatchesLikelihoodPosterior(t *testing.T) {
	cdnow := BGNBD{R: 0.2426, Alpha: 4.4136, A: 0.7929, B: 2.4259}
	cases := []struct {
		name   string
		m      BGNBD
		x      int
		tx, T  float64
		lo, hi float64 // plausibility bounds that do not depend on either formula
	}{
		{"no repeat purchase is always alive", cdnow, 0, 0, 38.86, 1, 1},
		{"CDNOW example customer", cdnow, 2, 30.43, 38.86, 0.5, 1},
		{"recent heavy buyer", cdnow, 20, 38, 39, 0.9, 1},
		{"long silent repeat buyer", cdnow, 5, 2, 78, 0, 0.2},
		{"purchase at T", cdnow, 3, 20, 20, 0.5, 1},
		{"a = 1 boundary", BGNBD{R: 1, Alpha: 2, A: 1, B: 1}, 1, 5, 10, 0, 1},
	}
	for _, c := range cases {
		got := c.m.PAlive(c.x, c.tx, c.T)
		want := pAliveFromLikelihood(c.m, c.x, c.tx, c.T)
		if math.Abs(got-want) > 1e-12 {
			t.Errorf("%s: PAlive %v, likelihood posterior %v", c.name, got, want)
		}
		if got < c.lo || got > c.hi {
			t.Errorf("%s: PAlive %v outside [%v, %v]", c.name, got, c.lo, c.hi)
		}
	}
	// Longer silence since the last purchase means lower P(alive).
	prev := 1.0
	for T := 31.0; T <= 100; T += 10 {
		p := cdnow.PAlive(2, 30.43, T)
		if p >= prev {
			t.Errorf("P(alive) not decreasing in T: %v at T=%v after %v", p, T, prev)
		}
		prev = p
	}
}
