// Package report renders a result document (analytics/result) as one
// self-contained HTML page for the people who asked for the analysis.
//
// The page has no external assets and makes no network request: CSS is
// inline, charts are inline SVG computed in Go, there is no script, and a
// Content-Security-Policy meta tag (default-src 'none') tells the browser to
// refuse anything else. Every text from the document — segment names, source
// names, category names — goes through html/template's contextual escaping.
//
// A section appears only when the document holds its data: segments, RFM heat
// map, value matrix, lifecycle transitions, CLV model, KPI tiles and recency,
// Pareto curve, cohort retention, VIP timing and preferences, basket rules,
// forecast, data quality, and firing alerts passed in by the caller. With a
// previous document (an earlier run of the same analysis), KPI tiles and
// segments show the change since that run.
package report

import (
	"bytes"
	_ "embed"
	"errors"
	"fmt"
	"html/template"
	"io"
	"math"
	"sort"
	"strings"
	"time"

	"github.com/crmlens/crmlens/analytics/cohort"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/rfm"
	"github.com/crmlens/crmlens/analytics/txn"
	"github.com/crmlens/crmlens/analytics/vip"
)

//go:embed report.html.tmpl
var pageTemplate string

var tmpl = template.Must(template.New("report").Funcs(template.FuncMap{
	"f1":  func(v float64) string { return fmt.Sprintf("%.1f", v) },
	"neg": func(v float64) float64 { return -v },
	"add": func(a, b float64) float64 { return a + b },
}).Parse(pageTemplate))

// Alert is one firing alert shown at the top of the report. The caller (the
// runner or the ReportSchedule reconciler) fills it from its alert states.
type Alert struct {
	Name      string    `json:"name"`
	Severity  string    `json:"severity,omitempty"`  // e.g. "warning", "critical"; free text
	Value     string    `json:"value,omitempty"`     // the metric's value, as evaluated
	Threshold string    `json:"threshold,omitempty"` // the rule's threshold, e.g. "> 0.25"
	Message   string    `json:"message,omitempty"`
	Since     time.Time `json:"since,omitzero"` // when it started firing; zero if unknown
}

// Options tune Render.
type Options struct {
	// Title is the page heading; "" means "crmlens report".
	Title string
	// Previous is an earlier result of the same analysis; when set, KPI tiles
	// and segments show the change since that run.
	Previous *result.Document
	// Alerts are the firing alerts to list; none means no alerts section.
	Alerts []Alert
}

// ErrNoDocument is returned when Render is given a nil document.
var ErrNoDocument = errors.New("report: no result document")

// Render writes the HTML report of doc to w.
func Render(w io.Writer, doc *result.Document, opts Options) error {
	if doc == nil {
		return ErrNoDocument
	}
	p := build(doc, opts)
	// Render into a buffer so a template error never leaves half a page.
	var buf bytes.Buffer
	if err := tmpl.Execute(&buf, p); err != nil {
		return fmt.Errorf("report: rendering the page: %w", err)
	}
	if _, err := w.Write(buf.Bytes()); err != nil {
		return fmt.Errorf("report: writing the page: %w", err)
	}
	return nil
}

// page is what the template renders.
type page struct {
	Title    string
	Meta     []kv
	PrevNote string
	Tiles    []tileView
	Alerts   []alertView
	Sections []section
}

type kv struct{ Key, Value string }

// section is one titled part of the page, listed in the table of contents.
type section struct {
	ID, Title, Intro string
	Blocks           []block
}

// block is one element of a section; exactly one field is set.
type block struct {
	Bars  *barChart
	Heat  *heatMap
	Line  *lineChart
	Table *table
	Note  string
}

// table is a plain data table. Num marks right-aligned numeric columns.
type table struct {
	Caption string
	Head    []string
	Num     []bool
	Rows    [][]string
}

// tileView is one KPI tile.
type tileView struct {
	Label, Value, Help string
	Delta, DeltaClass  string
}

type alertView struct {
	Name, Severity, Value, Threshold, Message, Since string
}

func build(doc *result.Document, opts Options) *page {
	p := &page{Title: opts.Title}
	if p.Title == "" {
		p.Title = "crmlens report"
	}
	p.Meta = meta(doc)
	if prev := opts.Previous; prev != nil {
		p.PrevNote = "Changes are against the run as of " + fmtTime(prev.Run.AsOf) + " (finished " + fmtTime(prev.Run.FinishedAt) + ")."
	}
	p.Tiles = tiles(doc, opts.Previous)
	for _, a := range opts.Alerts {
		v := alertView{Name: a.Name, Severity: a.Severity, Value: a.Value, Threshold: a.Threshold, Message: a.Message}
		if !a.Since.IsZero() {
			v.Since = fmtTime(a.Since)
		}
		p.Alerts = append(p.Alerts, v)
	}
	for _, add := range []func(*result.Document, *result.Document) *section{
		segmentsSection, rfmSection, valueMatrixSection, lifecycleSection, clvSection,
		kpiSection, paretoSection, cohortSection, vipSection, basketSection, forecastSection, inputSection,
	} {
		if s := add(doc, opts.Previous); s != nil {
			p.Sections = append(p.Sections, *s)
		}
	}
	return p
}

