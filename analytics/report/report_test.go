package report

import (
	"bytes"
	"errors"
	"math"
	"slices"
	"strings"
	"testing"
	"time"

	"golang.org/x/net/html"
	"golang.org/x/net/html/atom"

	"github.com/crmlens/crmlens/analytics/basket"
	"github.com/crmlens/crmlens/analytics/clv"
	"github.com/crmlens/crmlens/analytics/cohort"
	"github.com/crmlens/crmlens/analytics/forecast"
	"github.com/crmlens/crmlens/analytics/kpi"
	"github.com/crmlens/crmlens/analytics/lifecycle"
	"github.com/crmlens/crmlens/analytics/pareto"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/rfm"
	"github.com/crmlens/crmlens/analytics/txn"
	"github.com/crmlens/crmlens/analytics/valuematrix"
	"github.com/crmlens/crmlens/analytics/vip"
)

// baseDoc is a small hand-made document: three segments, two rejections.
func baseDoc() *result.Document {
	d := result.New()
	d.Run.Method = "rfm"
	d.Run.AsOf = time.Date(2025, 12, 31, 0, 0, 0, 0, time.UTC)
	d.Input.Sources = []result.Source{{Name: "shop.csv", Format: "csv"}}
	d.Input.Rows, d.Input.Transactions, d.Input.Customers = 110, 100, 20
	d.Input.Rejected[txn.RejectReason("gift")] = 6
	d.Input.Rejected[txn.RejectReason("malformed")] = 4
	d.Segments = []result.Segment{
		{Name: "Champions", Customers: 5, Revenue: 600, RevenueShare: 0.6},
		{Name: "Loyal", Customers: 10, Revenue: 300, RevenueShare: 0.3},
		{Name: "Lost", Customers: 5, Revenue: 100, RevenueShare: 0.1},
	}
	return d
}

func withRFM(d *result.Document) {
	s := &rfm.Summary{Segments: nil}
	for r := uint8(1); r <= 5; r++ {
		for f := uint8(1); f <= 5; f++ {
			s.Heatmap = append(s.Heatmap, rfm.Cell{R: r, F: f, Customers: int64(r)*10 + int64(f), MeanMonetary: float64(f) * 100})
		}
	}
	d.RFM = s
}

func withKPI(d *result.Document, churn float64, customers int64) {
	max30 := 30
	d.KPI = &kpi.Summary{Params: kpi.Params{ActiveDays: 90, ChurnDays: 180}, Customers: customers, ActiveCustomers: 12,
		ChurnRate: churn, RepurchaseRate: 0.5, Orders: 40, Revenue: 1000, AverageOrderValue: 25, OrdersPerCustomer: 2,
		RecencyDistribution: []kpi.Bucket{{Label: "0-30", MaxDays: &max30, Customers: 12, Share: 0.6}, {Label: "31+", MinDays: 31, Customers: 8, Share: 0.4}}}
}

