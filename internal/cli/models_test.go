package cli

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"math"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"
)

const cdnowSummary = "../../../shared/data/cdnow/cdnow_customers_summary.csv"

// sig3 formats x to three significant digits, the precision the published
// CDNOW fits are compared at.
func sig3(x float64) string { return strconv.FormatFloat(x, 'g', 3, 64) }

// readCSV reads a per-customer CSV into header-keyed rows.
func readCSV(t *testing.T, path string) []map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	recs, err := csv.NewReader(f).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	var out []map[string]string
	for _, r := range recs[1:] {
		m := map[string]string{}
		for i, h := range recs[0] {
			m[h] = r[i]
		}
		out = append(out, m)
	}
	return out
}

func num(t *testing.T, s string) float64 {
	t.Helper()
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		t.Fatalf("not a number: %q", s)
	}
	return v
}

// TestCLVCDNOW runs the published BTYD example through the CLI: the fits
// (Fader, Hardie & Lee 2005) and the expected purchases of customer 1.
func TestCLVCDNOW(t *testing.T) {
	custOut := filepath.Join(t.TempDir(), "clv.csv")
	code, out, errs := analyze(t, "-f", cdnow, "--drop-gifts=false", "--delimiter", "whitespace", "--no-header", "--map", "customer=2,time=3,amount=5",
		"--time-layout", "20060102", "--calibration-end", "1997-09-30", "--time-unit", "week", "--method", "clv", "-o", "json",
		"--horizon", "39", "--customers-out", custOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var d struct {
		CLV struct {
			BGNBD struct {
				R             float64 `json:"r"`
				Alpha         float64 `json:"alpha"`
				A             float64 `json:"a"`
				B             float64 `json:"b"`
				LogLikelihood float64 `json:"logLikelihood"`
			} `json:"bgnbd"`
			GammaGamma struct {
				P             float64 `json:"p"`
				Q             float64 `json:"q"`
				Gamma         float64 `json:"gamma"`
				LogLikelihood float64 `json:"logLikelihood"`
				Customers     int     `json:"customers"`
			} `json:"gammaGamma"`
			Customers     int       `json:"customers"`
			Horizon       float64   `json:"horizon"`
			PAliveDeciles []float64 `json:"pAliveDeciles"`
			CLVDeciles    []float64 `json:"clvDeciles"`
			Holdout       *struct {
				Length float64 `json:"length"`
			} `json:"holdout"`
		} `json:"clv"`
		Segments []struct {
			Name      string `json:"name"`
			Customers int    `json:"customers"`
		} `json:"segments"`
	}
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	bg, gg := d.CLV.BGNBD, d.CLV.GammaGamma
	for _, c := range []struct {
		name      string
		got, want float64
	}{
		{"r", bg.R, 0.2426}, {"alpha", bg.Alpha, 4.4136}, {"a", bg.A, 0.7929}, {"b", bg.B, 2.4259}, {"BG/NBD LL", bg.LogLikelihood, -9582.43},
		{"p", gg.P, 6.25}, {"q", gg.Q, 3.74}, {"gamma", gg.Gamma, 15.44}, {"Gamma-Gamma LL", gg.LogLikelihood, -4055.92},
	} {
		if sig3(c.got) != sig3(c.want) {
			t.Errorf("%s = %v, want %v to 3 significant digits", c.name, c.got, c.want)
		}
	}
	// The log-likelihoods are published to two decimals.
	if math.Abs(bg.LogLikelihood+9582.43) > 0.01 || math.Abs(gg.LogLikelihood+4055.92) > 0.01 {
		t.Errorf("log-likelihoods %v, %v", bg.LogLikelihood, gg.LogLikelihood)
	}
	if d.CLV.Customers != 2357 || gg.Customers != 946 || d.CLV.Horizon != 39 {
		t.Errorf("customers %d, repeat %d, horizon %v", d.CLV.Customers, gg.Customers, d.CLV.Horizon)
	}
	// Calibration ends 1997-09-30 inclusive; the data end on 1998-06-30: 273 days.
	if d.CLV.Holdout == nil || math.Abs(d.CLV.Holdout.Length-39) > 1e-9 {
		t.Errorf("holdout = %+v, want 39 weeks", d.CLV.Holdout)
	}
	if len(d.CLV.PAliveDeciles) != 11 || len(d.CLV.CLVDeciles) != 11 || !slices.IsSorted(d.CLV.CLVDeciles) {
		t.Errorf("deciles %v %v", d.CLV.PAliveDeciles, d.CLV.CLVDeciles)
	}
	// Four equal tiers of 2357 customers: 590, 589, 589, 589.
	if len(d.Segments) != 4 || d.Segments[0].Name != "Tier 1" || d.Segments[0].Customers != 590 || d.Segments[3].Customers != 589 {
		t.Errorf("segments = %+v", d.Segments)
	}
	// The summary names no customer: CDNOW's IDs are "0001"…"2357".
	if regexp.MustCompile(`"\d{4}"`).MatchString(out) {
		t.Error("summary contains a customer ID")
	}

	rows := readCSV(t, custOut)
	if len(rows) != 2357 {
		t.Fatalf("%d per-customer rows", len(rows))
	}
	// Customer 1 of the published summary: x = 2, t_x = 30.43, T = 38.86.
	c1 := rows[0]
	if c1["customer"] != "0001" {
		t.Fatalf("first row = %v", c1)
	}
	if ep := num(t, c1["expectedPurchases"]); math.Abs(ep-1.226) > 0.0005 {
		t.Errorf("customer 1 expected purchases over 39 weeks = %v, want 1.226", ep)
	}
	if pa := num(t, c1["pAlive"]); !(pa > 0 && pa <= 1) || c1["segment"] == "" || c1["clv"] == "" {
		t.Errorf("customer 1 = %v", c1)
	}
	// Date-only timestamps give whole calendar days: T (weeks from the first
	// purchase to the end of 1997-09-30) matches the published summary for
	// every customer.
	sum := readCSV(t, cdnowSummary)
	end := time.Date(1997, 9, 30, 0, 0, 0, 0, time.UTC)
	for i, r := range rows {
		first, err := time.Parse(time.RFC3339, r["firstPurchase"])
		if err != nil {
			t.Fatal(err)
		}
		id, _ := strconv.Atoi(r["customer"])
		s := sum[i]
		if s["ID"] != strconv.Itoa(id) {
			t.Fatalf("row %d: customer %s vs summary ID %s", i, r["customer"], s["ID"])
		}
		T := end.Sub(first).Hours() / 24 / 7
		if pub := num(t, s["T"]); math.Abs(T-pub) > 0.005 { // published to two decimals
			t.Errorf("customer %s: T = %.4f, published %s", r["customer"], T, s["T"])
		}
	}
}

// sampleDoc runs the CLI on the built-in sample and decodes the summary
// into v, returning the raw JSON.
func sampleDoc(t *testing.T, v any, args ...string) string {
	t.Helper()
	code, out, errs := analyze(t, append([]string{"-q"}, args...)...)
	if code != 0 {
		t.Fatalf("%v: exit %d: %s", args, code, errs)
	}
	if err := json.Unmarshal([]byte(out), v); err != nil {
		t.Fatal(err)
	}
	return out
}

var sampleID = regexp.MustCompile(`C\d{7}`)

type kmeansDoc struct {
	Run      struct{ Method string } `json:"run"`
	Segments []struct {
		Name      string  `json:"name"`
		Customers int     `json:"customers"`
		Revenue   float64 `json:"revenue"`
	} `json:"segments"`
	KMeans struct {
		K          int `json:"k"`
		Candidates []struct {
			K int `json:"k"`
		} `json:"candidates"`
		Clusters []struct {
			Index    int       `json:"index"`
			Size     int       `json:"size"`
			Centroid []float64 `json:"centroid"`
			Label    string    `json:"label"`
		} `json:"clusters"`
		Seed uint64 `json:"seed"`
	} `json:"kmeans"`
}

func TestKMeansSample(t *testing.T) {
	custOut := filepath.Join(t.TempDir(), "km.csv")
	var d kmeansDoc
	out := sampleDoc(t, &d, "--sample", "600", "--method", "kmeans", "--k", "3", "--seed", "7", "--customers-out", custOut)
	if d.KMeans.K != 3 || len(d.KMeans.Clusters) != 3 || len(d.Segments) != 3 || d.KMeans.Seed != 7 || d.Run.Method != "kmeans" {
		t.Fatalf("kmeans = %+v, segments %+v", d.KMeans, d.Segments)
	}
	// Segments, clusters and the per-customer column agree on every size.
	rows := readCSV(t, custOut)
	perCluster := map[string]int{}
	revenue := map[string]float64{}
	for _, r := range rows {
		perCluster[r["cluster"]]++
		revenue[r["cluster"]] += num(t, r["monetary"])
		if !strings.HasPrefix(r["segment"], r["cluster"]+": ") {
			t.Fatalf("row %v: segment does not name its cluster", r)
		}
	}
	for j, c := range d.KMeans.Clusters {
		s := d.Segments[j]
		key := strconv.Itoa(c.Index)
		if s.Name != fmt.Sprintf("%d: %s", c.Index, c.Label) || s.Customers != c.Size || perCluster[key] != c.Size || math.Abs(revenue[key]-s.Revenue) > 0.01 {
			t.Errorf("cluster %+v, segment %+v, per-customer %d rows, revenue %v", c, s, perCluster[key], revenue[key])
		}
	}
	if len(rows) != perCluster["0"]+perCluster["1"]+perCluster["2"] {
		t.Errorf("cluster values outside 0..2: %v", perCluster)
	}
	if sampleID.MatchString(out) {
		t.Error("summary contains a customer ID")
	}
	// Same seed, same clustering.
	var d2 kmeansDoc
	sampleDoc(t, &d2, "--sample", "600", "--method", "kmeans", "--k", "3", "--seed", "7")
	a, _ := json.Marshal(d.KMeans)
	b, _ := json.Marshal(d2.KMeans)
	if !bytes.Equal(a, b) {
		t.Error("two runs with the same seed differ")
	}
	// Automatic k reports every candidate of the range and picks one of them.
	var auto kmeansDoc
	sampleDoc(t, &auto, "--sample", "600", "--method", "kmeans", "--k-range", "2-4")
	if len(auto.KMeans.Candidates) != 3 || auto.KMeans.K < 2 || auto.KMeans.K > 4 || len(auto.Segments) != auto.KMeans.K {
		t.Errorf("auto k: k %d, candidates %+v", auto.KMeans.K, auto.KMeans.Candidates)
	}
}

type share struct {
	Name         string  `json:"name"`
	Transactions int64   `json:"transactions"`
	Revenue      float64 `json:"revenue"`
	Share        float64 `json:"share"`
}

type bucket struct {
	Lower float64 `json:"lower"`
	Upper float64 `json:"upper"`
	Open  bool    `json:"open"`
	Count int64   `json:"count"`
}

type rule struct {
	Antecedent []string `json:"antecedent"`
	Consequent []string `json:"consequent"`
	Count      int      `json:"count"`
	Support    float64  `json:"support"`
	Confidence float64  `json:"confidence"`
	Lift       float64  `json:"lift"`
}

type reportsDoc struct {
	VIP *struct {
		Customers    int      `json:"customers"`
		VIPs         int      `json:"vips"`
		MinValue     float64  `json:"minValue"`
		Value        float64  `json:"value"`
		ValueShare   float64  `json:"valueShare"`
		ValueBuckets []bucket `json:"valueBuckets"`
		Profile      *struct {
			VIPs         int          `json:"vips"`
			Transactions int64        `json:"transactions"`
			Revenue      float64      `json:"revenue"`
			WeekdayHour  [7][24]int64 `json:"weekdayHour"`
			Categories   []share      `json:"categories"`
			Channels     []share      `json:"channels"`
			SpendBuckets []bucket     `json:"spendBuckets"`
		} `json:"profile"`
		Drops *struct {
			Checked       int `json:"checked"`
			Judged        int `json:"judged"`
			Flagged       int `json:"flagged"`
			FrequencyFlag int `json:"frequencyFlagged"`
			SpendFlag     int `json:"spendFlagged"`
		} `json:"drops"`
	} `json:"vip"`
	Basket *struct {
		Baskets          int     `json:"baskets"`
		Rules            []rule  `json:"rules"`
		Item             string  `json:"item"`
		Scope            string  `json:"scope"`
		SampleFraction   float64 `json:"sampleFraction"`
		LinesWithoutItem int64   `json:"linesWithoutItem"`
		Config           struct {
			MinSupport    float64 `json:"minSupport"`
			MinConfidence float64 `json:"minConfidence"`
			MinLift       float64 `json:"minLift"`
		} `json:"config"`
	} `json:"basket"`
	Forecast *struct {
		Unit     string `json:"unit"`
		Period   int    `json:"period"`
		Points   int    `json:"points"`
		Forecast []struct {
			Step  int       `json:"step"`
			Start time.Time `json:"start"`
			Value float64   `json:"value"`
			Lower float64   `json:"lower"`
			Upper float64   `json:"upper"`
		} `json:"forecast"`
		Holdout *struct {
			Steps int     `json:"steps"`
			MAPE  float64 `json:"mape"`
		} `json:"holdout"`
		History []struct {
			Start   time.Time `json:"start"`
			Revenue float64   `json:"revenue"`
		} `json:"history"`
		Trimmed []string `json:"trimmed"`
	} `json:"forecast"`
}

func TestReportsSample(t *testing.T) {
	custOut := filepath.Join(t.TempDir(), "rfm.csv")
	var d reportsDoc
	out := sampleDoc(t, &d, "--sample", "1000", "--report", "vip,basket,forecast", "--vip-top", "25", "--forecast-unit", "day",
		"--customers-out", custOut)
	if sampleID.MatchString(out) {
		t.Error("summary contains a customer ID")
	}
	// VIPs: the 25 highest revenues of the per-customer part.
	rows := readCSV(t, custOut)
	var revs []float64
	var total float64
	for _, r := range rows {
		v := num(t, r["monetary"])
		revs = append(revs, v)
		total += v
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(revs)))
	var top float64
	for _, v := range revs[:25] {
		top += v
	}
	v := d.VIP
	if v == nil || v.VIPs != 25 || v.Customers != len(rows) || math.Abs(v.Value-top) > 0.01 || v.MinValue != revs[24] || math.Abs(v.ValueShare-top/total) > 1e-9 {
		t.Fatalf("vip = %+v, want 25 VIPs worth %v (share %v, bar %v)", v, top, top/total, revs[24])
	}
	var n int64
	for _, b := range v.ValueBuckets {
		n += b.Count
	}
	if n != 25 {
		t.Errorf("value buckets hold %d VIPs", n)
	}
	// Profile tables add up to the VIPs' lines and revenue.
	p := v.Profile
	if p == nil || p.VIPs != 25 || p.Transactions == 0 || math.Abs(p.Revenue-top) > 0.01 {
		t.Fatalf("profile = %+v (VIP revenue %v)", p, top)
	}
	var cells int64
	for _, row := range p.WeekdayHour {
		for _, c := range row {
			cells += c
		}
	}
	sumShares := func(ss []share) (int64, float64, float64) {
		var n int64
		var rev, sh float64
		for _, s := range ss {
			n, rev, sh = n+s.Transactions, rev+s.Revenue, sh+s.Share
		}
		return n, rev, sh
	}
	cn, cr, cs := sumShares(p.Categories)
	hn, hr, hs := sumShares(p.Channels)
	var bn int64
	for _, b := range p.SpendBuckets {
		bn += b.Count
	}
	if cells != p.Transactions || cn != p.Transactions || hn != p.Transactions || bn != p.Transactions ||
		math.Abs(cr-p.Revenue) > 0.01 || math.Abs(hr-p.Revenue) > 0.01 || math.Abs(cs-1) > 1e-9 || math.Abs(hs-1) > 1e-9 || len(p.Channels) != 3 {
		t.Errorf("profile tables do not add up to %d lines: cells %d, categories %d, channels %d, buckets %d", p.Transactions, cells, cn, hn, bn)
	}
	if dr := v.Drops; dr == nil || dr.Checked != 25 || dr.Judged > 25 || dr.Flagged > dr.Judged || dr.Flagged > dr.FrequencyFlag+dr.SpendFlag {
		t.Errorf("drops = %+v", v.Drops)
	}

	b := d.Basket
	if b == nil || b.Baskets == 0 || len(b.Rules) == 0 || b.Item != "product" || b.Scope != "all" || b.SampleFraction != 1 || b.LinesWithoutItem != 0 {
		t.Fatalf("basket = %+v", b)
	}
	for i, r := range b.Rules {
		if r.Support < 0.01 || r.Confidence < 0.2 || r.Lift < 1 || math.Abs(r.Support-float64(r.Count)/float64(b.Baskets)) > 1e-12 {
			t.Errorf("rule %+v breaks the defaults", r)
		}
		if i > 0 && r.Lift > b.Rules[i-1].Lift {
			t.Errorf("rules not sorted by lift at %d", i)
		}
	}

	f := d.Forecast
	if f == nil || f.Unit != "day" || f.Period != 7 || len(f.Forecast) != 7 || f.Holdout == nil || f.Holdout.Steps != 7 || len(f.History) != f.Points {
		t.Fatalf("forecast = %+v", f)
	}
	last := f.History[len(f.History)-1].Start
	if !f.Forecast[0].Start.Equal(last.AddDate(0, 0, 1)) || !(f.Forecast[0].Lower <= f.Forecast[0].Value && f.Forecast[0].Value <= f.Forecast[0].Upper) {
		t.Errorf("first forecast step %+v after history ending %v", f.Forecast[0], last)
	}
	// The sample shop sells every day from 2024-01-01 to 2025-12-31.
	if f.Points != 731 || !f.History[0].Start.Equal(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("history: %d points from %v", f.Points, f.History[0].Start)
	}
	// Default forecast: months with yearly seasonality (24 whole months).
	var m reportsDoc
	sampleDoc(t, &m, "--sample", "1000", "--report", "forecast")
	if m.Forecast == nil || m.Forecast.Unit != "month" || m.Forecast.Points != 24 || len(m.Forecast.Forecast) != 12 || m.Forecast.Holdout != nil {
		t.Errorf("monthly forecast = %+v", m.Forecast)
	}
}

