package engine

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"math"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/lifecycle"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/txn"
)

const shop = `customer_id,order_id,timestamp,amount
a,1,2024-01-05,10.00
a,2,2024-03-01,20.00
b,3,2024-02-10,5.00
c,4,2024-03-01,0
c,5,2024-03-02,bad
,6,2024-03-02,3
d,7,2024-03-15,30
`

var asOf = time.Date(2024, 3, 31, 23, 59, 59, 0, time.UTC)

func fixedClock() func() time.Time {
	t := time.Date(2024, 4, 1, 8, 0, 0, 0, time.UTC)
	return func() time.Time { t = t.Add(time.Second); return t }
}

func shopConfig() Config {
	return Config{
		Sources: []input.Source{input.BytesSource("shop.csv", []byte(shop), input.Options{}, "online")},
		Rules:   clean.Rules{DropGifts: true},
		AsOf:    asOf,
		Reports: []Report{Cohort, KPI, Pareto, KPI},
		Now:     fixedClock(),
	}
}

func near(a, b float64) bool { return math.Abs(a-b) < 1e-9 }

func TestRunRFM(t *testing.T) {
	var buf bytes.Buffer
	cfg := shopConfig()
	w, err := result.NewCSVWriter(&buf, Columns(cfg))
	if err != nil {
		t.Fatal(err)
	}
	var events []Event
	cfg.Progress = func(e Event) { events = append(events, e) }
	doc, err := Run(context.Background(), cfg, w)
	if err != nil {
		t.Fatal(err)
	}
	in := doc.Input
	if in.Transactions != 4 || in.Customers != 3 || in.Rows < 7 {
		t.Errorf("input = %+v", in)
	}
	wantRej := map[txn.RejectReason]int64{txn.RejectGift: 1, txn.RejectMalformed: 1, txn.RejectMissingCustomer: 1}
	if !reflect.DeepEqual(in.Rejected, wantRej) {
		t.Errorf("rejected = %v, want %v", in.Rejected, wantRej)
	}
	if len(in.RejectSamples) != 3 || in.Sources[0] != (result.Source{Name: "shop.csv", Channel: "online", Format: "csv"}) {
		t.Errorf("samples %+v sources %+v", in.RejectSamples, in.Sources)
	}
	// Recency a 30, b 50, d 16 days → R 2, 1, 4; orders 2, 1, 1 → F 4, 1, 1;
	// revenue 30, 5, 30 → M 2, 1, 2. Codes 242 (At Risk), 111 (Lost), 412 (Promising).
	got := map[string]result.Segment{}
	for _, s := range doc.Segments {
		got[s.Name] = s
	}
	if len(doc.Segments) != 11 || doc.RFM.SegmentMap != "standard" {
		t.Errorf("%d segments", len(doc.Segments))
	}
	for name, want := range map[string][2]float64{"At Risk": {1, 30}, "Lost": {1, 5}, "Promising": {1, 30}, "Champions": {0, 0}} {
		s := got[name]
		if float64(s.Customers) != want[0] || s.Revenue != want[1] || !near(s.RevenueShare, want[1]/65) {
			t.Errorf("segment %s = %+v, want %v", name, s, want)
		}
	}
	recs, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	wantRows := [][]string{
		{"customer", "recencyDays", "frequency", "monetary", "aov", "firstPurchase", "lastPurchase", "r", "f", "m", "rfm", "segment"},
		{"a", "30", "2", "30.0000", "15", "2024-01-05T00:00:00Z", "2024-03-01T00:00:00Z", "2", "4", "2", "242", "At Risk"},
		{"b", "50", "1", "5.0000", "5", "2024-02-10T00:00:00Z", "2024-02-10T00:00:00Z", "1", "1", "1", "111", "Lost"},
		{"d", "16", "1", "30.0000", "30", "2024-03-15T00:00:00Z", "2024-03-15T00:00:00Z", "4", "1", "2", "412", "Promising"},
	}
	if !reflect.DeepEqual(recs, wantRows) {
		t.Errorf("per-customer rows =\n%q\nwant\n%q", recs, wantRows)
	}
	if doc.KPI == nil || doc.KPI.Customers != 3 || doc.KPI.Orders != 4 || doc.KPI.Revenue != 65 || !near(doc.KPI.RepurchaseRate, 1.0/3) || doc.KPI.ActiveCustomers != 3 {
		t.Errorf("kpi = %+v", doc.KPI)
	}
	if doc.Pareto == nil || doc.Pareto.TopCustomers != 2 {
		t.Errorf("pareto = %+v", doc.Pareto)
	}
	if doc.Cohort == nil || len(doc.Cohort.Cohorts) != 3 || !reflect.DeepEqual(doc.Cohort.Cohorts[0].Active, []int64{1, 0, 1}) {
		t.Errorf("cohort = %+v", doc.Cohort)
	}
	if !reflect.DeepEqual(doc.Run.Reports, []string{"kpi", "pareto", "cohort"}) || doc.Run.Method != "rfm" || !doc.Run.AsOf.Equal(asOf) || doc.Run.DurationSeconds <= 0 {
		t.Errorf("run = %+v", doc.Run)
	}
	if len(events) == 0 || events[len(events)-1].Stage != "done" {
		t.Errorf("progress events = %+v", events)
	}
	// The summary never carries customer IDs.
	b, _ := json.Marshal(doc)
	for _, id := range []string{`"a"`, `"b"`, `"d"`} {
		if bytes.Contains(b, []byte(id)) {
			t.Errorf("summary contains customer ID %s", id)
		}
	}
}

