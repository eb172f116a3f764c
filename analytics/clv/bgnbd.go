package clv

import (
	"errors"
	"fmt"
	"math"
	"runtime"
	"sync"
)

// BGNBD holds the BG/NBD parameters: purchase rates are Gamma(r, α) across
// customers and the dropout probability after each purchase is Beta(a, b).
type BGNBD struct {
	R     float64 `json:"r"`
	Alpha float64 `json:"alpha"`
	A     float64 `json:"a"`
	B     float64 `json:"b"`
	// LogLikelihood is the total log-likelihood of the calibration data at the
	// fitted parameters.
	LogLikelihood float64 `json:"logLikelihood"`
}

// bgData is the fitting input in structure-of-arrays form, one-time buyers
// (x = 0) first so the hot loop's branch is predictable. Identical (x, t_x, T)
// triples are merged with a weight, which collapses day-granular data a lot
// (every one-time buyer of the same day is one row); when the first rows show
// that little merges (continuous times), merging is abandoned to save the map.
type bgData struct {
	n     float64   // total weight (customers)
	zeros int       // rows [0, zeros) have x = 0
	x     []int32   // repeat purchases
	tx    []float64 // recency
	t     []float64 // age
	w     []float64 // weight (customers with this triple)
	cntX  []float64 // total weight per x value
	maxX  int
}

// mergeProbe is how many customers are looked at before deciding whether
// merging identical rows pays.
const mergeProbe = 1 << 16

func newBGData(s []Summary) (*bgData, error) {
	type key struct {
		x     int
		tx, t float64
	}
	type row struct {
		x     int32
		tx, t float64
		w     float64
	}
	var rows []row
	// One-time buyers and repeat buyers merge very differently (only T versus
	// the full triple), so each class decides on its own whether merging pays.
	var idx [2]map[key]int
	var seen, unique [2]int
	merging := [2]bool{true, true}
	idx[0], idx[1] = make(map[key]int), make(map[key]int)
	d := &bgData{}
	for i, c := range s {
		if c.X < 0 || c.T < 0 || c.Tx < 0 || c.Tx > c.T || math.IsNaN(c.T) || math.IsNaN(c.Tx) || math.IsInf(c.T, 0) {
			return nil, fmt.Errorf("clv: summary %d invalid (x=%d, t_x=%g, T=%g)", i, c.X, c.Tx, c.T)
		}
		if c.X > math.MaxInt32 {
			return nil, fmt.Errorf("clv: summary %d has too many purchases (%d)", i, c.X)
		}
		tx := c.Tx
		class := 1
		if c.X == 0 {
			tx, class = 0, 0 // recency is meaningless without repeats
		}
		d.n++
		if c.X > d.maxX {
			d.maxX = c.X
		}
		seen[class]++
		if merging[class] && seen[class] == mergeProbe && unique[class] > mergeProbe/2 {
			merging[class], idx[class] = false, nil
		}
		if !merging[class] {
			rows = append(rows, row{int32(c.X), tx, c.T, 1})
			continue
		}
		k := key{c.X, tx, c.T}
		j, ok := idx[class][k]
		if !ok {
			j = len(rows)
			idx[class][k] = j
			unique[class]++
			rows = append(rows, row{int32(c.X), tx, c.T, 0})
		}
		rows[j].w++
	}
	if d.n == 0 {
		return nil, errors.New("clv: no customers to fit")
	}
	n := len(rows)
	d.x, d.tx, d.t, d.w = make([]int32, 0, n), make([]float64, 0, n), make([]float64, 0, n), make([]float64, 0, n)
	for pass := 0; pass < 2; pass++ {
		for _, r := range rows {
			if (r.x == 0) == (pass == 0) {
				d.x, d.tx, d.t, d.w = append(d.x, r.x), append(d.tx, r.tx), append(d.t, r.t), append(d.w, r.w)
			}
		}
		if pass == 0 {
			d.zeros = len(d.x)
		}
	}
	d.cntX = make([]float64, d.maxX+1)
	for i, x := range d.x {
		d.cntX[x] += d.w[i]
	}
	return d, nil
}

// bgPartial is one worker's share of the sums over rows.
type bgPartial struct {
	ll, dr, dAlpha, w4Sum float64
	w4ByX                 []float64 // Σ weight·w4 per x, for the b gradient
}