// TestBasketRules checks rules against a hand-computed example.
func TestBasketRules(t *testing.T) {
	// Orders: AB, ABC, AC, BC, AB, DE, DE, D (8 baskets). Item counts A4 B4
	// C3 D3 E2; pairs AB3 AC2 BC2 DE2; ABC1.
	var sb strings.Builder
	sb.WriteString("customer,order,time,amount,product\n")
	for i, o := range []string{"AB", "ABC", "AC", "BC", "AB", "DE", "DE", "D"} {
		for _, it := range o {
			fmt.Fprintf(&sb, "c%d,o%d,2024-03-0%d,5.00,%c\n", i%3, i, 1+i%5, it)
		}
	}
	p := writeFile(t, "orders.csv", sb.String())
	var d reportsDoc
	sampleDocFile := func(args ...string) {
		code, out, errs := analyze(t, append([]string{"-q", "-f", p, "--report", "basket"}, args...)...)
		if code != 0 {
			t.Fatalf("exit %d: %s", code, errs)
		}
		d = reportsDoc{}
		if err := json.Unmarshal([]byte(out), &d); err != nil {
			t.Fatal(err)
		}
	}
	sampleDocFile("--min-support", "0.25", "--min-confidence", "0.5", "--min-lift", "1.4")
	// supp(X→Y) = n(XY)/8, conf = n(XY)/n(X), lift = conf / (n(Y)/8).
	want := []rule{
		{[]string{"E"}, []string{"D"}, 2, 2.0 / 8, 1, 1 / (3.0 / 8)},
		{[]string{"D"}, []string{"E"}, 2, 2.0 / 8, 2.0 / 3, (2.0 / 3) / (2.0 / 8)},
		{[]string{"A"}, []string{"B"}, 3, 3.0 / 8, 3.0 / 4, (3.0 / 4) / (4.0 / 8)},
		{[]string{"B"}, []string{"A"}, 3, 3.0 / 8, 3.0 / 4, (3.0 / 4) / (4.0 / 8)},
	}
	if d.Basket == nil || d.Basket.Baskets != 8 || len(d.Basket.Rules) != len(want) {
		t.Fatalf("basket = %+v", d.Basket)
	}
	for i, w := range want {
		g := d.Basket.Rules[i]
		if !slices.Equal(g.Antecedent, w.Antecedent) || !slices.Equal(g.Consequent, w.Consequent) || g.Count != w.Count ||
			math.Abs(g.Support-w.Support) > 1e-12 || math.Abs(g.Confidence-w.Confidence) > 1e-12 || math.Abs(g.Lift-w.Lift) > 1e-12 {
			t.Errorf("rule %d = %+v, want %+v", i, g, w)
		}
	}
	// --min-lift 0 turns the lift filter off: all six A/B/C rules (lift 1.5
	// or 4/3) and both D/E rules.
	sampleDocFile("--min-support", "0.25", "--min-confidence", "0.5", "--min-lift", "0")
	if len(d.Basket.Rules) != 8 || d.Basket.Config.MinLift != 0 {
		t.Errorf("without lift filter: %d rules, config %+v", len(d.Basket.Rules), d.Basket.Config)
	}
	// Category level: this file has no category, so every line is skipped.
	sampleDocFile("--basket-item", "category")
	if d.Basket.Baskets != 0 || d.Basket.LinesWithoutItem != 16 || len(d.Basket.Rules) != 0 {
		t.Errorf("category baskets = %+v", d.Basket)
	}
}

