package result

import (
	"bufio"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"
	"unicode/utf8"

	"github.com/crmlens/crmlens/analytics/txn"
)

// Row is one customer's line of the per-customer part. Which fields are
// written is chosen by the writer's columns; unused fields are ignored.
type Row struct {
	Customer          string
	RecencyDays       int32
	Frequency         int64     // orders
	Monetary          txn.Money // revenue
	AOV               float64   // average order value
	FirstPurchase     time.Time
	LastPurchase      time.Time
	R, F, M           uint8  // RFM scores
	Segment           string // the method's group: RFM segment, quadrant, stage or cluster label
	Stage             string // lifecycle stage
	Cluster           int    // K-means cluster index
	PAlive            float64
	ExpectedPurchases float64
	CLV               float64
	// CLV model inputs and the spend per purchase behind CLV.
	RepeatPurchases float64 // x: repeat purchase days in the calibration period (a whole number; NaN when not scored)
	RecencyTx       float64 // t_x: first to last calibration purchase, in time units
	AgeT            float64 // T: first purchase to calibration end, in time units
	ExpectedSpend   float64 // Gamma-Gamma expected spend per purchase
}

// Column is one per-customer output column; the string is the CSV header and
// NDJSON key, part of the contract.
type Column string

// The per-customer columns.
const (
	ColCustomer          Column = "customer"
	ColRecencyDays       Column = "recencyDays"
	ColFrequency         Column = "frequency"
	ColMonetary          Column = "monetary"
	ColAOV               Column = "aov"
	ColFirstPurchase     Column = "firstPurchase"
	ColLastPurchase      Column = "lastPurchase"
	ColR                 Column = "r"
	ColF                 Column = "f"
	ColM                 Column = "m"
	ColRFM               Column = "rfm"
	ColSegment           Column = "segment"
	ColStage             Column = "stage"
	ColCluster           Column = "cluster"
	ColPAlive            Column = "pAlive"
	ColExpectedPurchases Column = "expectedPurchases"
	ColCLV               Column = "clv"
	ColRepeatPurchases   Column = "repeatPurchases"
	ColRecencyTx         Column = "recencyTx"
	ColAgeT              Column = "ageT"
	ColExpectedSpend     Column = "expectedSpend"
)

// kind says how a column's value is encoded.
type kind uint8

const (
	kString kind = iota
	kNumber
)

// appendValue appends col's value of r, unquoted, and its kind.
func appendValue(b []byte, col Column, r *Row) ([]byte, kind, error) {
	switch col {
	case ColCustomer:
		return append(b, r.Customer...), kString, nil
	case ColRecencyDays:
		return strconv.AppendInt(b, int64(r.RecencyDays), 10), kNumber, nil
	case ColFrequency:
		return strconv.AppendInt(b, r.Frequency, 10), kNumber, nil
	case ColMonetary:
		return appendMoney(b, r.Monetary), kNumber, nil
	case ColAOV:
		return appendFloat(b, r.AOV), kNumber, nil
	case ColFirstPurchase:
		return r.FirstPurchase.AppendFormat(b, time.RFC3339), kString, nil
	case ColLastPurchase:
		return r.LastPurchase.AppendFormat(b, time.RFC3339), kString, nil
	case ColR:
		return strconv.AppendUint(b, uint64(r.R), 10), kNumber, nil
	case ColF:
		return strconv.AppendUint(b, uint64(r.F), 10), kNumber, nil
	case ColM:
		return strconv.AppendUint(b, uint64(r.M), 10), kNumber, nil
	case ColRFM:
		return append(b, '0'+r.R, '0'+r.F, '0'+r.M), kString, nil
	case ColSegment:
		return append(b, r.Segment...), kString, nil
	case ColStage:
		return append(b, r.Stage...), kString, nil
	case ColCluster:
		return strconv.AppendInt(b, int64(r.Cluster), 10), kNumber, nil
	case ColPAlive:
		return appendFull(b, r.PAlive), kNumber, nil
	case ColExpectedPurchases:
		return appendFull(b, r.ExpectedPurchases), kNumber, nil
	case ColCLV:
		return appendFull(b, r.CLV), kNumber, nil
	case ColRepeatPurchases:
		return appendFull(b, r.RepeatPurchases), kNumber, nil
	case ColRecencyTx:
		return appendFull(b, r.RecencyTx), kNumber, nil
	case ColAgeT:
		return appendFull(b, r.AgeT), kNumber, nil
	case ColExpectedSpend:
		return appendFull(b, r.ExpectedSpend), kNumber, nil
	}
	return b, kString, fmt.Errorf("unknown per-customer column %q", col)
}

// appendFloat writes v rounded to 6 decimals; NaN and ±Inf become "null",
// which the CSV writer turns into an empty field.
func appendFloat(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, math.Round(v*1e6)/1e6, 'f', -1, 64)
}

// appendFull writes v at full precision (the shortest text that reads back
// as the same float64), so model values of near-dead customers survive;
// NaN and ±Inf become "null".
func appendFull(b []byte, v float64) []byte {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return append(b, "null"...)
	}
	return strconv.AppendFloat(b, v, 'g', -1, 64)
}

// appendMoney writes m with four decimals, like txn.Money.String, without allocating.
func appendMoney(b []byte, m txn.Money) []byte {
	v := int64(m)
	if v < 0 {
		b = append(b, '-')
		v = -v
	}
	b = strconv.AppendInt(b, v/txn.MoneyScale, 10)
	frac := v % txn.MoneyScale
	return append(b, '.', byte('0'+frac/1000), byte('0'+frac/100%10), byte('0'+frac/10%10), byte('0'+frac%10))
}

