package report

import (
	"fmt"
	"math"
	"strings"
)

// The chart types below hold finished geometry in SVG user units; the
// templates only place it, so every coordinate is computed (and tested) in Go
// and every text reaches the page through html/template's escaping.

// Axis is the visible description of one chart axis.
type axis struct {
	Label string // what is measured and its unit, e.g. "Customers (count)"
	Ticks []tick
}

// tick is one labelled position on an axis.
type tick struct {
	Pos   float64 // SVG coordinate along the axis
	Label string
}

// barChart is a horizontal bar chart: one bar per row.
type barChart struct {
	ID, Title      string
	Width, Height  float64
	PlotX, PlotW   float64 // plot area left edge and width
	PlotY, PlotH   float64
	X              axis // value axis (bottom)
	Y              axis // category axis label (left, rotated); ticks unused
	Bars           []bar
	LabelX, ValueW float64
}

// bar is one row of a bar chart.
type bar struct {
	Label      string
	Value      string // formatted value printed after the bar
	Tooltip    string
	Y, H, W    float64
	TextY      float64
	ValueX     float64
	Fill       string
	LabelShort string
}

// newBarChart lays out rows of (label, value) with values ≥ 0; format
// prints a value and tickFmt an axis tick.
func newBarChart(id, title, xLabel, yLabel string, labels []string, values []float64, format, tickFmt func(float64) string) *barChart {
	const (
		rowH   = 26.0
		labelW = 190.0
		plotW  = 520.0
		top    = 12.0
	)
	c := &barChart{ID: id, Title: title, PlotX: labelW, PlotW: plotW, PlotY: top}
	c.PlotH = rowH * float64(len(values))
	c.Width = labelW + plotW + 90
	c.Height = top + c.PlotH + 58
	c.X.Label = xLabel
	c.Y.Label = yLabel
	maxV := 0.0
	for _, v := range values {
		if finite(v) && v > maxV {
			maxV = v
		}
	}
	ticks, hi := niceTicks(0, maxV, 5)
	for _, t := range ticks {
		c.X.Ticks = append(c.X.Ticks, tick{Pos: labelW + scale(t, 0, hi, 0, plotW), Label: tickFmt(t)})
	}
	for i, v := range values {
		y := top + float64(i)*rowH
		w := scale(math.Max(v, 0), 0, hi, 0, plotW)
		c.Bars = append(c.Bars, bar{
			Label: labels[i], LabelShort: shorten(labels[i], 26), Value: format(v),
			Tooltip: labels[i] + ": " + format(v),
			Y:       y + 4, H: rowH - 8, W: w, TextY: y + rowH/2 + 4,
			ValueX: labelW + w + 6, Fill: palette[0],
		})
	}
	return c
}

// heatMap is a grid of coloured cells with row and column labels.
type heatMap struct {
	ID, Title     string
	Width, Height float64
	PlotX, PlotY  float64
	PlotW, PlotH  float64
	X, Y          axis
	Cells         []cell
	Legend        []legendSwatch
	LegendTitle   string
	LegendY       float64
}

// cell is one heat-map cell.
type cell struct {
	X, Y, W, H   float64
	Fill         string
	Text         string // printed in the cell; empty when too small
	TextFill     string
	TX, TY       float64
	Tooltip      string
	Text2        string // optional second line
	T2Y          float64
	FontSize     float64
	HasSecondRow bool
}

// legendSwatch is one step of a heat map's colour legend.
type legendSwatch struct {
	X, Y, W float64
	Fill    string
	Label   string
	LX      float64
}

// heatInput describes a heat map before layout. Values[r][c] is NaN for a
// cell that does not exist (drawn as nothing).
type heatInput struct {
	id, title      string
	xLabel, yLabel string
	cols, rows     []string
	values         [][]float64
	text           func(r, c int, v float64) (string, string) // cell text, optional second line
	tooltip        func(r, c int, v float64) string
	legendTitle    string
	legendFmt      func(float64) string
	cellW, cellH   float64
	// zeroBased starts the colour scale at 0 (counts); scaleMax, when > 0,
	// caps it so one dominant value does not wash out the rest (larger
	// values take the darkest colour).
	zeroBased     bool
	scaleMax      float64
	rowLabelW     float64
	colLabelEvery int
}