func TestRunEmptyAfterCleaning(t *testing.T) {
	cfg := Config{
		Sources: []input.Source{input.BytesSource("bad.csv", []byte("customer_id,timestamp,amount\na,2024-01-01,zz\n,2024-01-01,1\n"), input.Options{}, "")},
		Reports: []Report{KPI, Pareto, Cohort},
		AsOf:    asOf,
	}
	for _, m := range []Method{RFM, ValueMatrix, Lifecycle} {
		cfg.Method = m
		var buf bytes.Buffer
		w, _ := result.NewNDJSONWriter(&buf, Columns(cfg))
		doc, err := Run(context.Background(), cfg, w)
		if err != nil {
			t.Fatalf("%s: %v", m, err)
		}
		if doc.Input.Customers != 0 || doc.Input.Rejected[txn.RejectMalformed] != 1 || doc.Input.Rejected[txn.RejectMissingCustomer] != 1 {
			t.Errorf("%s: input = %+v", m, doc.Input)
		}
		if len(doc.Segments) == 0 || doc.KPI.Customers != 0 || doc.Pareto.Defined || len(doc.Cohort.Cohorts) != 0 || buf.Len() != 0 {
			t.Errorf("%s: doc = %+v", m, doc)
		}
		for _, s := range doc.Segments {
			if s.Customers != 0 {
				t.Errorf("%s: segment %+v", m, s)
			}
		}
	}
}

func TestAnalyzeSetMethods(t *testing.T) {
	day := func(s string) time.Time { t, _ := time.Parse(time.DateOnly, s); return t }
	set := &customer.Set{Customers: []customer.Customer{
		{ID: "a", First: day("2023-01-01"), Last: day("2024-03-30"), Orders: 6, Revenue: 600 * txn.MoneyScale},
		{ID: "b", First: day("2024-03-20"), Last: day("2024-03-20"), Orders: 1, Revenue: 10 * txn.MoneyScale},
		{ID: "c", First: day("2023-01-01"), Last: day("2023-06-01"), Orders: 2, Revenue: 40 * txn.MoneyScale},
	}}
	cfg := Config{Method: Lifecycle, AsOf: asOf, PreviousStages: map[string]lifecycle.Stage{"a": lifecycle.Active, "c": lifecycle.AtRisk}}
	var buf bytes.Buffer
	w, _ := result.NewCSVWriter(&buf, Columns(cfg))
	doc, err := Analyze(context.Background(), cfg, set, w)
	if err != nil {
		t.Fatal(err)
	}
	wantSeg := []result.Segment{{Name: "new", Customers: 1, Revenue: 10, RevenueShare: 10.0 / 650}, {Name: "active"}, {Name: "loyal", Customers: 1, Revenue: 600, RevenueShare: 600.0 / 650}, {Name: "atRisk"}, {Name: "churned", Customers: 1, Revenue: 40, RevenueShare: 40.0 / 650}}
	if !reflect.DeepEqual(doc.Segments, wantSeg) {
		t.Errorf("segments = %+v", doc.Segments)
	}
	if len(doc.Lifecycle.Transitions) != 3 {
		t.Errorf("transitions = %+v", doc.Lifecycle.Transitions)
	}
	if !strings.Contains(buf.String(), ",loyal,loyal\n") {
		t.Errorf("per-customer = %s", buf.String())
	}

	cfg = Config{Method: ValueMatrix, AsOf: asOf}
	doc, err = Analyze(context.Background(), cfg, set, nil)
	if err != nil {
		t.Fatal(err)
	}
	// AOV 100, 10, 20 (median 20); orders 6, 1, 2 (median 2): a Best, b and c Uncertain.
	if doc.Segments[0].Name != "Best" || doc.Segments[0].Customers != 1 || doc.Segments[3].Name != "Uncertain" || doc.Segments[3].Customers != 2 {
		t.Errorf("value matrix segments = %+v", doc.Segments)
	}
}