func meta(doc *result.Document) []kv {
	r := doc.Run
	m := []kv{{"Method", r.Method}}
	if len(r.Reports) > 0 {
		m = append(m, kv{"Reports", strings.Join(r.Reports, ", ")})
	}
	m = append(m, kv{"As of", fmtTime(r.AsOf)})
	if r.CalibrationEnd != nil {
		m = append(m, kv{"Calibration end", fmtTime(*r.CalibrationEnd)})
	}
	if !r.FinishedAt.IsZero() {
		m = append(m, kv{"Finished", fmtTime(r.FinishedAt)})
	}
	m = append(m, kv{"Duration", fmt.Sprintf("%.2f s", r.DurationSeconds)})
	var src []string
	for _, s := range doc.Input.Sources {
		n := s.Name
		if s.Channel != "" {
			n += " (" + s.Channel + ")"
		}
		src = append(src, n)
	}
	if len(src) > 0 {
		m = append(m, kv{"Sources", strings.Join(src, ", ")})
	}
	if r.Engine != "" {
		m = append(m, kv{"Engine", r.Engine})
	}
	if doc.Truncated {
		m = append(m, kv{"Truncated", strings.Join(doc.TruncatedFields, ", ") + " (cut to fit the summary size bound)"})
	}
	for _, w := range doc.Warnings {
		if w.Failed {
			m = append(m, kv{"Warning", "report " + w.Report + " not delivered: " + w.Reason})
		} else {
			m = append(m, kv{"Warning", w.Report + ": " + w.Reason})
		}
	}
	return m
}

func fmtTime(t time.Time) string {
	if t.IsZero() {
		return "–"
	}
	return t.UTC().Format("2006-01-02 15:04 UTC")
}

// metricKind decides how a change is printed.
type metricKind int

const (
	count metricKind = iota // absolute change and relative %
	money                   // relative %
	rate                    // percentage points
	plain                   // relative %
)

// tileSpec is one KPI tile before formatting.
type tileSpec struct {
	label, help  string
	kind         metricKind
	higherBetter bool
	cur          float64
	prev         *float64
}

func tiles(doc, prev *result.Document) []tileView {
	pv := func(get func(*result.Document) (float64, bool)) *float64 {
		if prev == nil {
			return nil
		}
		if v, ok := get(prev); ok {
			return &v
		}
		return nil
	}
	in := func(f func(*result.Input) float64) func(*result.Document) (float64, bool) {
		return func(d *result.Document) (float64, bool) { return f(&d.Input), true }
	}
	var specs []tileSpec
	specs = append(specs,
		tileSpec{label: "Customers", help: "customers with an accepted purchase", kind: count, higherBetter: true,
			cur: float64(doc.Input.Customers), prev: pv(in(func(i *result.Input) float64 { return float64(i.Customers) }))},
		tileSpec{label: "Transactions", help: "accepted transaction lines", kind: count, higherBetter: true,
			cur: float64(doc.Input.Transactions), prev: pv(in(func(i *result.Input) float64 { return float64(i.Transactions) }))},
		tileSpec{label: "Rejected rows", help: "rows refused by the cleaning rules", kind: count,
			cur: float64(sumRejected(&doc.Input)), prev: pv(in(func(i *result.Input) float64 { return float64(sumRejected(i)) }))},
	)
	if k := doc.KPI; k != nil {
		kp := func(f func(d *result.Document) float64) *float64 {
			return pv(func(d *result.Document) (float64, bool) {
				if d.KPI == nil {
					return 0, false
				}
				return f(d), true
			})
		}
		specs = append(specs,
			tileSpec{label: "Active customers", help: fmt.Sprintf("bought in the last %d days", k.Params.ActiveDays), kind: count, higherBetter: true,
				cur: float64(k.ActiveCustomers), prev: kp(func(d *result.Document) float64 { return float64(d.KPI.ActiveCustomers) })},
			tileSpec{label: "Churn rate", help: fmt.Sprintf("no purchase for %d days or more", k.Params.ChurnDays), kind: rate,
				cur: k.ChurnRate, prev: kp(func(d *result.Document) float64 { return d.KPI.ChurnRate })},
			tileSpec{label: "Repurchase rate", help: "customers with two or more orders", kind: rate, higherBetter: true,
				cur: k.RepurchaseRate, prev: kp(func(d *result.Document) float64 { return d.KPI.RepurchaseRate })},
			tileSpec{label: "Revenue", help: "currency units", kind: money, higherBetter: true,
				cur: k.Revenue, prev: kp(func(d *result.Document) float64 { return d.KPI.Revenue })},
			tileSpec{label: "Average order value", help: "currency units per order", kind: money, higherBetter: true,
				cur: k.AverageOrderValue, prev: kp(func(d *result.Document) float64 { return d.KPI.AverageOrderValue })},
			tileSpec{label: "Orders per customer", help: "mean orders", kind: plain, higherBetter: true,
				cur: k.OrdersPerCustomer, prev: kp(func(d *result.Document) float64 { return d.KPI.OrdersPerCustomer })},
		)
	}
	out := make([]tileView, 0, len(specs))
	for _, s := range specs {
		out = append(out, s.view())
	}
	return out
}

