package clv

import (
	"encoding/json"
	"math"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
	"gonum.org/v1/gonum/mathext"
)

// TestGradients compares the analytic gradients with central differences.
func TestGradients(t *testing.T) {
	sums, err := Simulate(SimConfig{BG: trueBG, GG: trueGG, N: 3000, MinT: 10, MaxT: 60, Seed: 3})
	if err != nil {
		t.Fatal(err)
	}
	bd, _ := newBGData(sums)
	gd, _ := newGGData(sums)
	ev := newBGEvaluator(bd, 2)
	ev.minParal = 0 // exercise the parallel split on small data too
	cases := []struct {
		name  string
		theta []float64
		f     func(th, g []float64) float64
	}{
		{"bgnbd", []float64{0.3, 5, 0.7, 2.2}, func(th, g []float64) float64 { return ev.eval(th[0], th[1], th[2], th[3], g) }},
		{"gammagamma", []float64{5, 3, 12}, func(th, g []float64) float64 { return gd.eval(th[0], th[1], th[2], g) }},
	}
	for _, c := range cases {
		g := make([]float64, len(c.theta))
		c.f(c.theta, g)
		for i := range c.theta {
			h := 1e-6 * c.theta[i]
			up := append([]float64(nil), c.theta...)
			dn := append([]float64(nil), c.theta...)
			up[i] += h
			dn[i] -= h
			num := (c.f(up, nil) - c.f(dn, nil)) / (2 * h)
			if math.Abs(num-g[i]) > 1e-5*math.Max(1, math.Abs(num)) {
				t.Errorf("%s: d/dθ%d analytic %g, numeric %g", c.name, i, g[i], num)
			}
		}
	}
	// Workers must not change the sum beyond rounding.
	one := newBGEvaluator(bd, 1).eval(0.3, 5, 0.7, 2.2, nil)
	two := ev.eval(0.3, 5, 0.7, 2.2, nil)
	if math.Abs(one-two) > 1e-9*math.Abs(one) {
		t.Errorf("1 worker LL %v, 2 workers %v", one, two)
	}
}

// TestBGNBDSingleCustomer checks the log-likelihood against the closed form
// for one customer computed directly from FHL (2005) eq. 6.
func TestBGNBDSingleCustomer(t *testing.T) {
	m := BGNBD{R: 0.5, Alpha: 3, A: 1.2, B: 2.5}
	for _, c := range []Summary{{X: 0, T: 10}, {X: 3, Tx: 6, T: 10}, {X: 1, Tx: 0.5, T: 2}} {
		beta := func(x, y float64) float64 {
			a, _ := math.Lgamma(x)
			b, _ := math.Lgamma(y)
			ab, _ := math.Lgamma(x + y)
			return math.Exp(a + b - ab)
		}
		x := float64(c.X)
		g := func(v float64) float64 { r, _ := math.Lgamma(v); return r }
		common := math.Exp(g(m.R+x) - g(m.R) + m.R*math.Log(m.Alpha))
		l := beta(m.A, m.B+x) / beta(m.A, m.B) * common / math.Pow(m.Alpha+c.T, m.R+x)
		if c.X > 0 {
			l += beta(m.A+1, m.B+x-1) / beta(m.A, m.B) * common / math.Pow(m.Alpha+c.Tx, m.R+x)
		}
		got, err := m.LogLikelihoodOf([]Summary{c})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(got-math.Log(l)) > 1e-10 {
			t.Errorf("%+v: LL %v, closed form %v", c, got, math.Log(l))
		}
	}
}