func withAll(d *result.Document) {
	withRFM(d)
	withKPI(d, 0.25, 20)
	d.ValueMatrix = &valuematrix.Summary{AOVThreshold: 20, FrequencyThreshold: 2, ThresholdSource: "median", Quadrants: []valuematrix.Cell{
		{Name: "Best", Customers: 4, RevenueShare: 0.5}, {Name: "Spender", Customers: 3, RevenueShare: 0.2},
		{Name: "Frequent", Customers: 6, RevenueShare: 0.2}, {Name: "Uncertain", Customers: 7, RevenueShare: 0.1}}}
	d.Pareto = &pareto.Summary{Share: 0.8, Defined: true, Customers: 20, TopCustomers: 5, CustomerShare: 0.25, RevenueShare: 0.82, Gini: 0.6,
		Lorenz: []pareto.Point{{Customers: 0, Revenue: 0}, {Customers: 0.5, Revenue: 0.1}, {Customers: 1, Revenue: 1}}}
	d.Cohort = &cohort.Summary{Cohorts: []cohort.Cohort{
		{Month: "2025-11", Customers: 10, Active: []int64{10, 4}, Retention: []float64{1, 0.4}, Revenue: []float64{100, 40}},
		{Month: "2025-12", Customers: 10, Active: []int64{10}, Retention: []float64{1}, Revenue: []float64{90}},
	}}
	var wh [7][24]int64
	wh[0][9] = 5  // Monday 09:00
	wh[6][20] = 2 // Sunday 20:00
	d.VIP = &result.VIPSection{Result: vip.Result{Customers: 20, VIPs: 2, MinValue: 100, Value: 500, ValueShare: 0.5,
		Profile: &vip.Profile{VIPs: 2, Transactions: 7, Revenue: 500, WeekdayHour: wh,
			Categories:   []vip.Share{{Name: "music", Revenue: 400, Share: 0.8}, {Name: "books", Revenue: 100, Share: 0.2}},
			Channels:     []vip.Share{{Name: "online", Revenue: 500, Share: 1}},
			SpendBuckets: []vip.Bucket{{Lower: 0, Upper: 50, Count: 3}, {Lower: 50, Open: true, Count: 4}}}}, ValueBasis: "revenue"}
	d.Forecast = &result.ForecastSection{Unit: "month",
		Result: forecast.Result{Seasonality: "additive", Period: 12, Points: 2, Level: 0.95, Forecast: []forecast.Point{
			{Step: 1, Start: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC), Value: 120, Lower: 100, Upper: 140}}},
		History: []result.SeriesPoint{{Start: time.Date(2025, 11, 1, 0, 0, 0, 0, time.UTC), Revenue: 100}, {Start: time.Date(2025, 12, 1, 0, 0, 0, 0, time.UTC), Revenue: 110}}}
}

func render(t *testing.T, d *result.Document, o Options) (string, *html.Node) {
	t.Helper()
	var buf bytes.Buffer
	if err := Render(&buf, d, o); err != nil {
		t.Fatalf("Render: %v", err)
	}
	root, err := html.Parse(bytes.NewReader(buf.Bytes()))
	if err != nil {
		t.Fatalf("parsing the page: %v", err)
	}
	return buf.String(), root
}

// walk calls f for every element node.
func walk(n *html.Node, f func(*html.Node)) {
	if n.Type == html.ElementNode {
		f(n)
	}
	for c := n.FirstChild; c != nil; c = c.NextSibling {
		walk(c, f)
	}
}

func attr(n *html.Node, key string) (string, bool) {
	for _, a := range n.Attr {
		if a.Key == key {
			return a.Val, true
		}
	}
	return "", false
}

func hasClass(n *html.Node, c string) bool {
	v, _ := attr(n, "class")
	return slices.Contains(strings.Fields(v), c)
}

func text(n *html.Node) string {
	var b strings.Builder
	var rec func(*html.Node)
	rec = func(n *html.Node) {
		if n.Type == html.TextNode {
			b.WriteString(n.Data)
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			rec(c)
		}
	}
	rec(n)
	return b.String()
}

func sectionIDs(root *html.Node) []string {
	var ids []string
	walk(root, func(n *html.Node) {
		if n.DataAtom == atom.Section {
			id, _ := attr(n, "id")
			ids = append(ids, id)
		}
	})
	return ids
}