func sumRejected(in *result.Input) int64 {
	var n int64
	for _, v := range in.Rejected {
		n += v
	}
	return n
}

func (s tileSpec) view() tileView {
	t := tileView{Label: s.label, Help: s.help}
	switch s.kind {
	case count:
		t.Value = formatInt(int64(math.Round(s.cur)))
	case money:
		t.Value = formatMoney(s.cur)
	case rate:
		t.Value = formatPct(s.cur)
	default:
		t.Value = formatFloat(s.cur)
	}
	if s.prev == nil {
		return t
	}
	t.Delta, t.DeltaClass = change(s.kind, s.cur, *s.prev, s.higherBetter)
	return t
}

// change formats the change from prev to cur and classes it good, bad or
// flat for colouring. Rates change in percentage points; the rest by their
// relative change (and counts also by their absolute change).
func change(kind metricKind, cur, prev float64, higherBetter bool) (string, string) {
	d := cur - prev
	if !finite(d) {
		return "", ""
	}
	if math.Abs(d) < 1e-12 {
		return "no change since last run", "flat"
	}
	arrow := "▲ "
	if d < 0 {
		arrow = "▼ "
	}
	cls := "bad"
	if (d > 0) == higherBetter {
		cls = "good"
	}
	rel := ""
	if prev != 0 {
		rel = fmt.Sprintf("%+.1f %%", d/math.Abs(prev)*100)
	}
	var s string
	switch kind {
	case rate:
		s = signedPP(d)
	case count:
		s = signedInt(int64(math.Round(d)))
		if rel != "" {
			s += " (" + rel + ")"
		}
	default:
		s = rel
		if s == "" {
			s = fmt.Sprintf("%+.2f", d)
		}
	}
	return arrow + s + " since last run", cls
}

// signedInt prints n with its sign and thousands separators: "+1,112".
func signedInt(n int64) string {
	if n < 0 {
		return formatInt(n)
	}
	return "+" + formatInt(n)
}

// signedPP prints a change of a fraction in percentage points, never "-0.0".
func signedPP(d float64) string {
	v := math.Round(d*1000) / 10
	if v == 0 {
		return "0.0 pp"
	}
	return fmt.Sprintf("%+.1f pp", v)
}

func segmentsSection(doc, prev *result.Document) *section {
	if len(doc.Segments) == 0 {
		return nil
	}
	s := &section{ID: "segments", Title: "Segments", Intro: fmt.Sprintf("Customers and revenue share of each %s group, empty groups included.", methodNoun(doc.Run.Method))}
	labels := make([]string, len(doc.Segments))
	sizes := make([]float64, len(doc.Segments))
	shares := make([]float64, len(doc.Segments))
	for i, g := range doc.Segments {
		labels[i], sizes[i], shares[i] = g.Name, float64(g.Customers), g.RevenueShare
	}
	s.Blocks = append(s.Blocks,
		block{Bars: newBarChart("seg-size", "Segment size", "Customers (count)", "Segment", labels, sizes,
			func(v float64) string { return formatInt(int64(v)) }, formatCompact)},
		block{Bars: newBarChart("seg-share", "Revenue share by segment", "Share of total revenue (%)", "Segment", labels, shares,
			formatPct, formatPctTick)},
	)
	t := &table{Caption: "Segment figures", Head: []string{"Segment", "Customers", "Revenue (currency units)", "Revenue share"}, Num: []bool{false, true, true, true}}
	var old map[string]result.Segment
	if prev != nil && len(prev.Segments) > 0 {
		old = map[string]result.Segment{}
		for _, g := range prev.Segments {
			old[g.Name] = g
		}
		t.Head = append(t.Head, "Customers since last run", "Share since last run")
		t.Num = append(t.Num, true, true)
	}
	for _, g := range doc.Segments {
		row := []string{g.Name, formatInt(g.Customers), formatMoney(g.Revenue), formatPct(g.RevenueShare)}
		if old != nil {
			if o, ok := old[g.Name]; ok {
				row = append(row, signedInt(g.Customers-o.Customers), signedPP(g.RevenueShare-o.RevenueShare))
			} else {
				row = append(row, "new", "new")
			}
		}
		t.Rows = append(t.Rows, row)
	}
	s.Blocks = append(s.Blocks, block{Table: t})
	return s
}

func methodNoun(m string) string {
	switch m {
	case "rfm":
		return "RFM segment"
	case "valuematrix":
		return "value-matrix quadrant"
	case "lifecycle":
		return "lifecycle stage"
	case "kmeans":
		return "K-means cluster"
	case "clv":
		return "CLV tier"
	}
	return "segment"
}

