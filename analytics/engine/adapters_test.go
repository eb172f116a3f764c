package engine

import (
	"bytes"
	"context"
	"encoding/csv"
	"fmt"
	"math"
	"os"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/basket"
	"github.com/crmlens/crmlens/analytics/clv"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/txn"
)

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestCLVValueParams(t *testing.T) {
	tests := []struct {
		name     string
		p        CLVParams
		unitDays float64
		want     clv.ValueParams
	}{
		// 39 weeks in 9 periods of 4.33 weeks (a month is 4.35 weeks).
		{"39 weeks", CLVParams{Horizon: 39, DiscountRate: 0.1, RetentionCost: 2}, 7,
			clv.ValueParams{Margin: 1, Periods: 9, PeriodLength: 39.0 / 9, DiscountRate: math.Pow(1.1, 39.0/9*7/365.25) - 1, RetentionCost: 2 * 39.0 / 9}},
		// Default horizon: a year of 12 monthly periods, 10 % a year = 1.1^(1/12) − 1 a month.
		{"default months", CLVParams{DiscountRate: 0.1, Margin: 0.3}, 365.25 / 12,
			clv.ValueParams{Margin: 0.3, Periods: 12, PeriodLength: 1, DiscountRate: math.Pow(1.1, 1.0/12) - 1}},
		{"short horizon is one period", CLVParams{Horizon: 3}, 1,
			clv.ValueParams{Margin: 1, Periods: 1, PeriodLength: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := tt.p.valueParams(tt.unitDays)
			if got.Periods != tt.want.Periods || math.Abs(got.PeriodLength-tt.want.PeriodLength) > 1e-12 || got.Margin != tt.want.Margin ||
				math.Abs(got.DiscountRate-tt.want.DiscountRate) > 1e-12 || math.Abs(got.RetentionCost-tt.want.RetentionCost) > 1e-12 {
				t.Errorf("valueParams = %+v, want %+v", got, tt.want)
			}
		})
	}
}

func TestCLVTiers(t *testing.T) {
	vals := func(xs ...float64) []clv.CustomerValue {
		out := make([]clv.CustomerValue, len(xs))
		for i, x := range xs {
			out[i].CLV = x
		}
		return out
	}
	tests := []struct {
		values []clv.CustomerValue
		n      int
		want   []int
	}{
		{vals(5, 1, 3, 3), 2, []int{0, 1, 0, 1}}, // ranks 5, 3 (first), 3, 1
		{vals(1, 2, 3, 4, 5), 4, []int{3, 2, 1, 0, 0}},
		{vals(7), 4, []int{0}},
	}
	for _, tt := range tests {
		if got := tiers(tt.values, tt.n); !reflect.DeepEqual(got, tt.want) {
			t.Errorf("tiers(%v, %d) = %v, want %v", tt.values, tt.n, got, tt.want)
		}
	}
}