func TestValueDiscounting(t *testing.T) {
	bg := BGNBD{R: 0.2426, Alpha: 4.4136, A: 0.7929, B: 2.4259}
	gg := GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}
	s := Summary{X: 2, Tx: 30.43, T: 38.86, Monetary: 20, Historic: 70}
	spend := 6.25 * (15.44 + 2*20) / (6.25*2 + 3.74 - 1)
	e := func(t float64) float64 { return bg.ExpectedPurchases(2, 30.43, 38.86, t) }
	pa := bg.PAlive(2, 30.43, 38.86)
	cases := []struct {
		name string
		v    ValueParams
		want float64
	}{
		{"one undiscounted period", ValueParams{Periods: 1, PeriodLength: 39}, spend * e(39)},
		{"margin", ValueParams{Margin: 0.3, Periods: 1, PeriodLength: 39}, 0.3 * spend * e(39)},
		{"two discounted periods with costs",
			ValueParams{Margin: 0.5, DiscountRate: 0.1, Periods: 2, PeriodLength: 13, AcquisitionCost: 5, RetentionCost: 2},
			0.5*spend*(e(13)/1.1+(e(26)-e(13))/1.21) - 2*pa*(1/1.1+1/1.21) - 5},
	}
	for _, c := range cases {
		cv, err := Value(bg, gg, s, c.v)
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(cv.CLV-c.want) > 1e-9*math.Abs(c.want) {
			t.Errorf("%s: CLV %v, want %v", c.name, cv.CLV, c.want)
		}
		vs, err := Values(bg, gg, []Summary{s, s, {X: 0, T: 5}}, c.v, 2)
		if err != nil {
			t.Fatal(err)
		}
		if vs[0] != cv || vs[1] != cv {
			t.Errorf("%s: Values %+v differs from Value %+v", c.name, vs[0], cv)
		}
	}
	if _, err := Value(bg, gg, s, ValueParams{Margin: 2}); err == nil {
		t.Error("margin 2 accepted")
	}
}

func TestTimeUnits(t *testing.T) {
	h := []customer.DayAmount{{Day: 100, Amount: 10 * txn.MoneyScale}, {Day: 114, Amount: 30 * txn.MoneyScale}, {Day: 128, Amount: 50 * txn.MoneyScale}, {Day: 200, Amount: 7 * txn.MoneyScale}}
	end := customer.Day(135).Time()
	for _, c := range []struct {
		unit  TimeUnit
		tx, T float64
	}{{Day, 28, 35}, {Week, 4, 5}, {Month, 28 / (365.25 / 12), 35 / (365.25 / 12)}} {
		s, ok, err := SummaryFrom(customer.Customer{History: h}, end, c.unit)
		if err != nil || !ok {
			t.Fatal(ok, err)
		}
		want := Summary{X: 2, Tx: c.tx, T: c.T, Monetary: 40, Holdout: 1, HoldoutSpend: 7, Historic: 90}
		if s != want {
			t.Errorf("%s: got %+v, want %+v", c.unit, s, want)
		}
	}
	if _, _, err := SummaryFrom(customer.Customer{History: h}, end, "fortnight"); err == nil {
		t.Error("unknown unit accepted")
	}
	if _, ok, _ := SummaryFrom(customer.Customer{History: h}, customer.Day(50).Time(), Day); ok {
		t.Error("customer who started after the calibration end included")
	}
}