func TestSectionsOnlyWhenDataExists(t *testing.T) {
	tests := []struct {
		name   string
		doc    func() *result.Document
		alerts []Alert
		want   []string
	}{
		{"segments only", baseDoc, nil, []string{"kpis", "segments", "input"}},
		{"no segments", func() *result.Document { d := baseDoc(); d.Segments = nil; return d }, nil, []string{"kpis", "input"}},
		{"rfm and kpi", func() *result.Document { d := baseDoc(); withRFM(d); withKPI(d, 0.2, 20); return d }, nil,
			[]string{"kpis", "segments", "rfm", "kpi", "input"}},
		{"clv, lifecycle transitions and basket", func() *result.Document {
			d := baseDoc()
			d.CLV = &result.CLVSection{Result: clv.Result{Customers: 20, Unit: "week", Horizon: 52,
				CLVDeciles: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 500}}}
			d.Lifecycle = &lifecycle.Summary{Transitions: []lifecycle.Transition{{From: "new", To: "active", Customers: 3}}}
			d.Basket = &result.BasketSection{Result: basket.Result{Baskets: 10, Rules: []basket.Rule{{Antecedent: []string{"P1"}, Consequent: []string{"P2"}, Count: 3, Support: 0.3, Confidence: 0.6, Lift: 2}}}}
			return d
		}, nil, []string{"kpis", "segments", "lifecycle", "clv", "basket", "input"}},
		{"everything with alerts", func() *result.Document { d := baseDoc(); withAll(d); return d }, []Alert{{Name: "churn"}},
			[]string{"alerts", "kpis", "segments", "rfm", "value-matrix", "kpi", "pareto", "cohort", "vip", "forecast", "input"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, root := render(t, tt.doc(), Options{Alerts: tt.alerts})
			if got := sectionIDs(root); !slices.Equal(got, tt.want) {
				t.Errorf("sections = %v, want %v", got, tt.want)
			}
		})
	}
}

func TestEveryChartHasTitleAndAxisLabels(t *testing.T) {
	d := baseDoc()
	withAll(d)
	_, root := render(t, d, Options{})
	charts := 0
	walk(root, func(fig *html.Node) {
		if fig.DataAtom != atom.Figure {
			return
		}
		charts++
		id, _ := attr(fig, "id")
		var caption, svgTitle string
		labels := map[string]string{}
		ticks := 0
		walk(fig, func(n *html.Node) {
			switch {
			case n.DataAtom == atom.Figcaption:
				caption = text(n)
			case n.Data == "title" && n.Parent.Data == "svg":
				svgTitle = text(n)
			case hasClass(n, "x-axis-label"):
				labels["x"] = text(n)
			case hasClass(n, "y-axis-label"):
				labels["y"] = text(n)
			case hasClass(n, "tick"):
				ticks++
			}
		})
		if strings.TrimSpace(caption) == "" || caption != svgTitle {
			t.Errorf("chart %s: caption %q and svg title %q must be the same non-empty title", id, caption, svgTitle)
		}
		for _, ax := range []string{"x", "y"} {
			if strings.TrimSpace(labels[ax]) == "" {
				t.Errorf("chart %s: no %s axis label", id, ax)
			}
		}
		if ticks < 2 {
			t.Errorf("chart %s: %d tick labels, want at least 2", id, ticks)
		}
	})
	// segments ×2, rfm, value matrix, recency, pareto, cohort, VIP timing,
	// categories, channels, spend, forecast.
	if charts != 12 {
		t.Errorf("charts = %d, want 12", charts)
	}
}

// Units: every value axis names its unit in parentheses.
func TestAxisLabelsNameUnits(t *testing.T) {
	d := baseDoc()
	withAll(d)
	_, root := render(t, d, Options{})
	walk(root, func(n *html.Node) {
		if !hasClass(n, "x-axis-label") && !hasClass(n, "legend-title") {
			return
		}
		if s := text(n); !strings.Contains(s, "(") {
			t.Errorf("axis label %q names no unit", s)
		}
	})
}