func rfmSection(doc, _ *result.Document) *section {
	r := doc.RFM
	if r == nil || len(r.Heatmap) == 0 {
		return nil
	}
	// Rows R=5 (most recent) at the top, columns F=1…5 left to right.
	vals := make([][]float64, 5)
	means := make([][]float64, 5)
	for i := range vals {
		vals[i] = []float64{math.NaN(), math.NaN(), math.NaN(), math.NaN(), math.NaN()}
		means[i] = make([]float64, 5)
	}
	for _, c := range r.Heatmap {
		if c.R < 1 || c.R > 5 || c.F < 1 || c.F > 5 {
			continue
		}
		vals[5-c.R][c.F-1] = float64(c.Customers)
		means[5-c.R][c.F-1] = c.MeanMonetary
	}
	h := newHeatMap(heatInput{
		id: "rfm-heat", title: "RFM heat map: customers by recency and frequency score",
		xLabel: "Frequency score F (1 = fewest orders, 5 = most)", yLabel: "Recency score R (5 = most recent)",
		cols: []string{"F1", "F2", "F3", "F4", "F5"}, rows: []string{"R5", "R4", "R3", "R2", "R1"},
		values: vals, cellW: 96, cellH: 54, rowLabelW: 60, zeroBased: true,
		text: func(ri, ci int, v float64) (string, string) {
			return formatInt(int64(v)), "⌀ " + formatCompact(means[ri][ci])
		},
		tooltip: func(ri, ci int, v float64) string {
			return fmt.Sprintf("R%d F%d: %s customers, mean revenue %s", 5-ri, ci+1, formatInt(int64(v)), formatMoney(means[ri][ci]))
		},
		legendTitle: "Customers (count)", legendFmt: func(v float64) string { return formatInt(int64(math.Round(v))) },
	})
	s := &section{ID: "rfm", Title: "RFM heat map", Intro: "Each cell counts the customers with that recency and frequency score; the second line is their mean revenue (currency units)."}
	s.Blocks = append(s.Blocks, block{Heat: h})
	if len(r.Bounds.Recency) > 0 {
		t := &table{Caption: "Value range behind each score", Head: []string{"Score", "Recency (days)", "Frequency (orders)", "Monetary (currency units)"}, Num: []bool{false, true, true, true}}
		for sc := uint8(1); sc <= 5; sc++ {
			t.Rows = append(t.Rows, []string{fmt.Sprint(sc), rangeOf(r.Bounds.Recency, sc, trimFloat), rangeOf(r.Bounds.Frequency, sc, trimFloat), rangeOf(r.Bounds.Monetary, sc, formatMoney)})
		}
		s.Blocks = append(s.Blocks, block{Table: t})
	}
	return s
}

func rangeOf(rs []rfm.Range, score uint8, f func(float64) string) string {
	for _, r := range rs {
		if r.Score == score {
			return f(r.Min) + " – " + f(r.Max)
		}
	}
	return "–"
}

func valueMatrixSection(doc, _ *result.Document) *section {
	vm := doc.ValueMatrix
	if vm == nil || len(vm.Quadrants) == 0 {
		return nil
	}
	byName := map[string]int{}
	for i, q := range vm.Quadrants {
		byName[q.Name] = i
	}
	// Top row: high AOV (Spender, Best); bottom: low AOV (Uncertain, Frequent).
	layout := [2][2]string{{"Spender", "Best"}, {"Uncertain", "Frequent"}}
	vals := [][]float64{{math.NaN(), math.NaN()}, {math.NaN(), math.NaN()}}
	for r := range layout {
		for c, name := range layout[r] {
			if i, ok := byName[name]; ok {
				vals[r][c] = vm.Quadrants[i].RevenueShare
			}
		}
	}
	h := newHeatMap(heatInput{
		id: "value-matrix", title: "Customer value matrix",
		xLabel: "Purchase frequency (orders per customer)",
		yLabel: "AOV (currency units)",
		cols:   []string{"low: ≤ " + trimFloat(vm.FrequencyThreshold) + " orders", "high: > " + trimFloat(vm.FrequencyThreshold) + " orders"},
		rows:   []string{"high: > " + formatMoney(vm.AOVThreshold), "low: ≤ " + formatMoney(vm.AOVThreshold)},
		values: vals, cellW: 230, cellH: 90, rowLabelW: 110, zeroBased: true,
		text: func(r, c int, v float64) (string, string) {
			q := vm.Quadrants[byName[layout[r][c]]]
			return q.Name + ": " + formatInt(q.Customers) + " customers", formatPct(v) + " of revenue"
		},
		tooltip: func(r, c int, v float64) string {
			q := vm.Quadrants[byName[layout[r][c]]]
			return fmt.Sprintf("%s: mean AOV %s, mean orders %s", q.Name, formatMoney(q.MeanAOV), trimFloat(q.MeanFrequency))
		},
		legendTitle: "Revenue share (%)", legendFmt: formatPct,
	})
	return &section{ID: "value-matrix", Title: "Value matrix", Intro: fmt.Sprintf("Average order value (AOV) against purchase frequency, split at the thresholds shown (source: %s); colour is the quadrant's share of revenue.", vm.ThresholdSource),
		Blocks: []block{{Heat: h}}}
}