// TestAnalyzeSetCDNOW runs the whole analysis through a customer.Set and
// checks the JSON contract of the summary.
func TestAnalyzeSetCDNOW(t *testing.T) {
	ids, hist := loadCDNOW(t)
	set := &customer.Set{AsOf: time.Date(1998, 6, 30, 0, 0, 0, 0, time.UTC)}
	for _, id := range ids {
		set.Customers = append(set.Customers, customer.Customer{ID: "c" + strconv.Itoa(id), History: hist[id]})
	}
	res, gotIDs, values, err := AnalyzeSet(set, Config{CalibrationEnd: cdnowCalEnd, Unit: Week, Value: ValueParams{Margin: 0.3, DiscountRate: 0.01, Periods: 12, PeriodLength: 4}})
	if err != nil {
		t.Fatal(err)
	}
	if len(gotIDs) != 2357 || len(values) != 2357 || res.Customers != 2357 || res.RepeatCustomers != 946 {
		t.Fatalf("customers %d/%d/%d repeat %d", len(gotIDs), len(values), res.Customers, res.RepeatCustomers)
	}
	sig3(t, "r", res.BGNBD.R, 0.2426)
	sig3(t, "p", res.GammaGamma.P, 6.25)
	// Holdout: 39 weeks to the as-of day; actual = purchase days after the
	// calibration end counted straight from the histories.
	if res.Holdout == nil || math.Abs(res.Holdout.Length-39) > 1e-9 {
		t.Fatalf("holdout %+v", res.Holdout)
	}
	actual := 0
	endDay := customer.DayOf(cdnowCalEnd)
	for _, id := range ids {
		for _, d := range hist[id] {
			if d.Day > endDay {
				actual++
			}
		}
	}
	t.Logf("holdout %+v", *res.Holdout)
	if res.Holdout.Actual != float64(actual) {
		t.Errorf("holdout actual %v, counted %d", res.Holdout.Actual, actual)
	}
	// The model under-predicts this sample's holdout slightly; a gross error
	// (wrong horizon or unit) would be far outside 15%.
	if math.Abs(res.Holdout.Predicted-res.Holdout.Actual) > 0.15*res.Holdout.Actual {
		t.Errorf("holdout predicted %v vs actual %v", res.Holdout.Predicted, res.Holdout.Actual)
	}
	if len(res.PAliveDeciles) != 11 || res.PAliveDeciles[10] != 1 || res.PAliveDeciles[0] <= 0 {
		t.Errorf("P(alive) deciles %v", res.PAliveDeciles)
	}
	b, err := json.Marshal(res)
	if err != nil {
		t.Fatal(err)
	}
	var doc map[string]any
	if err := json.Unmarshal(b, &doc); err != nil {
		t.Fatal(err)
	}
	for path, keys := range map[string][]string{"bgnbd": {"r", "alpha", "a", "b", "logLikelihood"}, "gammaGamma": {"p", "q", "gamma", "logLikelihood"}} {
		sub, _ := doc[path].(map[string]any)
		for _, k := range keys {
			if _, ok := sub[k]; !ok {
				t.Errorf("JSON lacks %s.%s: %s", path, k, b)
			}
		}
	}
	for _, k := range []string{"pAliveDeciles", "clvDeciles"} {
		if _, ok := doc[k]; !ok {
			t.Errorf("JSON lacks %s", k)
		}
	}
	if strings.Contains(string(b), `"c1"`) {
		t.Error("summary carries customer IDs")
	}
}

func TestDeciles(t *testing.T) {
	xs := []float64{10, 9, 8, 7, 6, 5, 4, 3, 2, 1}
	want := []float64{1, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10}
	got := Deciles(xs)
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("Deciles = %v, want %v", got, want)
		}
	}
	if Deciles(nil) != nil {
		t.Error("deciles of nothing")
	}
}

// eq10 is FHL (2005) eq. 10 written directly with gonum's 2F1, as an
// independent check of the transformed series (fine for moderate x).
func eq10(m BGNBD, x int, tx, T, t float64) float64 {
	fx := float64(x)
	h := mathext.Hypergeo(m.R+fx, m.B+fx, m.A+m.B+fx-1, t/(m.Alpha+T+t))
	num := (m.A + m.B + fx - 1) / (m.A - 1) * (1 - math.Pow((m.Alpha+T)/(m.Alpha+T+t), m.R+fx)*h)
	den := 1.0
	if x > 0 {
		den += m.A / (m.B + fx - 1) * math.Pow((m.Alpha+T)/(m.Alpha+tx), m.R+fx)
	}
	return num / den
}