func TestNoExternalReferences(t *testing.T) {
	d := baseDoc()
	withAll(d)
	page, root := render(t, d, Options{Previous: baseDoc(), Alerts: []Alert{{Name: "a"}}})
	for _, bad := range []string{"http:", "https:", "url(", "@import"} {
		if strings.Contains(strings.ToLower(page), bad) {
			t.Errorf("page contains %q", bad)
		}
	}
	csp := false
	walk(root, func(n *html.Node) {
		switch n.DataAtom {
		case atom.Script, atom.Link, atom.Img, atom.Iframe, atom.Object, atom.Embed, atom.Base, atom.Image, atom.Form:
			t.Errorf("page has a <%s> element", n.Data)
		case atom.Meta:
			if v, _ := attr(n, "http-equiv"); strings.EqualFold(v, "Content-Security-Policy") {
				c, _ := attr(n, "content")
				csp = strings.Contains(c, "default-src 'none'")
			}
		}
		if n.Data == "use" || n.Data == "image" || n.Data == "foreignobject" {
			t.Errorf("page has an SVG <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			k := strings.ToLower(a.Key)
			if k == "src" || k == "srcset" || k == "xlink:href" || k == "action" || strings.HasPrefix(k, "on") {
				t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
			}
			if k == "href" && !strings.HasPrefix(a.Val, "#") {
				t.Errorf("<%s href=%q> leaves the page", n.Data, a.Val)
			}
			if strings.Contains(a.Val, "//") {
				t.Errorf("<%s %s=%q> holds a URL", n.Data, a.Key, a.Val)
			}
		}
	})
	if !csp {
		t.Error("no Content-Security-Policy meta with default-src 'none'")
	}
}

func TestHostileNamesAreEscaped(t *testing.T) {
	hostile := []string{
		`<script>alert(1)</script>`,
		`"><img src=x onerror=alert(2)>`,
		`</svg><iframe src=//evil.example></iframe>`,
		`javascript:alert(3)`,
		`' onmouseover='alert(4)`,
	}
	d := baseDoc()
	withAll(d)
	for i, h := range hostile {
		d.Segments[i%len(d.Segments)].Name = h
	}
	d.Segments = append(d.Segments, result.Segment{Name: hostile[3]}, result.Segment{Name: hostile[4]})
	d.Input.Sources[0].Name = hostile[0]
	d.VIP.Profile.Categories[0].Name = hostile[1]
	d.VIP.Profile.Channels[0].Name = hostile[2]
	d.Cohort.Cohorts[0].Month = hostile[2]
	prev := baseDoc()
	prev.Segments[0].Name = hostile[0]
	page, root := render(t, d, Options{Title: hostile[0], Previous: prev, Alerts: []Alert{{Name: hostile[1], Message: hostile[2], Severity: hostile[4]}}})

	walk(root, func(n *html.Node) {
		switch n.DataAtom {
		case atom.Script, atom.Img, atom.Iframe:
			t.Errorf("hostile text became a <%s> element", n.Data)
		}
		for _, a := range n.Attr {
			if strings.HasPrefix(strings.ToLower(a.Key), "on") {
				t.Errorf("hostile text became an event handler attribute %s=%q", a.Key, a.Val)
			}
		}
	})
	// Every name must still be shown, verbatim, as text.
	all := text(root)
	for _, h := range hostile {
		if !strings.Contains(all, h) {
			t.Errorf("hostile name %q is not shown as text", h)
		}
	}
	if strings.Contains(page, "<script>alert") {
		t.Error("raw <script> in the page source")
	}
}

func TestKPITilesShowChangeSinceLastRun(t *testing.T) {
	prev := baseDoc()
	withKPI(prev, 0.25, 20)
	prev.Input.Customers = 100
	cur := baseDoc()
	withKPI(cur, 0.30, 20)
	cur.Input.Customers = 120
	_, root := render(t, cur, Options{Previous: prev})
	got := map[string][2]string{}
	walk(root, func(n *html.Node) {
		if !hasClass(n, "tile") {
			return
		}
		var label, delta, cls string
		walk(n, func(c *html.Node) {
			switch {
			case hasClass(c, "label"):
				label = text(c)
			case hasClass(c, "delta"):
				delta = text(c)
				v, _ := attr(c, "class")
				cls = strings.TrimSpace(strings.TrimPrefix(v, "delta"))
			}
		})
		got[label] = [2]string{delta, cls}
	})
	want := map[string][2]string{
		"Customers":       {"▲ +20 (+20.0 %) since last run", "good"},
		"Churn rate":      {"▲ +5.0 pp since last run", "bad"},
		"Repurchase rate": {"no change since last run", "flat"},
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("tile %s: delta %q", k, got[k])
			t.Errorf("           want %q", w)
		}
	}
}