func lifecycleSection(doc, _ *result.Document) *section {
	l := doc.Lifecycle
	if l == nil || len(l.Transitions) == 0 {
		return nil
	}
	t := &table{Caption: "Customers moving between stages since the previous assignment", Head: []string{"From", "To", "Customers"}, Num: []bool{false, false, true}}
	for _, tr := range l.Transitions {
		t.Rows = append(t.Rows, []string{string(tr.From), string(tr.To), formatInt(tr.Customers)})
	}
	return &section{ID: "lifecycle", Title: "Lifecycle transitions", Intro: "“none” means not a customer at that time.", Blocks: []block{{Table: t}}}
}

func clvSection(doc, _ *result.Document) *section {
	c := doc.CLV
	if c == nil {
		return nil
	}
	t := &table{Caption: "Fitted models", Head: []string{"Model", "Parameters", "Log-likelihood"}, Num: []bool{false, false, true}}
	t.Rows = append(t.Rows,
		[]string{"BG/NBD (purchases, dropout)", fmt.Sprintf("r = %.4f, α = %.4f, a = %.4f, b = %.4f", c.BGNBD.R, c.BGNBD.Alpha, c.BGNBD.A, c.BGNBD.B), fmt.Sprintf("%.2f", c.BGNBD.LogLikelihood)},
		[]string{"Gamma-Gamma (spend per order)", fmt.Sprintf("p = %.4f, q = %.4f, γ = %.4f", c.GammaGamma.P, c.GammaGamma.Q, c.GammaGamma.Gamma), fmt.Sprintf("%.2f", c.GammaGamma.LogLikelihood)},
	)
	s := &section{ID: "clv", Title: "Customer lifetime value", Intro: fmt.Sprintf("%s customers scored (%s repeat customers), horizon %s %ss. Total predicted value %s, mean %s currency units.",
		formatInt(int64(c.Customers)), formatInt(int64(c.RepeatCustomers)), trimFloat(c.Horizon), c.Unit, formatMoney(c.TotalCLV), formatMoney(c.MeanCLV))}
	s.Blocks = append(s.Blocks, block{Table: t})
	if len(c.CLVDeciles) == 11 {
		// The maximum is left out of the bars: one outlier would flatten
		// the rest. It is printed instead.
		labels := []string{"min", "10th", "20th", "30th", "40th", "50th (median)", "60th", "70th", "80th", "90th"}
		vals := make([]float64, 10)
		for i := range vals {
			vals[i] = math.Max(c.CLVDeciles[i], 0)
		}
		s.Blocks = append(s.Blocks,
			block{Bars: newBarChart("clv-deciles", "Predicted CLV by percentile", "Predicted customer lifetime value (currency units)", "Percentile of customers", labels, vals, formatMoney, formatCompact)},
			block{Note: "Highest predicted value: " + formatMoney(c.CLVDeciles[10]) + " currency units."})
	}
	return s
}

func kpiSection(doc, _ *result.Document) *section {
	k := doc.KPI
	if k == nil {
		return nil
	}
	s := &section{ID: "kpi", Title: "Recency and campaigns", Intro: "How long ago customers last bought (the KPI tiles above hold the headline figures)."}
	if len(k.RecencyDistribution) > 0 {
		var labels []string
		var vals []float64
		for _, b := range k.RecencyDistribution {
			labels = append(labels, b.Label+" days")
			vals = append(vals, float64(b.Customers))
		}
		s.Blocks = append(s.Blocks, block{Bars: newBarChart("recency", "Recency distribution", "Customers (count)", "Days since last purchase", labels, vals,
			func(v float64) string { return formatInt(int64(v)) }, formatCompact)})
	}
	if c := k.Campaign; c != nil {
		t := &table{Caption: "Campaign response", Head: []string{"Measure", "Value"}, Num: []bool{false, true}}
		t.Rows = [][]string{
			{"Contacts", formatInt(c.Contacts)}, {"Contacted customers", formatInt(c.ContactedCustomers)},
			{"Responses", formatInt(c.Responses)}, {"Response rate", formatPct(c.ResponseRate)},
			{"Cost (currency units)", formatMoney(c.Cost)}, {"Attributed revenue (currency units)", formatMoney(c.AttributedRevenue)},
		}
		if c.ROI != nil {
			t.Rows = append(t.Rows, []string{"ROI", formatPct(*c.ROI)})
		}
		s.Blocks = append(s.Blocks, block{Table: t})
	}
	return s
}