// TestCLVNotScored: a customer whose first purchase is after the calibration
// end gets no values and the "Not scored" segment.
func TestCLVNotScored(t *testing.T) {
	raw, err := os.ReadFile("../../../shared/data/cdnow/CDNOW_sample.txt")
	if err != nil {
		t.Fatalf("CDNOW sample: %v", err)
	}
	raw = append(raw, " 99999 9999 19980105  1   10.00\n"...)
	opts := input.Options{Delimiter: "whitespace", NoHeader: true, TimeLayout: "20060102"}
	if opts.Mapping, err = input.ParseMapping("customer=2,time=3,amount=5"); err != nil {
		t.Fatal(err)
	}
	cfg := Config{
		Sources:        []input.Source{input.BytesSource("cdnow", raw, opts, "")},
		Method:         CLV,
		CalibrationEnd: day("1997-09-30"),
		CLV:            CLVParams{Tiers: 3},
	}
	var buf bytes.Buffer
	w, err := result.NewCSVWriter(&buf, Columns(cfg))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := Run(context.Background(), cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	sec := doc.CLV
	if sec.NotScored != 1 || sec.Customers != 2357 {
		t.Errorf("not scored %d, scored %d", sec.NotScored, sec.Customers)
	}
	names := []string{}
	var n int64
	for _, s := range doc.Segments {
		names = append(names, s.Name)
		n += s.Customers
	}
	if !reflect.DeepEqual(names, []string{"Tier 1", "Tier 2", "Tier 3", NotScored}) || n != 2358 || doc.Segments[3].Revenue != 10 {
		t.Errorf("segments = %+v", doc.Segments)
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	last := recs[len(recs)-1]
	// pAlive … expectedSpend: empty (null) for a customer the model cannot score.
	if got := strings.Join(last[len(last)-8:], ","); last[0] != "9999" || got != ",,,"+NotScored+",,,," {
		t.Errorf("unscored row = %v", last)
	}
}

// TestKMeansSeparated: three well-separated groups are found exactly, with k
// chosen automatically.
func TestKMeansSeparated(t *testing.T) {
	asOf := day("2024-12-31")
	var cs []customer.Customer
	groups := []struct {
		n              int
		lastDaysBefore int
		orders         int64
		revenue        float64
	}{{30, 5, 40, 5000}, {30, 200, 2, 40}, {30, 40, 8, 400}}
	for g, gr := range groups {
		for i := 0; i < gr.n; i++ {
			cs = append(cs, customer.Customer{
				ID:      fmt.Sprintf("g%d-%02d", g, i),
				First:   asOf.AddDate(-1, 0, 0),
				Last:    asOf.AddDate(0, 0, -gr.lastDaysBefore-i%3),
				Orders:  gr.orders,
				Revenue: txn.MoneyFromFloat(gr.revenue * (1 + 0.01*float64(i%4))),
			})
		}
	}
	set := &customer.Set{Customers: cs}
	cfg := Config{Method: KMeans, AsOf: asOf, KMeans: KMeansParams{Seed: 3}}
	var buf bytes.Buffer
	w, _ := result.NewCSVWriter(&buf, Columns(cfg))
	doc, err := Analyze(context.Background(), cfg, set, w)
	if err != nil {
		t.Fatal(err)
	}
	recs, _ := csv.NewReader(&buf).ReadAll()
	clusterOf := map[string]string{} // group prefix → cluster
	for _, r := range recs[1:] {
		g, c := r[0][:2], r[len(r)-2]
		if prev, ok := clusterOf[g]; ok && prev != c {
			t.Errorf("group %s split over clusters %s and %s", g, prev, c)
		}
		clusterOf[g] = c
	}
	if len(clusterOf) != 3 || clusterOf["g0"] == clusterOf["g1"] || clusterOf["g1"] == clusterOf["g2"] || clusterOf["g0"] == clusterOf["g2"] {
		t.Errorf("groups → clusters %v", clusterOf)
	}
	sec := doc.KMeans
	if sec.K != 3 || len(doc.Segments) != 3 || !reflect.DeepEqual(sec.Transform, []string{"none", "log1p", "log1p"}) {
		t.Fatalf("k = %d, segments %+v", sec.K, doc.Segments)
	}
	for _, s := range doc.Segments {
		if s.Customers != 30 {
			t.Errorf("segment %+v, want 30 customers", s)
		}
	}
	// Centroids are back in original units: the big spenders' cluster sits
	// at 40 orders and about 5075 revenue.
	found := false
	for _, c := range sec.Clusters {
		if math.Abs(c.Centroid[1]-40) < 1e-9 && math.Abs(c.Centroid[2]-5075) < 100 {
			found = true
		}
	}
	if !found {
		t.Errorf("no centroid at (40 orders, about 5075): %+v", sec.Clusters)
	}
}

// TestVIPWithoutRawSource: a set built elsewhere still gets selection and
// drops; the profile is skipped with a reason, and basket rules refuse.
func TestVIPWithoutRawSource(t *testing.T) {
	asOf := day("2024-12-31")
	var hist []customer.DayAmount
	for d := day("2024-01-01"); !d.After(asOf); d = d.AddDate(0, 0, 7) {
		hist = append(hist, customer.DayAmount{Day: customer.DayOf(d), Amount: 100 * txn.MoneyScale, Orders: 1})
	}
	set := &customer.Set{Customers: []customer.Customer{
		{ID: "a", First: day("2024-01-01"), Last: day("2024-12-30"), Orders: int64(len(hist)), Revenue: 100 * txn.MoneyScale * txn.Money(len(hist)), History: hist},
		{ID: "b", First: day("2024-06-01"), Last: day("2024-06-01"), Orders: 1, Revenue: 10 * txn.MoneyScale},
	}}
	cfg := Config{Reports: []Report{VIP}, AsOf: asOf, VIP: VIPParams{TopN: 1}}
	doc, err := Analyze(context.Background(), cfg, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	sec := doc.VIP
	if sec.VIPs != 1 || sec.Value != float64(100*len(hist)) || sec.Profile != nil || sec.ProfileSkipped == "" || sec.Drops.Judged != 1 || sec.Drops.Flagged != 0 {
		t.Errorf("vip = %+v, drops %+v", sec, sec.Drops)
	}
	cfg.Reports = []Report{Basket}
	if _, err := Analyze(context.Background(), cfg, set, nil); err == nil || !strings.Contains(err.Error(), "report basket: basket rules need a raw transaction source") {
		t.Errorf("basket without source: err = %v", err)
	}
}

// TestForecastSteps: partial first and last weeks are left out and weeks
// without sales up to the as-of day count as zero.
func TestForecastSteps(t *testing.T) {
	var daily []customer.DailyRevenue
	// Sales every day from Wednesday 2024-01-03 to Friday 2024-05-31.
	for d := day("2024-01-03"); !d.After(day("2024-05-31")); d = d.AddDate(0, 0, 1) {
		daily = append(daily, customer.DailyRevenue{Day: customer.DayOf(d), Revenue: 10 * txn.MoneyScale, Orders: 1})
	}
	set := &customer.Set{Daily: daily, Customers: []customer.Customer{{ID: "x", First: day("2024-01-03"), Last: day("2024-05-31"), Orders: 1, Revenue: 1}}}
	// As of Wednesday 2024-06-12: the week of 06-03 had no sales, the week of 06-10 is partial.
	cfg := Config{Reports: []Report{Forecast}, AsOf: day("2024-06-12"), Forecast: ForecastParams{Unit: "week", SeasonLength: 4}}
	doc, err := Analyze(context.Background(), cfg, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	sec := doc.Forecast
	h := sec.History
	if !reflect.DeepEqual(sec.Trimmed, []string{"first", "last"}) || !h[0].Start.Equal(day("2024-01-08")) || h[0].Revenue != 70 {
		t.Fatalf("trimmed %v, first step %+v", sec.Trimmed, h[0])
	}
	n := len(h)
	if !h[n-1].Start.Equal(day("2024-06-03")) || h[n-1].Revenue != 0 || !h[n-2].Start.Equal(day("2024-05-27")) || h[n-2].Revenue != 50 || sec.Points != n || n != 22 {
		t.Errorf("last steps %+v %+v, %d points", h[n-2], h[n-1], n)
	}
	if !sec.Forecast[0].Start.Equal(day("2024-06-10")) || len(sec.Forecast) != 4 {
		t.Errorf("forecast starts %v with %d steps", sec.Forecast[0].Start, len(sec.Forecast))
	}
}

// TestSectionsShrink: Bound shortens the long lists of the model sections
// (weakest rules, oldest history) before it would drop a section.
func TestSectionsShrink(t *testing.T) {
	b := &result.BasketSection{}
	for i := 0; i < 400; i++ {
		b.Rules = append(b.Rules, basket.Rule{Antecedent: []string{fmt.Sprintf("P%04d", i)}, Consequent: []string{"Q"}, Lift: float64(1000 - i)})
	}
	f := &result.ForecastSection{}
	for i := 0; i < 400; i++ {
		f.History = append(f.History, result.SeriesPoint{Start: day("2020-01-01").AddDate(0, 0, i), Revenue: float64(i)})
	}
	doc := result.New()
	doc.Basket, doc.Forecast = b, f
	full, _ := doc.Size()
	if err := result.Bound(doc, full/3); err != nil {
		t.Fatal(err)
	}
	if doc.Basket == nil || doc.Forecast == nil || !slices.Contains(doc.TruncatedFields, "basket") || !slices.Contains(doc.TruncatedFields, "forecast") {
		t.Fatalf("truncated %v", doc.TruncatedFields)
	}
	if len(b.Rules) >= 400 || b.Rules[0].Lift != 1000 || len(f.History) >= 400 || f.History[len(f.History)-1].Revenue != 399 {
		t.Errorf("kept %d rules (best lift %v), %d history points (last %v)", len(b.Rules), b.Rules[0].Lift, len(f.History), f.History[len(f.History)-1])
	}
}

// TestModelsOnEmptyInput: with every row rejected, the models that need data
// fail with a clear message and the reports that can describe nothing do.
func TestModelsOnEmptyInput(t *testing.T) {
	src := input.BytesSource("bad.csv", []byte("customer_id,timestamp,amount\na,2024-01-01,zz\n"), input.Options{}, "")
	tests := []struct {
		method  Method
		reports []Report
		wantErr string
	}{
		{CLV, nil, "method clv: fit CLV models"},
		{KMeans, nil, "method kmeans: no customers to cluster"},
		{RFM, []Report{Forecast}, "report forecast: no sales to forecast"},
		{RFM, []Report{VIP, Basket}, ""},
	}
	for _, tt := range tests {
		cfg := Config{Sources: []input.Source{src}, Method: tt.method, Reports: tt.reports, AsOf: asOf}
		doc, err := Run(context.Background(), cfg, nil)
		if tt.wantErr != "" {
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Errorf("%s %v: err = %v, want %q", tt.method, tt.reports, err, tt.wantErr)
			}
			continue
		}
		if err != nil {
			t.Fatalf("%s %v: %v", tt.method, tt.reports, err)
		}
		if doc.VIP.VIPs != 0 || doc.VIP.Drops.Checked != 0 || doc.VIP.Profile == nil || doc.VIP.Profile.Transactions != 0 || doc.Basket.Baskets != 0 || len(doc.Basket.Rules) != 0 {
			t.Errorf("vip %+v basket %+v", doc.VIP, doc.Basket)
		}
	}
}

// TestCDNOWSummariesThroughEngine: the customer set the engine hands to the
// CLV model (date-only timestamps, calendar days, same-day purchases merged,
// calibration end inclusive) gives exactly the published per-customer
// frequency, recency and T of cdnow_customers_summary.csv.
func TestCDNOWSummariesThroughEngine(t *testing.T) {
	var got *customer.Set
	withModels(t, map[string]Model{"clv": {NeedsHistory: true, Run: func(_ context.Context, _ *Config, set *customer.Set, _ time.Time) (Output, error) {
		got = set
		return Output{Section: &result.CLVSection{}}, nil
	}}})
	opts := input.Options{Delimiter: "whitespace", NoHeader: true, TimeLayout: "20060102"}
	var err error
	if opts.Mapping, err = input.ParseMapping("customer=2,time=3,amount=5"); err != nil {
		t.Fatal(err)
	}
	// The CLI passes a bare --calibration-end as the last instant of that day.
	calEnd := day("1997-09-30").AddDate(0, 0, 1).Add(-time.Nanosecond)
	cfg := Config{Sources: []input.Source{input.FileSource("../../../shared/data/cdnow/CDNOW_sample.txt", opts, "")}, Method: CLV, CalibrationEnd: calEnd}
	if _, err := Run(context.Background(), cfg, nil); err != nil {
		t.Fatal(err)
	}
	ids, sums, err := clv.Summaries(got, calEnd, clv.Week)
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open("../../../shared/data/cdnow/cdnow_customers_summary.csv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	if len(recs)-1 != len(sums) || len(sums) != 2357 {
		t.Fatalf("%d summaries, %d published", len(sums), len(recs)-1)
	}
	for i, r := range recs[1:] {
		s := sums[i]
		want := fmt.Sprintf("%s,%s,%s,%s", r[0], r[1], r[2], r[3])
		id := strings.TrimLeft(ids[i], "0")
		// Published values have two decimals, with trailing zeros dropped.
		g := fmt.Sprintf("%s,%d,%s,%s", id, s.X, trim2(s.Tx), trim2(s.T))
		if g != want {
			t.Errorf("customer %s: got %s, published %s", ids[i], g, want)
		}
	}
}

func trim2(v float64) string {
	s := fmt.Sprintf("%.2f", v)
	// "28.00" → "28.0", as the published file writes it
	return strings.TrimSuffix(s, "0")
}
