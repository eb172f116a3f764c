package input

import (
	"errors"
	"fmt"
	"strings"
	"time"
)

var (
	errTimeEmpty  = errors.New("empty timestamp")
	errTimeFormat = errors.New("unrecognised timestamp layout")
	errTimeRange  = errors.New("timestamp field out of range")
	// errTimeNoOffset is a date-time without zone under the RFC3339 layout.
	errTimeNoOffset = errors.New("timestamp has no zone offset (layout RFC3339 wants Z or ±hh:mm)")
)

// Named layouts: besides Go reference layouts, TimeParser.Layout (and
// Options.TimeLayout, the DataSource's timestamp.layout, the CLI's
// --time-layout) accepts these names, matched exactly.
const (
	// LayoutRFC3339 is an RFC 3339 date-time with a zone offset (Z or ±hh:mm),
	// optional fractional seconds; a space or 't' may replace the 'T', a comma
	// the decimal point (what the auto-detecting fast path accepts with an
	// offset). Values without an offset are refused.
	LayoutRFC3339 = "RFC3339"
	// LayoutRFC3339Nano is accepted as a synonym of LayoutRFC3339 (fractions
	// are always allowed), for those who write Go's constant name.
	LayoutRFC3339Nano = "RFC3339Nano"
	// LayoutUnix is an integer count of seconds since 1970-01-01 UTC (an
	// optional leading '-'; at most 12 digits).
	LayoutUnix = "Unix"
	// LayoutUnixMilli is an integer count of milliseconds since 1970-01-01 UTC
	// (an optional leading '-'; at most 15 digits).
	LayoutUnixMilli = "UnixMilli"
	// LayoutAuto detects the layout per value, as an empty layout does (see
	// TimeParser.Parse): the API's default, so that a DataSource which sets
	// only a time zone reads offset-less local times in that zone.
	LayoutAuto = "Auto"
)

// namedLayouts lists the names, for error messages and case checks.
var namedLayouts = []string{LayoutAuto, LayoutRFC3339, LayoutRFC3339Nano, LayoutUnix, LayoutUnixMilli}

// checkLayout refuses a name written in the wrong case ("rfc3339" would
// otherwise be taken as a Go layout that matches no timestamp) and a layout
// without any time element, which could never parse a row.
func checkLayout(layout string) error {
	if layout == "" {
		return nil
	}
	for _, n := range namedLayouts {
		if layout == n {
			return nil
		}
		if strings.EqualFold(layout, n) {
			return fmt.Errorf("time layout %q: did you mean %q? (names are case-sensitive)", layout, n)
		}
	}
	// A Go layout must name at least a year, a month or a day, else every
	// row fails with the same error at run time.
	for _, elem := range []string{"2006", "06", "01", "1", "Jan", "02", "2", "_2", "002", "15", "03", "3", "04", "05"} {
		if strings.Contains(layout, elem) {
			return nil
		}
	}
	return fmt.Errorf("time layout %q: not a Go reference layout (such as 2006-01-02 15:04:05) nor one of %s",
		layout, strings.Join(namedLayouts, ", "))
}

// TimeParser parses timestamps of one source. The zero value auto-detects
// layouts in UTC.
type TimeParser struct {
	// Layout is "" or LayoutAuto to auto-detect, one of the named layouts (LayoutRFC3339,
	// LayoutUnix, LayoutUnixMilli, …) or a Go reference layout.
	Layout   string
	Location *time.Location // zone for timestamps without one; nil = UTC
}

// Parse reads one timestamp. With an empty Layout it accepts, per value:
//
//	2006-01-02T15:04:05[.999999999](Z|±07:00)  RFC 3339 (a space may replace T, a comma the point)
//	2006-01-02 15:04:05 / 2006-01-02T15:04:05  local time in Location
//	2006-01-02                                 midnight in Location
//	20060102                                   midnight in Location (8 digits are always a date)
//	1700000000                                 Unix seconds (1–11 digits, optional '-')
//
// The common layouts, and the named layouts, are parsed by hand from bytes:
// time.Parse is several times slower and would need a string per row.
func (p TimeParser) Parse(b []byte) (time.Time, error) {
	b = trimSpace(b)
	if len(b) == 0 {
		return time.Time{}, errTimeEmpty
	}
	if p.Layout != "" && p.Layout != LayoutAuto {
		return p.parseLayout(b)
	}
	if allDigits(b) || (b[0] == '-' && len(b) > 1 && allDigits(b[1:])) {
		if len(b) == 8 && b[0] != '-' {
			y, m, d := num(b[0:4]), num(b[4:6]), num(b[6:8])
			return p.civil(y, m, d, 0, 0, 0, 0)
		}
		n, ok := signedNum(b, 12)
		if !ok {
			return time.Time{}, errTimeRange
		}
		return time.Unix(n, 0).In(p.loc()), nil
	}
	return p.dateTime(b, false)
}

// parseLayout parses b (trimmed, not empty) with a named or Go layout.
func (p TimeParser) parseLayout(b []byte) (time.Time, error) {
	switch p.Layout {
	case LayoutRFC3339, LayoutRFC3339Nano:
		return p.dateTime(b, true)
	case LayoutUnix, LayoutUnixMilli:
		if !allDigits(b) && (b[0] != '-' || len(b) == 1 || !allDigits(b[1:])) {
			return time.Time{}, errTimeFormat
		}
		if p.Layout == LayoutUnix {
			n, ok := signedNum(b, 12)
			if !ok {
				return time.Time{}, errTimeRange
			}
			return time.Unix(n, 0).In(p.loc()), nil
		}
		n, ok := signedNum(b, 15)
		if !ok {
			return time.Time{}, errTimeRange
		}
		return time.UnixMilli(n).In(p.loc()), nil
	}
	t, err := time.ParseInLocation(p.Layout, string(b), p.loc())
	if err != nil {
		return time.Time{}, errTimeFormat
	}
	return t, nil
}

