package report

import (
	"math"
	"strconv"
	"strings"
)

// formatInt prints n with thousands separators: 1234567 → "1,234,567".
func formatInt(n int64) string {
	s := strconv.FormatInt(n, 10)
	neg := strings.HasPrefix(s, "-")
	if neg {
		s = s[1:]
	}
	var b strings.Builder
	for i, r := range s {
		if i > 0 && (len(s)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if neg {
		return "-" + b.String()
	}
	return b.String()
}

// formatMoney prints currency units with two decimals and separators.
func formatMoney(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return "–"
	}
	cents := int64(math.Round(math.Abs(v) * 100))
	s := formatInt(cents/100) + "." + pad2(cents%100)
	if v < 0 && cents != 0 {
		s = "-" + s
	}
	return s
}

func pad2(n int64) string {
	if n < 10 {
		return "0" + strconv.FormatInt(n, 10)
	}
	return strconv.FormatInt(n, 10)
}

// formatCompact prints a number briefly for axis ticks: 1500 → "1.5k",
// 2000000 → "2M", 0.25 → "0.25".
func formatCompact(v float64) string {
	if !finite(v) {
		return "–"
	}
	a := math.Abs(v)
	switch {
	case a >= 1e9:
		return trimFloat(v/1e9) + "G"
	case a >= 1e6:
		return trimFloat(v/1e6) + "M"
	case a >= 1e3:
		return trimFloat(v/1e3) + "k"
	}
	return trimFloat(v)
}

// trimFloat prints v with up to two decimals and no trailing zeros.
func trimFloat(v float64) string {
	if !finite(v) {
		return "–"
	}
	s := strconv.FormatFloat(v, 'f', 2, 64)
	s = strings.TrimRight(strings.TrimRight(s, "0"), ".")
	if s == "-0" {
		return "0"
	}
	return s
}

// formatPct prints a fraction as a percentage with one decimal: 0.2345 → "23.5 %".
func formatPct(f float64) string {
	if math.IsNaN(f) || math.IsInf(f, 0) {
		return "–"
	}
	prec := 1
	if p := math.Abs(f * 100); p > 0 && p < 1 {
		prec = 2 // 0.04 % rather than a misleading 0.0 %
	}
	return strconv.FormatFloat(f*100, 'f', prec, 64) + " %"
}

// formatPctTick prints a fraction as a whole percentage for axis ticks.
func formatPctTick(f float64) string { return trimFloat(f*100) + " %" }

// formatFloat prints v with two decimals and separators for the integer part.
func formatFloat(v float64) string { return formatMoney(v) }