func TestChange(t *testing.T) {
	tests := []struct {
		kind         metricKind
		cur, prev    float64
		higherBetter bool
		want, class  string
	}{
		{count, 90, 100, true, "▼ -10 (-10.0 %) since last run", "bad"},
		{count, 5, 0, true, "▲ +5 since last run", "good"},
		{count, 21624, 20512, true, "▲ +1,112 (+5.4 %) since last run", "good"},
		{money, 110, 100, true, "▲ +10.0 % since last run", "good"},
		{rate, 0.2, 0.25, false, "▼ -5.0 pp since last run", "good"},
		{rate, 0.1234, 0.1234, true, "no change since last run", "flat"},
		{rate, 0.30001, 0.3, true, "▲ 0.0 pp since last run", "good"},
		{rate, math.NaN(), 0.3, true, "", ""},
	}
	for _, tt := range tests {
		s, c := change(tt.kind, tt.cur, tt.prev, tt.higherBetter)
		if s != tt.want || c != tt.class {
			t.Errorf("change(%v, %v, %v) = %q %q, want %q %q", tt.kind, tt.cur, tt.prev, s, c, tt.want, tt.class)
		}
	}
}

func TestSegmentTableChange(t *testing.T) {
	prev := baseDoc()
	prev.Segments[1].Customers = 7
	prev.Segments[1].RevenueShare = 0.25
	prev.Segments = prev.Segments[:2] // "Lost" did not exist then
	s := segmentsSection(baseDoc(), prev)
	tbl := s.Blocks[2].Table
	want := [][]string{
		{"Champions", "5", "600.00", "60.0 %", "+0", "0.0 pp"},
		{"Loyal", "10", "300.00", "30.0 %", "+3", "+5.0 pp"},
		{"Lost", "5", "100.00", "10.0 %", "new", "new"},
	}
	for i := range want {
		if !slices.Equal(tbl.Rows[i], want[i]) {
			t.Errorf("row %d = %q, want %q", i, tbl.Rows[i], want[i])
		}
	}
}

// The RFM grid puts R5 in the top row and F1 in the left column.
func TestRFMHeatMapLayout(t *testing.T) {
	d := baseDoc()
	withRFM(d)
	h := rfmSection(d, nil).Blocks[0].Heat
	if len(h.Cells) != 25 {
		t.Fatalf("cells = %d, want 25", len(h.Cells))
	}
	first, last := h.Cells[0], h.Cells[24]
	// withRFM gives cell (r, f) 10r+f customers.
	if first.Text != "51" || !strings.HasPrefix(first.Tooltip, "R5 F1: 51 customers") {
		t.Errorf("top-left cell %q / %q, want R5 F1 with 51 customers", first.Text, first.Tooltip)
	}
	if last.Text != "15" || !strings.HasPrefix(last.Tooltip, "R1 F5: 15 customers") {
		t.Errorf("bottom-right cell %q / %q, want R1 F5 with 15 customers", last.Text, last.Tooltip)
	}
	if !(first.Y < last.Y && first.X < last.X) {
		t.Errorf("top-left at (%v,%v), bottom-right at (%v,%v)", first.X, first.Y, last.X, last.Y)
	}
	// Zero-based scale: the largest count (55, R5 F5) is darkest.
	if h.Cells[4].Fill != sequential(1) {
		t.Errorf("R5 F5 fill %s, want the darkest %s", h.Cells[4].Fill, sequential(1))
	}
}