// TestVIPActivityDrop: a VIP who buys half as often in the last 90 days is
// flagged at a 40 % threshold, one who keeps their pace is not.
func TestVIPActivityDrop(t *testing.T) {
	var sb strings.Builder
	sb.WriteString("customer,time,amount,channel,category\n")
	start := time.Date(2024, 1, 1, 10, 0, 0, 0, time.UTC)
	asOf := time.Date(2024, 12, 31, 0, 0, 0, 0, time.UTC)
	recentStart := asOf.AddDate(0, 0, -89)
	var lines int
	for k, d := 0, start; !d.After(asOf); k, d = k+1, d.AddDate(0, 0, 10) {
		fmt.Fprintf(&sb, "steady,%s,50.00,web,books\n", d.Format("2006-01-02 15:04:05"))
		lines++
		// slowing buys every 10 days, then every 20 days in the recent window:
		// 28 purchases in the 276 baseline days, 5 (not 9) in the last 90.
		if d.Before(recentStart) || k%2 == 0 {
			fmt.Fprintf(&sb, "slowing,%s,50.00,store,music\n", d.Format("2006-01-02 15:04:05"))
			lines++
		}
	}
	sb.WriteString("small,2024-06-01 08:30:00,5.00,web,books\n")
	p := writeFile(t, "vip.csv", sb.String())
	code, out, errs := analyze(t, "-q", "-f", p, "--as-of", "2024-12-31", "--report", "vip", "--vip-top", "2", "--drop-threshold", "0.4")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var d reportsDoc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	dr := d.VIP.Drops
	if dr == nil || dr.Checked != 2 || dr.Judged != 2 || dr.Flagged != 1 || dr.FrequencyFlag != 1 || dr.SpendFlag != 1 {
		t.Errorf("drops = %+v, want 2 checked, 1 flagged on frequency and spend", dr)
	}
	pr := d.VIP.Profile
	// Every VIP line is at 10:00; "small" (08:30) is not a VIP.
	var at10 int64
	for _, row := range pr.WeekdayHour {
		at10 += row[10]
	}
	if pr.Transactions != int64(lines) || at10 != int64(lines) || len(pr.Channels) != 2 || len(pr.Categories) != 2 {
		t.Errorf("profile: %d lines (%d at 10:00), want %d; channels %+v", pr.Transactions, at10, lines, pr.Channels)
	}
	if strings.Contains(out, "steady") || strings.Contains(out, "slowing") {
		t.Error("summary names a customer")
	}
}