// newHeatMap lays out a heat map; colours scale from the smallest to the
// largest finite value.
func newHeatMap(in heatInput) *heatMap {
	if in.cellW == 0 {
		in.cellW = 40
	}
	if in.cellH == 0 {
		in.cellH = 30
	}
	if in.rowLabelW == 0 {
		in.rowLabelW = 110
	}
	if in.colLabelEvery == 0 {
		in.colLabelEvery = 1
	}
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, row := range in.values {
		for _, v := range row {
			if finite(v) {
				lo, hi = math.Min(lo, v), math.Max(hi, v)
			}
		}
	}
	if math.IsInf(lo, 1) {
		lo, hi = 0, 0
	}
	if in.zeroBased {
		lo = math.Min(lo, 0)
	}
	if in.scaleMax > 0 {
		hi = in.scaleMax
	}
	h := &heatMap{ID: in.id, Title: in.title, PlotX: in.rowLabelW + 28, PlotY: 14, LegendTitle: in.legendTitle}
	h.PlotW = in.cellW * float64(len(in.cols))
	h.PlotH = in.cellH * float64(len(in.rows))
	h.X.Label, h.Y.Label = in.xLabel, in.yLabel
	for c, name := range in.cols {
		if c%in.colLabelEvery != 0 {
			continue
		}
		h.X.Ticks = append(h.X.Ticks, tick{Pos: h.PlotX + in.cellW*(float64(c)+0.5), Label: name})
	}
	for r, name := range in.rows {
		h.Y.Ticks = append(h.Y.Ticks, tick{Pos: h.PlotY + in.cellH*(float64(r)+0.5), Label: name})
	}
	fs := math.Min(12, in.cellH*0.42)
	for r, row := range in.values {
		for c, v := range row {
			if !finite(v) {
				continue
			}
			t := math.Min(1, (v-lo)/(hi-lo))
			if hi == lo {
				t = 0.5
			}
			x, y := h.PlotX+in.cellW*float64(c), h.PlotY+in.cellH*float64(r)
			ce := cell{X: x, Y: y, W: in.cellW - 1, H: in.cellH - 1, Fill: sequential(t), TextFill: "#1b1b1b", FontSize: fs}
			if t > 0.55 {
				ce.TextFill = "#ffffff"
			}
			if in.text != nil {
				ce.Text, ce.Text2 = in.text(r, c, v)
			}
			ce.TX, ce.TY = x+in.cellW/2, y+in.cellH/2+fs/3
			if ce.Text2 != "" {
				ce.HasSecondRow = true
				ce.TY = y + in.cellH/2 - 2
				ce.T2Y = y + in.cellH/2 + fs
			}
			if in.tooltip != nil {
				ce.Tooltip = in.tooltip(r, c, v)
			}
			h.Cells = append(h.Cells, ce)
		}
	}
	// Legend: its title, then five swatches from low to high, under the plot.
	h.LegendY = h.PlotY + h.PlotH + 48
	sw := 70.0
	for i := 0; i < 5; i++ {
		t := float64(i) / 4
		x := h.PlotX + float64(i)*sw
		label := in.legendFmt(lo + t*(hi-lo))
		if i == 4 && in.scaleMax > 0 {
			label += "+"
		}
		h.Legend = append(h.Legend, legendSwatch{X: x, Y: h.LegendY + 6, W: sw - 2, Fill: sequential(t), Label: label, LX: x + sw/2})
	}
	h.Width = math.Max(h.PlotX+h.PlotW+20, h.PlotX+5*sw+20)
	h.Height = h.LegendY + 44
	return h
}

// lineChart is an x/y chart with lines and optional shaded bands.
type lineChart struct {
	ID, Title     string
	Width, Height float64
	PlotX, PlotY  float64
	PlotW, PlotH  float64
	X, Y          axis
	Bands         []band
	Lines         []line
	Markers       []marker
	Legend        []legendItem
}

// line is one polyline series.
type line struct {
	Points string // "x,y x,y …" in SVG units
	Stroke string
	Dash   string
	Width  float64
}

// band is a shaded area (a prediction interval).
type band struct {
	Points string
	Fill   string
}

// marker is a labelled point.
type marker struct {
	X, Y   float64
	Label  string
	LX, LY float64
}

// legendItem names a series.
type legendItem struct {
	X, Y   float64
	Stroke string
	Dash   string
	Label  string
	IsBand bool
}

// series is data for a line chart in data units.
type series struct {
	label  string
	x, y   []float64
	stroke string
	dash   string
}

// lineInput describes a line chart before layout.
type lineInput struct {
	id, title      string
	xLabel, yLabel string
	xMin, xMax     float64
	yMin, yMax     float64 // yMax 0: from the data
	lines          []series
	bandLabel      string
	bandX          []float64
	bandLo, bandHi []float64
	xTicks         []float64 // nil: nice ticks
	xTickFmt       func(float64) string
	yTickFmt       func(float64) string
	markers        []dataMarker
}

// dataMarker is a labelled point in data units.
type dataMarker struct {
	x, y  float64
	label string
}