// rows accumulates the per-row terms of the log-likelihood over rows [lo, hi).
// For each row, S = logsumexp(A3, A4) with A3 = −(r+x)ln(α+T) and
// A4 = ln a − ln(b+x−1) − (r+x)ln(α+t_x) (x > 0 only); w4 is A4's softmax weight.
func (d *bgData) rows(lo, hi int, r, alpha, lnA float64, lnBX []float64, p *bgPartial) {
	var ll, dr, dAlpha, w4Sum float64
	w4ByX := p.w4ByX
	for i := lo; i < hi; i++ {
		x := d.x[i]
		w := d.w[i]
		at := alpha + d.t[i]
		la := math.Log(at)
		rx := r + float64(x)
		if x == 0 {
			ll -= w * r * la
			dr -= w * la
			dAlpha -= w * r / at
			continue
		}
		atx := alpha + d.tx[i]
		lt := math.Log(atx)
		a3 := -rx * la
		diff := lnA - lnBX[x] - rx*(lt-la) // A4 − A3
		var s, w4 float64
		if diff < 0 {
			// log(1+e) rather than log1p: same absolute accuracy here, and cheaper.
			e := math.Exp(diff)
			s = a3 + math.Log(1+e)
			w4 = e / (1 + e)
		} else {
			e := math.Exp(-diff)
			s = a3 + diff + math.Log(1+e)
			w4 = 1 / (1 + e)
		}
		w3 := 1 - w4
		ll += w * s
		dr -= w * (w3*la + w4*lt)
		dAlpha -= w * rx * (w3/at + w4/atx)
		w4Sum += w * w4
		w4ByX[x] += w * w4
	}
	p.ll, p.dr, p.dAlpha, p.w4Sum = ll, dr, dAlpha, w4Sum
}

// bgEvaluator computes the log-likelihood and its gradient in one pass,
// splitting the rows across workers.
type bgEvaluator struct {
	d        *bgData
	workers  int
	parts    []bgPartial
	lnBX     []float64
	minParal int
}

func newBGEvaluator(d *bgData, workers int) *bgEvaluator {
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	e := &bgEvaluator{d: d, workers: workers, parts: make([]bgPartial, workers), lnBX: make([]float64, d.maxX+1), minParal: 20000}
	for i := range e.parts {
		e.parts[i].w4ByX = make([]float64, d.maxX+1)
	}
	return e
}

// eval returns the total log-likelihood and its gradient with respect to
// (r, α, a, b). Terms that depend on x only are summed per distinct x.
func (e *bgEvaluator) eval(r, alpha, a, b float64, grad []float64) float64 {
	d := e.d
	lnA := math.Log(a)
	for x := 1; x <= d.maxX; x++ {
		e.lnBX[x] = math.Log(b + float64(x) - 1)
	}
	n := len(d.x)
	workers := e.workers
	if n < e.minParal {
		workers = 1
	}
	for i := 0; i < workers; i++ {
		clear(e.parts[i].w4ByX)
	}
	// Split one-time buyers and repeat buyers separately: their costs differ.
	z := d.zeros
	if workers == 1 {
		d.rows(0, n, r, alpha, lnA, e.lnBX, &e.parts[0])
	} else {
		var wg sync.WaitGroup
		for i := 0; i < workers; i++ {
			wg.Add(1)
			go func(p *bgPartial) {
				defer wg.Done()
				var q bgPartial
				q.w4ByX = p.w4ByX
				d.rows(z*i/workers, z*(i+1)/workers, r, alpha, lnA, e.lnBX, &q)
				d.rows(z+(n-z)*i/workers, z+(n-z)*(i+1)/workers, r, alpha, lnA, e.lnBX, p)
				p.ll += q.ll
				p.dr += q.dr
				p.dAlpha += q.dAlpha
				p.w4Sum += q.w4Sum
			}(&e.parts[i])
		}
		wg.Wait()
	}
	var ll, dr, dAlpha, w4Sum float64
	for i := 0; i < workers; i++ {
		p := &e.parts[i]
		ll += p.ll
		dr += p.dr
		dAlpha += p.dAlpha
		w4Sum += p.w4Sum
	}
	lnAlpha := math.Log(alpha)
	ll += d.n * r * lnAlpha
	dr += d.n * lnAlpha
	dAlpha += d.n * r / alpha
	da := w4Sum / a
	var db float64
	// Walk x upwards keeping the x-only terms as running sums:
	// lnΓ(r+x)−lnΓ(r) = Σ ln(r+i), lnΓ(b+x)−lnΓ(b) = Σ ln(b+i),
	// lnΓ(a+b)−lnΓ(a+b+x) = −Σ ln(a+b+i), and likewise for digamma with 1/(·).
	lgR, lgB, lgAB := 0.0, 0.0, 0.0
	psR, psB, psAB := 0.0, 0.0, 0.0
	for x := 0; x <= d.maxX; x++ {
		if x > 0 {
			fi := float64(x - 1)
			lgR += math.Log(r + fi)
			lgB += math.Log(b + fi)
			lgAB += math.Log(a + b + fi)
			psR += 1 / (r + fi)
			psB += 1 / (b + fi)
			psAB += 1 / (a + b + fi)
		}
		c := d.cntX[x]
		if c == 0 {
			continue
		}
		ll += c * (lgR + lgB - lgAB)
		dr += c * psR
		da -= c * psAB
		db += c * (psB - psAB)
		if x > 0 {
			var w4x float64
			for i := 0; i < workers; i++ {
				w4x += e.parts[i].w4ByX[x]
			}
			db -= w4x / (b + float64(x) - 1)
		}
	}
	if grad != nil {
		grad[0], grad[1], grad[2], grad[3] = dr, dAlpha, da, db
	}
	return ll
}