// The Pareto curve is the Lorenz curve read from the top: (1−c, 1−r).
func TestParetoCurveFromLorenz(t *testing.T) {
	d := baseDoc()
	withAll(d)
	ch := paretoSection(d, nil).Blocks[0].Line
	// Plot area x 80..680, y 16..296: (0,0) (0.5,0.9) (1,1).
	want := "80.0,296.0 380.0,44.0 680.0,16.0"
	if ch.Lines[0].Points != want {
		t.Errorf("pareto points %q, want %q", ch.Lines[0].Points, want)
	}
	if len(ch.Markers) != 1 || math.Abs(ch.Markers[0].X-(80+0.25*600)) > 1e-9 {
		t.Errorf("marker %+v, want x at 25 %% of customers", ch.Markers)
	}
}

func TestBarWidthsProportional(t *testing.T) {
	c := newBarChart("t", "t", "x (count)", "y", []string{"a", "b", "c"}, []float64{100, 50, 0}, trimFloat, trimFloat)
	if c.Bars[0].W != c.PlotW || c.Bars[1].W != c.PlotW/2 || c.Bars[2].W != 0 {
		t.Errorf("widths %v %v %v, want %v, %v, 0", c.Bars[0].W, c.Bars[1].W, c.Bars[2].W, c.PlotW, c.PlotW/2)
	}
	if last := c.X.Ticks[len(c.X.Ticks)-1].Label; last != "100" {
		t.Errorf("last tick %q, want 100", last)
	}
}