func paretoSection(doc, _ *result.Document) *section {
	p := doc.Pareto
	if p == nil {
		return nil
	}
	s := &section{ID: "pareto", Title: "Pareto curve"}
	if !p.Defined || len(p.Lorenz) < 2 {
		s.Blocks = []block{{Note: "Not defined: total revenue is zero or negative."}}
		return s
	}
	s.Intro = fmt.Sprintf("%s of customers (%s) bring %s of revenue. Gini coefficient %.3f.",
		formatPct(p.CustomerShare), formatInt(p.TopCustomers), formatPct(p.RevenueShare), p.Gini)
	// The Lorenz curve ranks customers from lowest revenue; the Pareto curve
	// is the same curve read from the top: (1 − c, 1 − r), highest first.
	n := len(p.Lorenz)
	xs, ys := make([]float64, n), make([]float64, n)
	for i := range p.Lorenz {
		pt := p.Lorenz[n-1-i]
		xs[i], ys[i] = 1-pt.Customers, 1-pt.Revenue
	}
	ch := newLineChart(lineInput{
		id: "pareto-curve", title: "Pareto curve: cumulative revenue share of the top customers",
		xLabel: "Share of customers, highest revenue first (%)", yLabel: "Cumulative share of revenue (%)",
		xMin: 0, xMax: 1, yMin: 0, yMax: 1,
		lines: []series{
			{label: "customers ranked by revenue", x: xs, y: ys, stroke: palette[0]},
			{label: "equal revenue per customer", x: []float64{0, 1}, y: []float64{0, 1}, stroke: "#888888", dash: "5,4"},
		},
		xTicks:   []float64{0, 0.2, 0.4, 0.6, 0.8, 1},
		xTickFmt: formatPctTick, yTickFmt: formatPctTick,
		markers: []dataMarker{{x: p.CustomerShare, y: p.RevenueShare, label: fmt.Sprintf("%s → %s", formatPct(p.CustomerShare), formatPct(p.RevenueShare))}},
	})
	s.Blocks = append(s.Blocks, block{Line: ch})
	if len(p.TopShares) > 0 {
		t := &table{Caption: "Revenue share of the top customers", Head: []string{"Top customers", "Customers", "Revenue share"}, Num: []bool{false, true, true}}
		for _, ts := range p.TopShares {
			t.Rows = append(t.Rows, []string{formatPct(ts.CustomerShare), formatInt(ts.Customers), formatPct(ts.RevenueShare)})
		}
		s.Blocks = append(s.Blocks, block{Table: t})
	}
	return s
}

// maxCohortRows bounds the retention grid so it stays readable.
const maxCohortRows = 36

func cohortSection(doc, _ *result.Document) *section {
	c := doc.Cohort
	if c == nil || len(c.Cohorts) == 0 {
		return nil
	}
	cohorts := c.Cohorts
	s := &section{ID: "cohort", Title: "Cohort retention", Intro: "Share of each monthly acquisition cohort that bought again k months after its first month. Month 0 is the first purchase month (100 % by definition); the colour scale is set by the later months."}
	if len(cohorts) > maxCohortRows {
		s.Intro += fmt.Sprintf(" Showing the newest %d of %d cohorts.", maxCohortRows, len(cohorts))
		cohorts = cohorts[len(cohorts)-maxCohortRows:]
	}
	width := 0
	for _, co := range cohorts {
		width = max(width, len(co.Retention))
	}
	rows := make([]string, len(cohorts))
	cols := make([]string, width)
	for k := range cols {
		cols[k] = fmt.Sprint(k)
	}
	vals := make([][]float64, len(cohorts))
	for i, co := range cohorts {
		rows[i] = fmt.Sprintf("%s (%s)", co.Month, formatInt(co.Customers))
		vals[i] = make([]float64, width)
		for k := range vals[i] {
			vals[i][k] = math.NaN()
			if k < len(co.Retention) && co.Customers > 0 {
				vals[i][k] = co.Retention[k]
			}
		}
	}
	cellW := math.Max(22, math.Min(44, 640/float64(max(width, 1))))
	h := newHeatMap(heatInput{
		id: "cohort-retention", title: "Cohort retention by months since first purchase",
		xLabel: "Time since first purchase (months)", yLabel: "Cohort (first purchase month, customers)",
		cols: cols, rows: rows, values: vals, cellW: cellW, cellH: 20, rowLabelW: 130,
		zeroBased: true, scaleMax: laterMax(cohorts),
		colLabelEvery: int(math.Ceil(24 / cellW)),
		text: func(_, k int, v float64) (string, string) {
			if cellW < 34 || k == 0 {
				return "", ""
			}
			return fmt.Sprintf("%.0f", v*100), ""
		},
		tooltip: func(r, k int, v float64) string {
			return fmt.Sprintf("cohort %s, month %d: %s retained", cohorts[r].Month, k, formatPct(v))
		},
		legendTitle: "Customers retained (%)", legendFmt: formatPct,
	})
	s.Blocks = append(s.Blocks, block{Heat: h})
	return s
}

// laterMax is the highest retention after month 0; month 0 is 100 % by
// definition and would wash out the colour scale.
func laterMax(cohorts []cohort.Cohort) float64 {
	m := 0.0
	for _, c := range cohorts {
		for k := 1; k < len(c.Retention); k++ {
			m = math.Max(m, c.Retention[k])
		}
	}
	return m
}

var weekdays = []string{"Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"}