// CustomerWriter receives the per-customer part, one row at a time.
// Close flushes buffered output; it does not close the underlying writer.
type CustomerWriter interface {
	Write(r *Row) error
	Close() error
}

// Discard is a CustomerWriter that drops every row.
var Discard CustomerWriter = discard{}

type discard struct{}

func (discard) Write(*Row) error { return nil }
func (discard) Close() error     { return nil }

func validate(cols []Column) error {
	if len(cols) == 0 {
		return fmt.Errorf("per-customer writer: no columns")
	}
	var r Row
	for _, c := range cols {
		if _, _, err := appendValue(nil, c, &r); err != nil {
			return fmt.Errorf("per-customer writer: %w", err)
		}
	}
	return nil
}

// csvWriter writes RFC 4180 CSV with a header line.
type csvWriter struct {
	w    *bufio.Writer
	cols []Column
	buf  []byte
	val  []byte
}

// NewCSVWriter returns a writer of CSV with a header row naming cols.
// The header is written even when no row follows.
func NewCSVWriter(w io.Writer, cols []Column) (CustomerWriter, error) {
	if err := validate(cols); err != nil {
		return nil, err
	}
	cw := &csvWriter{w: bufio.NewWriterSize(w, 64<<10), cols: cols}
	for i, c := range cols {
		if i > 0 {
			cw.buf = append(cw.buf, ',')
		}
		cw.buf = appendCSVField(cw.buf, []byte(c))
	}
	cw.buf = append(cw.buf, '\n')
	if _, err := cw.w.Write(cw.buf); err != nil {
		return nil, fmt.Errorf("write per-customer CSV header: %w", err)
	}
	return cw, nil
}

func (cw *csvWriter) Write(r *Row) error {
	b := cw.buf[:0]
	for i, c := range cw.cols {
		if i > 0 {
			b = append(b, ',')
		}
		v, k, _ := appendValue(cw.val[:0], c, r)
		cw.val = v
		switch {
		case k == kNumber && string(v) == "null":
			// empty field for a missing number
		case k == kString:
			b = appendCSVField(b, v)
		default:
			b = append(b, v...)
		}
	}
	b = append(b, '\n')
	cw.buf = b
	if _, err := cw.w.Write(b); err != nil {
		return fmt.Errorf("write per-customer CSV: %w", err)
	}
	return nil
}

func (cw *csvWriter) Close() error {
	if err := cw.w.Flush(); err != nil {
		return fmt.Errorf("flush per-customer CSV: %w", err)
	}
	return nil
}

// appendCSVField quotes v when it holds a delimiter, quote, line break or
// leading/trailing space.
func appendCSVField(b, v []byte) []byte {
	need := len(v) > 0 && (v[0] == ' ' || v[0] == '\t' || v[len(v)-1] == ' ' || v[len(v)-1] == '\t')
	for _, c := range v {
		if c == ',' || c == '"' || c == '\n' || c == '\r' {
			need = true
			break
		}
	}
	if !need {
		return append(b, v...)
	}
	b = append(b, '"')
	for _, c := range v {
		if c == '"' {
			b = append(b, '"')
		}
		b = append(b, c)
	}
	return append(b, '"')
}

// ndjsonWriter writes one JSON object per line.
type ndjsonWriter struct {
	w    *bufio.Writer
	cols []Column
	keys [][]byte // pre-encoded `"key":`
	buf  []byte
	val  []byte
}

// NewNDJSONWriter returns a writer of newline-delimited JSON objects with
// the keys cols.
func NewNDJSONWriter(w io.Writer, cols []Column) (CustomerWriter, error) {
	if err := validate(cols); err != nil {
		return nil, err
	}
	nw := &ndjsonWriter{w: bufio.NewWriterSize(w, 64<<10), cols: cols}
	for _, c := range cols {
		k := appendJSONString(nil, []byte(c))
		nw.keys = append(nw.keys, append(k, ':'))
	}
	return nw, nil
}

func (nw *ndjsonWriter) Write(r *Row) error {
	b := append(nw.buf[:0], '{')
	for i, c := range nw.cols {
		if i > 0 {
			b = append(b, ',')
		}
		b = append(b, nw.keys[i]...)
		v, k, _ := appendValue(nw.val[:0], c, r)
		nw.val = v
		if k == kString {
			b = appendJSONString(b, v)
		} else {
			b = append(b, v...)
		}
	}
	b = append(b, '}', '\n')
	nw.buf = b
	if _, err := nw.w.Write(b); err != nil {
		return fmt.Errorf("write per-customer NDJSON: %w", err)
	}
	return nil
}

func (nw *ndjsonWriter) Close() error {
	if err := nw.w.Flush(); err != nil {
		return fmt.Errorf("flush per-customer NDJSON: %w", err)
	}
	return nil
}

const hexDigits = "0123456789abcdef"

// appendJSONString appends v as a JSON string; invalid UTF-8 becomes U+FFFD.
func appendJSONString(b, v []byte) []byte {
	b = append(b, '"')
	for i := 0; i < len(v); {
		c := v[i]
		if c < utf8.RuneSelf {
			switch {
			case c == '"' || c == '\\':
				b = append(b, '\\', c)
			case c == '\n':
				b = append(b, '\\', 'n')
			case c == '\r':
				b = append(b, '\\', 'r')
			case c == '\t':
				b = append(b, '\\', 't')
			case c < 0x20:
				b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
			default:
				b = append(b, c)
			}
			i++
			continue
		}
		r, size := utf8.DecodeRune(v[i:])
		if r == utf8.RuneError && size == 1 {
			b = append(b, `\ufffd`...)
		} else {
			b = append(b, v[i:i+size]...)
		}
		i += size
	}
	return append(b, '"')
}