func TestConfigErrors(t *testing.T) {
	tests := []struct {
		name     string
		mutate   func(*Config)
		wantErr  string
		notAvail bool
	}{
		{"bad method", func(c *Config) { c.Method = "magic" }, `method "magic": want one of rfm, kmeans, valuematrix, lifecycle, clv`, false},
		{"bad report", func(c *Config) { c.Reports = []Report{"weather"} }, `report "weather"`, false},
		{"bad time unit", func(c *Config) { c.TimeUnit = "year" }, `time unit "year"`, false},
		{"calibration after as-of", func(c *Config) { c.CalibrationEnd = asOf.AddDate(0, 0, 1) }, "calibration end", false},
		{"bad lifecycle", func(c *Config) { c.Lifecycle.AtRiskDays = 500 }, "atRiskDays", false},
		{"bad delimiter", func(c *Config) { c.Sources[0].Options.Delimiter = `"` }, "source 1 (shop.csv)", false},
		{"no sources", func(c *Config) { c.Sources = nil }, "no sources", false},
		{"bad clv margin", func(c *Config) { c.Method = CLV; c.CLV.Margin = 1.5 }, "clv margin 1.5", false},
		{"kmeans k and range", func(c *Config) { c.Method = KMeans; c.KMeans = KMeansParams{K: 3, MaxK: 5} }, "not both", false},
		{"bad kmeans range", func(c *Config) { c.Method = KMeans; c.KMeans = KMeansParams{MinK: 5, MaxK: 3} }, "k range 5-3", false},
		{"vip top n and percent", func(c *Config) { c.Reports = []Report{VIP}; c.VIP = VIPParams{TopN: 3, TopPercent: 5} }, "exactly one of topN", false},
		{"bad drop threshold", func(c *Config) { c.Reports = []Report{VIP}; c.VIP.Drop.Threshold = 2 }, "drop threshold", false},
		{"bad basket support", func(c *Config) { c.Reports = []Report{Basket}; c.Basket.MinSupport = 2 }, "minSupport", false},
		{"bad basket item", func(c *Config) { c.Reports = []Report{Basket}; c.Basket.Item = "sku" }, `basket item "sku"`, false},
		{"bad forecast unit", func(c *Config) { c.Reports = []Report{Forecast}; c.Forecast.Unit = "year" }, `forecast unit "year"`, false},
		{"bad seasonality", func(c *Config) { c.Reports = []Report{Forecast}; c.Forecast.Seasonality = "mixed" }, `seasonality "mixed"`, false},
		{"clv not wired", func(c *Config) { c.Method = CLV }, "clv: not available yet", true},
		{"kmeans not wired", func(c *Config) { c.Method = KMeans }, "kmeans: not available yet", true},
		{"vip not wired", func(c *Config) { c.Reports = []Report{VIP} }, "vip: not available yet", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.notAvail {
				withoutModels(t, "clv", "kmeans", "vip")
			}
			cfg := shopConfig()
			tt.mutate(&cfg)
			_, err := Run(context.Background(), cfg, nil)
			if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
				t.Fatalf("err = %v, want containing %q", err, tt.wantErr)
			}
			if errors.Is(err, ErrNotAvailable) != tt.notAvail {
				t.Errorf("errors.Is(ErrNotAvailable) = %v", !tt.notAvail)
			}
		})
	}
}

func TestRunUnreadableSource(t *testing.T) {
	cfg := shopConfig()
	cfg.Sources = []input.Source{input.FileSource("/nonexistent/x.csv", input.Options{}, "")}
	if _, err := Run(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "read sources") {
		t.Errorf("err = %v", err)
	}
}

func TestResolveAsOfFromData(t *testing.T) {
	cfg := shopConfig()
	cfg.AsOf = time.Time{}
	doc, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if customer.DayOf(doc.Run.AsOf) != customer.DayOf(time.Date(2024, 3, 15, 0, 0, 0, 0, time.UTC)) {
		t.Errorf("as-of from data = %v, want the last purchase day 2024-03-15", doc.Run.AsOf)
	}
}

func TestSummaryBudget(t *testing.T) {
	cfg := shopConfig()
	full, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	n, _ := full.Size()
	cfg.MaxSummaryBytes = n - 200
	doc, err := Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if got, _ := doc.Size(); got > cfg.MaxSummaryBytes || !doc.Truncated || len(doc.TruncatedFields) == 0 {
		t.Errorf("size %d (budget %d), truncated %v %v", got, cfg.MaxSummaryBytes, doc.Truncated, doc.TruncatedFields)
	}
	if doc.Input.Customers != 3 || len(doc.Segments) != 11 {
		t.Error("aggregates were cut")
	}
	cfg.MaxSummaryBytes = 100
	if _, err := Run(context.Background(), cfg, nil); err == nil || !strings.Contains(err.Error(), "byte budget") {
		t.Errorf("impossible budget: err = %v", err)
	}
}