func TestExpectedPurchases(t *testing.T) {
	models := []BGNBD{{R: 0.2426, Alpha: 4.4136, A: 0.7929, B: 2.4259}, {R: 1.5, Alpha: 10, A: 2.5, B: 4}, {R: 0.5, Alpha: 30, A: 0.3, B: 0.9}}
	cases := []struct {
		x        int
		tx, T, h float64
	}{{0, 0, 38.86, 39}, {2, 30.43, 38.86, 39}, {7, 20, 52, 10}, {15, 50, 52, 104}, {1, 0.5, 1, 300}}
	for _, m := range models {
		for _, c := range cases {
			got, want := m.ExpectedPurchases(c.x, c.tx, c.T, c.h), eq10(m, c.x, c.tx, c.T, c.h)
			if math.Abs(got-want) > 1e-9*math.Max(1, math.Abs(want)) {
				t.Errorf("%+v %+v: %v, eq. 10 gives %v", m, c, got, want)
			}
		}
		if a, b := m.ExpectedPurchases(0, 0, 0, 26), m.ExpectedPurchasesNew(26); math.Abs(a-b) > 1e-12 {
			t.Errorf("new customer: %v vs %v", a, b)
		}
	}
	// a = 1 is a removable singularity of eq. 10: the value is continuous there.
	at := BGNBD{R: 0.3, Alpha: 5, A: 1, B: 2}.ExpectedPurchases(3, 20, 30, 39)
	near := BGNBD{R: 0.3, Alpha: 5, A: 1 + 1e-7, B: 2}.ExpectedPurchases(3, 20, 30, 39)
	if math.IsNaN(at) || math.Abs(at-near) > 1e-6 {
		t.Errorf("a = 1: %v, a = 1+1e-7: %v", at, near)
	}
	// Heavy buyers: finite, non-negative, growing with the horizon.
	m := models[0]
	for _, x := range []int{100, 1000, 10000} {
		prev := 0.0
		for _, h := range []float64{1, 10, 52, 520} {
			v := m.ExpectedPurchases(x, 51.9, 52, h)
			if math.IsNaN(v) || v < prev {
				t.Errorf("x=%d h=%v: %v (previous %v)", x, h, v, prev)
			}
			prev = v
		}
	}
}

func TestExpectedSpend(t *testing.T) {
	cases := []struct {
		m    GammaGamma
		x    int
		mean float64
		want float64
	}{
		{GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}, 0, 0, 6.25 * 15.44 / 2.74},
		{GammaGamma{P: 6.25, Q: 3.74, Gamma: 15.44}, 2, 20, 6.25 * (15.44 + 40) / (12.5 + 2.74)},
		{GammaGamma{P: 2, Q: 0.8, Gamma: 1, MeanSpend: 30}, 0, 0, 30}, // q ≤ 1: no population mean
		{GammaGamma{P: 2, Q: 0.8, Gamma: 1, MeanSpend: 30}, 3, 10, 2 * 31 / 5.8},
	}
	for _, c := range cases {
		if got := c.m.ExpectedSpend(c.x, c.mean); math.Abs(got-c.want) > 1e-12*c.want {
			t.Errorf("%+v x=%d m=%v: %v, want %v", c.m, c.x, c.mean, got, c.want)
		}
	}
}

func TestFitRefusesDegenerateData(t *testing.T) {
	oneTimers := []Summary{{T: 10}, {T: 20}, {T: 30}}
	if _, err := FitBGNBD(oneTimers, FitOptions{}); err == nil || !strings.Contains(err.Error(), "repeat") {
		t.Errorf("BG/NBD without repeat buyers: %v", err)
	}
	oneRepeat := append(oneTimers, Summary{X: 1, Tx: 3, T: 10, Monetary: 5})
	if _, err := FitGammaGamma(oneRepeat, FitOptions{}); err == nil {
		t.Error("Gamma-Gamma on one customer accepted")
	}
	if _, err := FitBGNBD(nil, FitOptions{}); err == nil {
		t.Error("empty input accepted")
	}
	if _, err := FitBGNBD([]Summary{{X: 1, Tx: 5, T: 3}}, FitOptions{}); err == nil {
		t.Error("t_x > T accepted")
	}
	if _, err := FitBGNBD(append(oneRepeat, Summary{X: 2, Tx: 5, T: 8}), FitOptions{Start: []float64{1, 2}}); err == nil {
		t.Error("short start accepted")
	}
}

func TestAnalyzeDefaultHorizonIsAYear(t *testing.T) {
	_, sums := cdnowSummaries(t)
	for _, c := range []struct {
		unit TimeUnit
		want float64
	}{{Week, 365.25 / 7}, {Day, 365.25}, {Month, 12}} {
		res, values, err := Analyze(sums, Config{Unit: c.unit})
		if err != nil {
			t.Fatal(err)
		}
		if math.Abs(res.Horizon-c.want) > 1e-9 || res.Value.Periods != 12 || len(values) != len(sums) {
			t.Errorf("%s: horizon %v periods %d", c.unit, res.Horizon, res.Value.Periods)
		}
	}
}