func vipSection(doc, _ *result.Document) *section {
	v := doc.VIP
	if v == nil {
		return nil
	}
	s := &section{ID: "vip", Title: "VIP report", Intro: fmt.Sprintf("%s VIPs of %s customers (by %s; entry bar %s) bring %s of value (%s currency units).",
		formatInt(int64(v.VIPs)), formatInt(int64(v.Customers)), orDefault(v.ValueBasis, "revenue"), formatMoney(v.MinValue), formatPct(v.ValueShare), formatMoney(v.Value))}
	if d := v.Drops; d != nil {
		s.Blocks = append(s.Blocks, block{Note: fmt.Sprintf("Activity drop: %d of %d judged VIPs dropped against their own baseline (%d by purchase frequency, %d by spend).",
			d.Flagged, d.Judged, d.FrequencyFlag, d.SpendFlag)})
	}
	if pr := v.Profile; pr != nil {
		vals := make([][]float64, 7)
		for d := range 7 {
			vals[d] = make([]float64, 24)
			for h := range 24 {
				vals[d][h] = float64(pr.WeekdayHour[d][h])
			}
		}
		hours := make([]string, 24)
		for h := range hours {
			hours[h] = fmt.Sprintf("%02d", h)
		}
		s.Blocks = append(s.Blocks, block{Heat: newHeatMap(heatInput{
			id: "vip-timing", title: "When VIPs buy: purchases by weekday and hour",
			xLabel: "Hour of day (00–23, in the transactions' time zone)", yLabel: "Weekday",
			cols: hours, rows: weekdays, values: vals, cellW: 27, cellH: 26, rowLabelW: 40, zeroBased: true,
			tooltip: func(r, c int, v float64) string {
				return fmt.Sprintf("%s %02d:00–%02d:59: %s purchase lines", weekdays[r], c, c, formatInt(int64(v)))
			},
			legendTitle: "Purchase lines (count)", legendFmt: func(v float64) string { return formatInt(int64(math.Round(v))) },
		})})
		for _, part := range []struct {
			id, title, axis string
			shares          []barData
		}{
			{"vip-categories", "VIP revenue by category", "Category", sharesOf(pr.Categories)},
			{"vip-channels", "VIP revenue by channel", "Channel", sharesOf(pr.Channels)},
		} {
			if len(part.shares) == 0 {
				continue
			}
			list := part.shares
			if len(list) > 15 {
				list = list[:15]
			}
			labels, vals := make([]string, len(list)), make([]float64, len(list))
			for i, sh := range list {
				labels[i], vals[i] = sh.name, sh.share
			}
			s.Blocks = append(s.Blocks, block{Bars: newBarChart(part.id, part.title, "Share of VIP revenue (%)", part.axis, labels, vals, formatPct, formatPctTick)})
		}
		if len(pr.SpendBuckets) > 0 {
			labels, vals := make([]string, len(pr.SpendBuckets)), make([]float64, len(pr.SpendBuckets))
			for i, b := range pr.SpendBuckets {
				if b.Open {
					labels[i] = formatCompact(b.Lower) + " or more"
				} else {
					labels[i] = formatCompact(b.Lower) + " to under " + formatCompact(b.Upper)
				}
				vals[i] = float64(b.Count)
			}
			s.Blocks = append(s.Blocks, block{Bars: newBarChart("vip-spend", "VIP purchase lines by amount", "Purchase lines (count)", "Line amount (currency units)", labels, vals,
				func(v float64) string { return formatInt(int64(v)) }, formatCompact)})
		}
	} else if v.ProfileSkipped != "" {
		s.Blocks = append(s.Blocks, block{Note: "No purchase profile: " + v.ProfileSkipped})
	}
	return s
}

// barData is one labelled value of a bar chart.
type barData struct {
	name  string
	share float64
}

func sharesOf(in []vip.Share) []barData {
	out := make([]barData, 0, len(in))
	for _, s := range in {
		out = append(out, barData{s.Name, s.Share})
	}
	return out
}

func orDefault(s, d string) string {
	if s == "" {
		return d
	}
	return s
}

// maxRules bounds the basket rules table.
const maxRules = 20

func basketSection(doc, _ *result.Document) *section {
	b := doc.Basket
	if b == nil {
		return nil
	}
	s := &section{ID: "basket", Title: "Product associations", Intro: fmt.Sprintf("%s baskets, %s distinct %ss; rules with the highest lift first.", formatInt(int64(b.Baskets)), formatInt(int64(b.Items)), orDefault(b.Item, "item"))}
	if len(b.Rules) == 0 {
		s.Blocks = []block{{Note: "No rule reached the support, confidence and lift thresholds."}}
		return s
	}
	t := &table{Caption: "Association rules", Head: []string{"If a basket holds", "it also holds", "Baskets", "Support", "Confidence", "Lift"}, Num: []bool{false, false, true, true, true, true}}
	for i, r := range b.Rules {
		if i == maxRules {
			break
		}
		t.Rows = append(t.Rows, []string{strings.Join(r.Antecedent, " + "), strings.Join(r.Consequent, " + "), formatInt(int64(r.Count)), formatPct(r.Support), formatPct(r.Confidence), fmt.Sprintf("%.2f", r.Lift)})
	}
	s.Blocks = append(s.Blocks, block{Table: t})
	return s
}