// signedNum reads an integer of digits (an optional '-' then at most max
// digits, already checked to be digits); false when there are more.
func signedNum(b []byte, maxDigits int) (int64, bool) {
	neg := b[0] == '-'
	if neg {
		b = b[1:]
	}
	if len(b) > maxDigits {
		return 0, false
	}
	n := int64(0)
	for _, c := range b {
		n = n*10 + int64(c-'0')
	}
	if neg {
		n = -n
	}
	return n, true
}

// dateTime reads the ISO 8601 forms of the auto-detection (date, date and
// time, RFC 3339); with offset only date-times with a zone offset.
func (p TimeParser) dateTime(b []byte, offset bool) (time.Time, error) {
	if len(b) < 10 || b[4] != '-' || b[7] != '-' || !digitsAt(b, 0, 4) || !digitsAt(b, 5, 2) || !digitsAt(b, 8, 2) {
		return time.Time{}, errTimeFormat
	}
	y, m, d := num(b[0:4]), num(b[5:7]), num(b[8:10])
	if len(b) == 10 && !offset {
		return p.civil(y, m, d, 0, 0, 0, 0)
	}
	if len(b) < 19 || (b[10] != 'T' && b[10] != ' ' && b[10] != 't') || b[13] != ':' || b[16] != ':' ||
		!digitsAt(b, 11, 2) || !digitsAt(b, 14, 2) || !digitsAt(b, 17, 2) {
		return time.Time{}, errTimeFormat
	}
	hh, mm, ss := num(b[11:13]), num(b[14:16]), num(b[17:19])
	rest := b[19:]
	ns := 0
	if len(rest) > 0 && (rest[0] == '.' || rest[0] == ',') { // ISO 8601 allows a decimal comma
		k := 1
		scale := 100000000
		for k < len(rest) && rest[k] >= '0' && rest[k] <= '9' {
			ns += int(rest[k]-'0') * scale // digits beyond nanoseconds add 0
			scale /= 10
			k++
		}
		if k == 1 {
			return time.Time{}, errTimeFormat
		}
		rest = rest[k:]
	}
	if len(rest) == 0 {
		if offset {
			return time.Time{}, errTimeNoOffset
		}
		return p.civil(y, m, d, hh, mm, ss, ns)
	}
	var off int
	switch {
	case len(rest) == 1 && (rest[0] == 'Z' || rest[0] == 'z'):
	case len(rest) == 6 && (rest[0] == '+' || rest[0] == '-') && rest[3] == ':' && digitsAt(rest, 1, 2) && digitsAt(rest, 4, 2):
		oh, om := num(rest[1:3]), num(rest[4:6])
		if oh > 23 || om > 59 {
			return time.Time{}, errTimeRange
		}
		off = (oh*60 + om) * 60
		if rest[0] == '-' {
			off = -off
		}
	default:
		return time.Time{}, errTimeFormat
	}
	if !validCivil(y, m, d, hh, mm, ss) {
		return time.Time{}, errTimeRange
	}
	unix := daysFromCivil(y, m, d)*86400 + int64(hh*3600+mm*60+ss) - int64(off)
	return time.Unix(unix, int64(ns)).In(p.loc()), nil
}

func (p TimeParser) loc() *time.Location {
	if p.Location == nil {
		return time.UTC
	}
	return p.Location
}

// civil builds a wall-clock time in the parser's location.
func (p TimeParser) civil(y, m, d, hh, mm, ss, ns int) (time.Time, error) {
	if !validCivil(y, m, d, hh, mm, ss) {
		return time.Time{}, errTimeRange
	}
	if p.Location == nil || p.Location == time.UTC {
		return time.Unix(daysFromCivil(y, m, d)*86400+int64(hh*3600+mm*60+ss), int64(ns)).UTC(), nil
	}
	return time.Date(y, time.Month(m), d, hh, mm, ss, ns, p.Location), nil
}

func validCivil(y, m, d, hh, mm, ss int) bool {
	if m < 1 || m > 12 || d < 1 || hh > 23 || mm > 59 || ss > 60 {
		return false
	}
	return d <= daysIn(y, m)
}

func daysIn(y, m int) int {
	switch m {
	case 2:
		if y%4 == 0 && (y%100 != 0 || y%400 == 0) {
			return 29
		}
		return 28
	case 4, 6, 9, 11:
		return 30
	}
	return 31
}

// daysFromCivil returns days since 1970-01-01 of a proleptic Gregorian date
// (Howard Hinnant's algorithm).
func daysFromCivil(y, m, d int) int64 {
	if m <= 2 {
		y--
	}
	era := y / 400
	if y < 0 && y%400 != 0 {
		era = (y - 399) / 400
	}
	yoe := y - era*400
	mp := (m + 9) % 12
	doy := (153*mp+2)/5 + d - 1
	doe := yoe*365 + yoe/4 - yoe/100 + doy
	return int64(era)*146097 + int64(doe) - 719468
}

func allDigits(b []byte) bool {
	for _, c := range b {
		if c < '0' || c > '9' {
			return false
		}
	}
	return len(b) > 0
}

func digitsAt(b []byte, i, n int) bool { return i+n <= len(b) && allDigits(b[i:i+n]) }

func num(b []byte) int {
	n := 0
	for _, c := range b {
		n = n*10 + int(c-'0')
	}
	return n
}