// LogLikelihoodOf returns the BG/NBD log-likelihood of the summaries at the
// parameters in m (its LogLikelihood field is ignored).
func (m BGNBD) LogLikelihoodOf(s []Summary) (float64, error) {
	d, err := newBGData(s)
	if err != nil {
		return 0, err
	}
	if err := m.validate(); err != nil {
		return 0, err
	}
	return newBGEvaluator(d, 1).eval(m.R, m.Alpha, m.A, m.B, nil), nil
}

func (m BGNBD) validate() error {
	if !(m.R > 0 && m.Alpha > 0 && m.A > 0 && m.B > 0) || math.IsInf(m.R+m.Alpha+m.A+m.B, 0) {
		return fmt.Errorf("clv: BG/NBD parameters must be positive and finite (r=%g α=%g a=%g b=%g)", m.R, m.Alpha, m.A, m.B)
	}
	return nil
}

// PAlive returns the probability that a customer with x repeat purchases,
// recency tx and age T is still active at T.
func (m BGNBD) PAlive(x int, tx, T float64) float64 {
	if x == 0 {
		return 1 // BG/NBD customers can only drop out right after a purchase
	}
	fx := float64(x)
	ld := math.Log(m.A) - math.Log(m.B+fx-1) + (m.R+fx)*(math.Log(m.Alpha+T)-math.Log(m.Alpha+tx))
	return 1 / (1 + math.Exp(ld))
}

// ExpectedPurchases returns the expected number of purchases in (T, T+t] of a
// customer with x repeat purchases, recency tx and age T (Fader, Hardie & Lee
// 2005, eq. 10).
//
// Eq. 10 holds ((α+T)/(α+T+t))^(r+x)·2F1(r+x, b+x; a+b+x−1; z), whose factors
// overflow for heavy buyers. Euler's transformation turns it into
// (1−z)^(a−1)·2F1(a+b−1−r, a−1; a+b+x−1; z), whose numerator parameters do not
// grow with x, and factoring a−1 out of the bracket removes the 0/0 at a = 1.
func (m BGNBD) ExpectedPurchases(x int, tx, T, t float64) float64 {
	if t <= 0 {
		return 0
	}
	fx := float64(x)
	den := 1.0
	if x > 0 {
		den += m.A / (m.B + fx - 1) * math.Exp((m.R+fx)*(math.Log(m.Alpha+T)-math.Log(m.Alpha+tx)))
	}
	return conditionalBracket(m, fx, T, t) / den
}

// ExpectedPurchasesNew returns the expected number of purchases of a new
// customer in a period of length t after the first purchase.
func (m BGNBD) ExpectedPurchasesNew(t float64) float64 {
	if t <= 0 {
		return 0
	}
	return conditionalBracket(m, 0, 0, t)
}

// conditionalBracket is (a+b+x−1)/(a−1)·[1 − (1−z)^(a−1)·2F1(c−A, a−1; c; z)]
// with z = t/(α+T+t), c = a+b+x−1, c−A = a+b−1−r, evaluated as
// c·[−expm1(εL)/ε − e^(εL)·S] where ε = a−1, L = ln(1−z) and
// S = Σ_{k≥1} (c−A)_k (a)_{k−1} / ((c)_k k!) z^k, so that 2F1 = 1 + ε·S.
func conditionalBracket(m BGNBD, fx, T, t float64) float64 {
	eps := m.A - 1
	c := m.A + m.B + fx - 1
	cA := m.A + m.B - 1 - m.R
	z := t / (m.Alpha + T + t)
	L := math.Log(m.Alpha+T) - math.Log(m.Alpha+T+t)
	var S float64
	term := cA / c * z
	// With a ≤ 2, once k > −(c−A) the term ratio (c−A+k)(a+k−1)z/((c+k)(k+1))
	// is a product of positive factors rising to 1 times z, so it stays
	// below z: the rest of the series is at most |term|·z/(1−z). That bound
	// stops the sum as soon as it is provably converged — for a ≈ 0, b in
	// the thousands (weekly fits) after tens of terms, where waiting for
	// k > c−A took thousands. Otherwise terms may grow first, and the sum
	// runs past k = c−A before a small term is trusted.
	tailBound := m.A <= 2 && z < 1
	tailFactor := z / (1 - z)
	for k := 1; k < 1_000_000; k++ {
		S += term
		fk := float64(k)
		if tailBound && fk > -cA {
			if math.Abs(term)*tailFactor <= 1e-17*math.Abs(S) {
				break
			}
		} else if math.Abs(term) <= 1e-17*math.Abs(S) && fk > cA {
			break
		}
		term *= (cA + fk) * (m.A + fk - 1) / ((c + fk) * (fk + 1)) * z
	}
	var lead float64 // −expm1(εL)/ε, → −L as ε → 0
	if math.Abs(eps) < 1e-12 {
		lead = -L
	} else {
		lead = -math.Expm1(eps*L) / eps
	}
	return c * (lead - math.Exp(eps*L)*S)
}