func forecastSection(doc, _ *result.Document) *section {
	f := doc.Forecast
	if f == nil || len(f.Forecast) == 0 {
		return nil
	}
	layout := "2006-01-02"
	if f.Unit == "month" {
		layout = "2006-01"
	}
	var hx, hy []float64
	var labels []string
	for i, h := range f.History {
		hx, hy = append(hx, float64(i)), append(hy, h.Revenue)
		labels = append(labels, h.Start.Format(layout))
	}
	n := len(f.History)
	var fx, fy, lo, hi []float64
	// Join the forecast line to the last observed point so the two read as one.
	if n > 0 {
		fx, fy = append(fx, float64(n-1)), append(fy, f.History[n-1].Revenue)
		lo, hi = append(lo, f.History[n-1].Revenue), append(hi, f.History[n-1].Revenue)
	}
	for i, p := range f.Forecast {
		x := float64(n + i)
		fx, fy, lo, hi = append(fx, x), append(fy, p.Value), append(lo, p.Lower), append(hi, p.Upper)
		if p.Start.IsZero() {
			labels = append(labels, fmt.Sprintf("+%d", p.Step))
		} else {
			labels = append(labels, p.Start.Format(layout))
		}
	}
	bx := fx
	total := len(labels)
	every := int(math.Ceil(float64(total) / 8))
	var ticks []float64
	for i := 0; i < total; i += every {
		ticks = append(ticks, float64(i))
	}
	unit := orDefault(f.Unit, "step")
	ch := newLineChart(lineInput{
		id: "forecast", title: fmt.Sprintf("Revenue per %s: history and forecast", unit),
		xLabel: fmt.Sprintf("%s (start of %s)", strings.ToUpper(unit[:1])+unit[1:], unit), yLabel: fmt.Sprintf("Revenue per %s (currency units)", unit),
		xMin: 0, xMax: float64(max(total-1, 1)), yMin: 0,
		lines: []series{
			{label: "actual", x: hx, y: hy, stroke: palette[0]},
			{label: "forecast", x: fx, y: fy, stroke: palette[3], dash: "6,4"},
		},
		bandLabel: fmt.Sprintf("%.0f %% prediction interval", f.Level*100), bandX: bx, bandLo: lo, bandHi: hi,
		xTicks: ticks, xTickFmt: func(v float64) string {
			i := int(math.Round(v))
			if i >= 0 && i < len(labels) {
				return labels[i]
			}
			return ""
		},
		yTickFmt: formatCompact,
	})
	model := fmt.Sprintf("Holt-Winters (%s seasonality, period %d %ss)", f.Seasonality, f.Period, unit)
	if f.Seasonality == "none" {
		model = "Holt linear trend (no seasonal component)"
		if f.Fallback != "" {
			model += ", the fallback for a series shorter than two seasons,"
		}
	}
	s := &section{ID: "forecast", Title: "Forecast", Intro: fmt.Sprintf("%s fitted on %d points; in-sample RMSE %s.", model, f.Points, formatMoney(f.RMSE))}
	if f.Holdout != nil {
		s.Intro += fmt.Sprintf(" Forecasting the last %d %ss from the rest: MAPE %s, RMSE %s.", f.Holdout.Steps, unit, formatPct(f.Holdout.MAPE), formatMoney(f.Holdout.RMSE))
	}
	if len(f.Degenerate) > 0 {
		s.Intro += " Degenerate fit, not a plain forecast: " + strings.Join(f.Degenerate, "; ") + "."
	}
	s.Blocks = append(s.Blocks, block{Line: ch})
	t := &table{Caption: "Forecast values (currency units)", Head: []string{strings.ToUpper(unit[:1]) + unit[1:], "Forecast", "Lower", "Upper"}, Num: []bool{false, true, true, true}}
	for i, p := range f.Forecast {
		t.Rows = append(t.Rows, []string{labels[n+i], formatMoney(p.Value), formatMoney(p.Lower), formatMoney(p.Upper)})
	}
	s.Blocks = append(s.Blocks, block{Table: t})
	return s
}

func inputSection(doc, _ *result.Document) *section {
	in := doc.Input
	s := &section{ID: "input", Title: "Data quality", Intro: fmt.Sprintf("%s rows read, %s transactions accepted, %s customers.", formatInt(in.Rows), formatInt(in.Transactions), formatInt(in.Customers))}
	if len(in.Rejected) == 0 {
		s.Blocks = []block{{Note: "No row was rejected."}}
		return s
	}
	reasons := make([]string, 0, len(in.Rejected))
	for r := range in.Rejected {
		reasons = append(reasons, string(r))
	}
	sort.Strings(reasons)
	t := &table{Caption: "Rejected rows by reason", Head: []string{"Reason", "Rows", "Share of rows read"}, Num: []bool{false, true, true}}
	for _, r := range reasons {
		n := in.Rejected[txn.RejectReason(r)]
		share := 0.0
		if in.Rows > 0 {
			share = float64(n) / float64(in.Rows)
		}
		t.Rows = append(t.Rows, []string{r, formatInt(n), formatPct(share)})
	}
	s.Blocks = append(s.Blocks, block{Table: t})
	return s
}