func TestNiceTicks(t *testing.T) {
	tests := []struct {
		lo, hi float64
		n      int
		want   []float64
	}{
		{0, 373, 5, []float64{0, 100, 200, 300, 400}},
		{0, 0.477, 5, []float64{0, 0.1, 0.2, 0.3, 0.4, 0.5}},
		{0, 0, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{0, 1, 5, []float64{0, 0.2, 0.4, 0.6, 0.8, 1}},
		{0, 1200, 5, []float64{0, 250, 500, 750, 1000, 1250}},
	}
	for _, tt := range tests {
		got, top := niceTicks(tt.lo, tt.hi, tt.n)
		if !slices.EqualFunc(got, tt.want, func(a, b float64) bool { return math.Abs(a-b) < 1e-9 }) || top != tt.want[len(tt.want)-1] {
			t.Errorf("niceTicks(%v, %v) = %v (top %v), want %v", tt.lo, tt.hi, got, top, tt.want)
		}
	}
}

func TestFormat(t *testing.T) {
	tests := []struct{ got, want string }{
		{formatInt(0), "0"},
		{formatInt(999), "999"},
		{formatInt(1234567), "1,234,567"},
		{formatInt(-1234), "-1,234"},
		{formatMoney(1468626.516), "1,468,626.52"},
		{formatMoney(-0.004), "0.00"},
		{formatMoney(-12.5), "-12.50"},
		{formatPct(0.2345), "23.4 %"},
		{formatPct(0.00043), "0.04 %"},
		{formatPct(0), "0.0 %"},
		{formatCompact(1500), "1.5k"},
		{formatCompact(2000000), "2M"},
		{formatCompact(0.25), "0.25"},
		{formatPctTick(0.2), "20 %"},
	}
	for i, tt := range tests {
		if tt.got != tt.want {
			t.Errorf("case %d: %q, want %q", i, tt.got, tt.want)
		}
	}
}

func TestCohortScaleIgnoresMonthZero(t *testing.T) {
	d := baseDoc()
	withAll(d)
	h := cohortSection(d, nil).Blocks[0].Heat
	// Cells: 2025-11 month 0 (1.0) and month 1 (0.4), 2025-12 month 0.
	if len(h.Cells) != 3 {
		t.Fatalf("cells = %d, want 3", len(h.Cells))
	}
	// The scale runs 0 … 0.4, so month 1's 40 % is the darkest colour.
	if h.Cells[1].Fill != sequential(1) {
		t.Errorf("40 %% cell %s, want darkest %s", h.Cells[1].Fill, sequential(1))
	}
	if got := h.Legend[len(h.Legend)-1].Label; got != "40.0 %+" {
		t.Errorf("legend top %q, want 40.0 %%+", got)
	}
}

func TestVIPTimingGrid(t *testing.T) {
	d := baseDoc()
	withAll(d)
	var h *heatMap
	for _, b := range vipSection(d, nil).Blocks {
		if b.Heat != nil {
			h = b.Heat
		}
	}
	if h == nil || len(h.Cells) != 7*24 {
		t.Fatalf("timing grid missing or wrong size")
	}
	// Row-major Monday first: Monday 09 is cell 9, Sunday 20 is 6*24+20.
	if h.Cells[9].Tooltip != "Mon 09:00–09:59: 5 purchase lines" || h.Cells[6*24+20].Tooltip != "Sun 20:00–20:59: 2 purchase lines" {
		t.Errorf("tooltips %q, %q", h.Cells[9].Tooltip, h.Cells[6*24+20].Tooltip)
	}
}

func TestCLVPercentilesLeaveOutTheMaximum(t *testing.T) {
	d := baseDoc()
	d.CLV = &result.CLVSection{Result: clv.Result{CLVDeciles: []float64{0, 10, 20, 30, 40, 50, 60, 70, 80, 100, 5000}}}
	s := clvSection(d, nil)
	bars := s.Blocks[1].Bars
	if len(bars.Bars) != 10 || bars.Bars[9].Value != "100.00" || bars.Bars[9].W != bars.PlotW {
		t.Errorf("bars %d, last %q width %v: want 10 bars, the 90th percentile 100.00 at full width", len(bars.Bars), bars.Bars[9].Value, bars.Bars[9].W)
	}
	if !strings.Contains(s.Blocks[2].Note, "5,000.00") {
		t.Errorf("the maximum is not printed: %q", s.Blocks[2].Note)
	}
}

// Non-finite numbers (possible in a document built in memory) must never
// reach SVG attributes, where browsers reject them with console errors.
func TestNonFiniteValuesDrawNoNaN(t *testing.T) {
	d := baseDoc()
	withAll(d)
	nan, inf := math.NaN(), math.Inf(1)
	d.Segments[0].RevenueShare = nan
	d.Segments[1].Customers = 0
	d.Segments[1].Revenue = inf
	d.RFM.Heatmap[3].MeanMonetary = nan
	d.Forecast.Forecast[0].Upper = inf
	d.Forecast.History[0].Revenue = nan
	d.Cohort.Cohorts[0].Retention[1] = nan
	d.Pareto.Lorenz[1].Revenue = nan
	d.KPI.ChurnRate = nan
	_, root := render(t, d, Options{Previous: baseDoc()})
	walk(root, func(n *html.Node) {
		for _, a := range n.Attr {
			if strings.Contains(a.Val, "NaN") || strings.Contains(a.Val, "Inf") {
				t.Errorf("<%s %s=%q>", n.Data, a.Key, a.Val)
			}
		}
	})
}

func TestRenderNil(t *testing.T) {
	if err := Render(&bytes.Buffer{}, nil, Options{}); !errors.Is(err, ErrNoDocument) {
		t.Errorf("Render(nil) = %v, want ErrNoDocument", err)
	}
}

// failWriter fails every write.
type failWriter struct{}

func (failWriter) Write([]byte) (int, error) { return 0, errors.New("disk full") }

func TestRenderWriteError(t *testing.T) {
	err := Render(failWriter{}, baseDoc(), Options{})
	if err == nil || !strings.Contains(err.Error(), "disk full") {
		t.Errorf("Render to a failing writer = %v, want the write error", err)
	}
}