// TestForecastExactSeasonality: revenue that repeats a weekly pattern exactly
// is forecast as that pattern, and the holdout error is about zero.
func TestForecastExactSeasonality(t *testing.T) {
	pattern := []float64{100, 120, 90, 110, 150, 300, 250} // Monday first
	var sb strings.Builder
	sb.WriteString("customer,time,amount\n")
	start := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC) // a Monday
	for i := 0; i < 8*7; i++ {
		d := start.AddDate(0, 0, i)
		fmt.Fprintf(&sb, "c%d,%s,%.2f\n", i%5, d.Format(time.DateOnly), pattern[i%7])
	}
	p := writeFile(t, "daily.csv", sb.String())
	code, out, errs := analyze(t, "-q", "-f", p, "--report", "forecast", "--forecast-unit", "day", "--forecast-horizon", "14")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	var d reportsDoc
	if err := json.Unmarshal([]byte(out), &d); err != nil {
		t.Fatal(err)
	}
	f := d.Forecast
	if f == nil || f.Points != 56 || len(f.Forecast) != 14 || f.Holdout == nil {
		t.Fatalf("forecast = %+v", f)
	}
	for _, pt := range f.Forecast {
		want := pattern[(pt.Start.Weekday()+6)%7]
		if math.Abs(pt.Value-want) > 0.01 {
			t.Errorf("step %d (%s) = %v, want %v", pt.Step, pt.Start.Format(time.DateOnly), pt.Value, want)
		}
	}
	if f.Holdout.MAPE > 1e-4 {
		t.Errorf("holdout MAPE = %v, want ≈ 0", f.Holdout.MAPE)
	}
}