// newLineChart lays out a line chart.
func newLineChart(in lineInput) *lineChart {
	c := &lineChart{ID: in.id, Title: in.title, PlotX: 80, PlotY: 16, PlotW: 600, PlotH: 280}
	c.Width = c.PlotX + c.PlotW + 30
	c.Height = c.PlotY + c.PlotH + 92
	c.X.Label, c.Y.Label = in.xLabel, in.yLabel
	yMax := in.yMax
	if yMax == 0 {
		for _, s := range in.lines {
			for _, v := range s.y {
				if finite(v) {
					yMax = math.Max(yMax, v)
				}
			}
		}
		for _, v := range in.bandHi {
			if finite(v) {
				yMax = math.Max(yMax, v)
			}
		}
	}
	yTicks, yHi := niceTicks(in.yMin, yMax, 5)
	if in.yMax != 0 {
		yHi = in.yMax
	}
	xTicks := in.xTicks
	xHi := in.xMax
	if xTicks == nil {
		xTicks, xHi = niceTicks(in.xMin, in.xMax, 6)
	}
	px := func(x float64) float64 { return c.PlotX + scale(x, in.xMin, xHi, 0, c.PlotW) }
	py := func(y float64) float64 { return c.PlotY + c.PlotH - scale(y, in.yMin, yHi, 0, c.PlotH) }
	for _, t := range yTicks {
		c.Y.Ticks = append(c.Y.Ticks, tick{Pos: py(t), Label: in.yTickFmt(t)})
	}
	for _, t := range xTicks {
		c.X.Ticks = append(c.X.Ticks, tick{Pos: px(t), Label: in.xTickFmt(t)})
	}
	if len(in.bandX) > 0 {
		var b strings.Builder
		for i := range in.bandX {
			fmt.Fprintf(&b, "%.1f,%.1f ", px(in.bandX[i]), py(in.bandHi[i]))
		}
		for i := len(in.bandX) - 1; i >= 0; i-- {
			fmt.Fprintf(&b, "%.1f,%.1f ", px(in.bandX[i]), py(math.Max(in.bandLo[i], in.yMin)))
		}
		c.Bands = append(c.Bands, band{Points: strings.TrimSpace(b.String()), Fill: "#9ecae1"})
	}
	for _, s := range in.lines {
		var b strings.Builder
		for i := range s.x {
			if finite(s.x[i]) && finite(s.y[i]) {
				fmt.Fprintf(&b, "%.1f,%.1f ", px(s.x[i]), py(s.y[i]))
			}
		}
		c.Lines = append(c.Lines, line{Points: strings.TrimSpace(b.String()), Stroke: s.stroke, Dash: s.dash, Width: 2})
	}
	for _, m := range in.markers {
		x, y := px(m.x), py(m.y)
		c.Markers = append(c.Markers, marker{X: x, Y: y, Label: m.label, LX: x + 8, LY: y + 16})
	}
	ly := c.PlotY + c.PlotH + 70
	lx := c.PlotX
	for _, s := range in.lines {
		if s.label == "" {
			continue
		}
		c.Legend = append(c.Legend, legendItem{X: lx, Y: ly, Stroke: s.stroke, Dash: s.dash, Label: s.label})
		lx += 30 + 7*float64(len(s.label)) + 20
	}
	if in.bandLabel != "" {
		c.Legend = append(c.Legend, legendItem{X: lx, Y: ly, Stroke: "#9ecae1", Label: in.bandLabel, IsBand: true})
	}
	return c
}

// niceTicks returns about n evenly spaced round tick values covering
// [lo, hi] and the top tick (≥ hi), so axes end on a round number.
func niceTicks(lo, hi float64, n int) ([]float64, float64) {
	if !finite(lo) {
		lo = 0
	}
	if !finite(hi) || !(hi > lo) {
		hi = lo + 1
	}
	step := niceStep((hi - lo) / float64(n))
	start := math.Floor(lo/step) * step
	var ticks []float64
	for v := start; v < hi+step*0.999; v += step {
		// Round away accumulated float error so labels print cleanly.
		ticks = append(ticks, math.Round(v/step)*step)
	}
	return ticks, ticks[len(ticks)-1]
}

// niceStep rounds a raw step up to 1, 2, 2.5 or 5 times a power of ten.
func niceStep(raw float64) float64 {
	p := math.Pow(10, math.Floor(math.Log10(raw)))
	for _, m := range []float64{1, 2, 2.5, 5, 10} {
		if m*p >= raw*0.999999 {
			return m * p
		}
	}
	return 10 * p
}

// scale maps v from [d0, d1] to [r0, r1].
func scale(v, d0, d1, r0, r1 float64) float64 {
	// A non-finite value would print as NaN in an SVG attribute, which
	// browsers reject with a console error; draw it at the axis instead.
	if d1 == d0 || !finite(v) || !finite(d0) || !finite(d1) {
		return r0
	}
	return r0 + (v-d0)/(d1-d0)*(r1-r0)
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// palette holds the categorical colours (colour-blind friendly, Okabe–Ito).
var palette = []string{"#0072b2", "#e69f00", "#009e73", "#d55e00", "#cc79a7", "#56b4e9"}

// sequential maps t in [0, 1] to a light-to-dark blue ramp.
func sequential(t float64) string {
	t = math.Max(0, math.Min(1, t))
	lo := [3]float64{0xf1, 0xf7, 0xfd}
	hi := [3]float64{0x08, 0x30, 0x6b}
	var c [3]int
	for i := range c {
		c[i] = int(math.Round(lo[i] + t*(hi[i]-lo[i])))
	}
	return fmt.Sprintf("#%02x%02x%02x", c[0], c[1], c[2])
}

// shorten cuts s to at most n runes with an ellipsis.
func shorten(s string, n int) string {
	r := []rune(s)
	if len(r) <= n {
		return s
	}
	return string(r[:n-1]) + "…"
}