func TestModelTables(t *testing.T) {
	code, out, errs := analyze(t, "-q", "--sample", "400", "--method", "kmeans", "--k", "3", "--report", "vip,basket,forecast", "-o", "table")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"K-means: k = 3", "CLUSTER", "RECENCY", "VIPs: 20 of", "activity drop ≥ 40.0% in the last 90 days", "top channels",
		"Basket rules (product, all customers)", "LIFT", "Forecast: Holt-Winters, additive seasonality over 12 months (24 points)", "2026-01-01"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
	if sampleID.MatchString(out) {
		t.Error("table names a customer")
	}
	code, out, errs = analyze(t, "-q", "-f", cdnow, "--drop-gifts=false", "--delimiter", "whitespace", "--no-header", "--map", "customer=2,time=3,amount=5",
		"--calibration-end", "1997-09-30", "--method", "clv", "-o", "table")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{"BG/NBD", "r 0.24", "log-likelihood -9582.43", "Gamma-Gamma", "log-likelihood -4055.92", "Tier 4", "holdout (39 weeks)"} {
		if !strings.Contains(out, want) {
			t.Errorf("table lacks %q:\n%s", want, out)
		}
	}
}

func TestBasketVIPScope(t *testing.T) {
	var all, vips reportsDoc
	sampleDoc(t, &all, "--sample", "500", "--report", "basket", "--min-support", "0.02")
	sampleDoc(t, &vips, "--sample", "500", "--report", "basket", "--min-support", "0.02", "--basket-scope", "vip", "--vip-top", "50")
	if all.Basket.Scope != "all" || vips.Basket.Scope != "vip" || vips.Basket.Baskets == 0 || vips.Basket.Baskets >= all.Basket.Baskets {
		t.Errorf("all: %d baskets (%s), vip: %d baskets (%s)", all.Basket.Baskets, all.Basket.Scope, vips.Basket.Baskets, vips.Basket.Scope)
	}
}
