package input

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/parquet-go/parquet-go"
	"github.com/parquet-go/parquet-go/format"

	"github.com/crmlens/crmlens/analytics/txn"
)

// readParquet reads a Parquet file row group by row group. Columns are mapped
// by leaf name (nested paths joined with '.') or 1-based leaf position. Line
// numbers in rejects are 1-based row indexes.
//
// Types: string columns are parsed like CSV text; INT64 TIMESTAMP (any unit),
// INT32 DATE and plain integers (Unix seconds, or milliseconds with the
// UnixMilli layout) are accepted for time; for
// amounts, DECIMAL-annotated INT32/INT64 are exact, plain integers are whole
// units and FLOAT/DOUBLE are rounded to four decimals (the file already holds a
// binary float, so no precision can be recovered there).
func readParquet(ctx context.Context, src Source, h Handler) error {
	return readParquetGroups(ctx, src, h, 0, math.MaxInt)
}

// readParquetGroups reads row groups [lo, hi) of the file; lines count from 1
// at the first row of group lo.
func readParquetGroups(ctx context.Context, src Source, h Handler, lo, hi int) error {
	ra, err := openRandom(src)
	if err != nil {
		return err
	}
	defer ra.Close()
	f, err := openParquet(ra)
	if err != nil {
		return err
	}
	cols := f.Schema().Columns()
	header := make([]string, len(cols))
	for i, c := range cols {
		header[i] = strings.Join(c, ".")
	}
	idx, err := src.Options.Mapping.resolve(header)
	if err != nil {
		return err
	}
	p := newRowParser(&src, idx)
	fieldOf := make([]int, len(cols)) // leaf column → field, -1 when unmapped
	for i := range fieldOf {
		fieldOf[i] = -1
	}
	leaves := make([]parquet.LeafColumn, len(cols))
	for fi, ci := range idx {
		if ci >= 0 {
			fieldOf[ci] = fi
		}
	}
	for i, c := range cols {
		leaves[i], _ = f.Schema().Lookup(c...)
	}
	// Each value is rendered to text (strings as is, numbers per their type) so
	// one row parser serves CSV and Parquet alike; typed time/amount columns
	// bypass the text parsers.
	text := make([][]byte, len(cols))
	var scratch [10][]byte
	var line int64
	rows := make([]parquet.Row, 512)
	groups := f.RowGroups()
	hi = min(hi, len(groups))
	lo = min(lo, hi)
	for _, rg := range groups[lo:hi] {
		rr := rg.Rows()
		for {
			n, rerr := rr.ReadRows(rows)
			for _, row := range rows[:n] {
				line++
				if line%ctxCheckEvery == 0 {
					if err := ctx.Err(); err != nil {
						rr.Close()
						return err
					}
				}
				for i := range text {
					text[i] = nil
				}
				var typedTime *time.Time
				var typedAmount, typedPrice *txn.Money
				var tt time.Time
				var ta, tp txn.Money
				detail := ""
				for _, v := range row {
					ci := v.Column()
					if ci < 0 || ci >= len(cols) || fieldOf[ci] < 0 || v.IsNull() {
						continue
					}
					fi := fieldOf[ci]
					lt := leaves[ci].Node.Type().LogicalType()
					switch {
					case fi == fTime && v.Kind() != parquet.ByteArray:
						t, err := parquetTime(v, lt, p.tp.loc(), p.tp.Layout == LayoutUnixMilli)
						if err != nil {
							detail = p.errDetail(fTime, err)
						}
						tt, typedTime = t, &tt
					case fi == fAmount && v.Kind() != parquet.ByteArray:
						a, err := parquetAmount(v, lt)
						if err != nil {
							detail = p.errDetail(fAmount, err)
						}
						ta, typedAmount = a, &ta
					case fi == fPrice && v.Kind() != parquet.ByteArray:
						a, err := parquetAmount(v, lt)
						if err != nil {
							detail = p.errDetail(fPrice, err)
						}
						tp, typedPrice = a, &tp
					default:
						scratch[fi] = appendValue(scratch[fi][:0], v)
						text[ci] = scratch[fi]
					}
				}
				if detail != "" {
					h.Reject(line, txn.RejectMalformed, detail)
					continue
				}
				rec, detail := parseParquetRow(p, text, line, typedTime, typedAmount, typedPrice)
				if detail != "" {
					h.Reject(line, txn.RejectMalformed, detail)
					continue
				}
				if err := h.Record(rec); err != nil {
					rr.Close()
					return err
				}
			}
			if errors.Is(rerr, io.EOF) {
				break
			}
			if rerr != nil {
				rr.Close()
				return fmt.Errorf("parquet: row %d: %w", line, rerr)
			}
		}
		rr.Close()
	}
	return nil
}

// parseParquetRow runs the text row parser with typed time/amount substituted.
func parseParquetRow(p *rowParser, text [][]byte, line int64, t *time.Time, a, price *txn.Money) (*Record, string) {
	const placeholderTime, placeholderAmount = "1970-01-01", "0"
	layout := p.tp.Layout
	if t != nil {
		// The placeholder is auto-detected whatever the declared layout,
		// which applies to text columns only.
		text[p.idx[fTime]] = []byte(placeholderTime)
		p.tp.Layout = ""
	}
	if a != nil {
		text[p.idx[fAmount]] = []byte(placeholderAmount)
	}
	if price != nil {
		text[p.idx[fPrice]] = []byte(placeholderAmount)
	}
	rec, detail := p.parse(text, line)
	p.tp.Layout = layout
	if rec != nil {
		if t != nil {
			rec.Time = *t
		}
		if a != nil {
			rec.Amount = *a
		}
		if price != nil {
			amt, err := LineAmount(*price, rec.Quantity)
			if err != nil {
				return nil, p.errDetail(fPrice, err)
			}
			rec.Amount = amt
		}
	}
	return rec, detail
}

func appendValue(b []byte, v parquet.Value) []byte {
	switch v.Kind() {
	case parquet.ByteArray, parquet.FixedLenByteArray:
		return append(b, v.ByteArray()...)
	case parquet.Int32:
		return strconv.AppendInt(b, int64(v.Int32()), 10)
	case parquet.Int64:
		return strconv.AppendInt(b, v.Int64(), 10)
	case parquet.Boolean:
		return strconv.AppendBool(b, v.Boolean())
	case parquet.Float:
		return strconv.AppendFloat(b, float64(v.Float()), 'f', -1, 32)
	case parquet.Double:
		return strconv.AppendFloat(b, v.Double(), 'f', -1, 64)
	}
	return b
}

var errParquetType = errors.New("unsupported parquet type for this column")

// parquetTime reads a typed time value; plain integers are Unix seconds, or
// milliseconds when milli (the UnixMilli layout).
func parquetTime(v parquet.Value, lt *format.LogicalType, loc *time.Location, milli bool) (time.Time, error) {
	var n int64
	switch v.Kind() {
	case parquet.Int32:
		n = int64(v.Int32())
	case parquet.Int64:
		n = v.Int64()
	default:
		return time.Time{}, errParquetType
	}
	if lt != nil {
		switch t := lt.Value.(type) {
		case *format.DateType:
			return time.Unix(n*86400, 0).UTC(), nil
		case *format.TimestampType:
			d := t.Unit.Value.Duration()
			return time.Unix(0, 0).Add(time.Duration(n) * d).In(loc), nil
		}
	}
	if milli {
		return time.UnixMilli(n).In(loc), nil
	}
	return time.Unix(n, 0).In(loc), nil
}

func parquetAmount(v parquet.Value, lt *format.LogicalType) (txn.Money, error) {
	var n int64
	switch v.Kind() {
	case parquet.Float:
		return txn.MoneyFromFloat(float64(v.Float())), nil
	case parquet.Double:
		f := v.Double()
		if math.IsNaN(f) || math.Abs(f) > math.MaxInt64/txn.MoneyScale {
			return 0, errAmountOverflow
		}
		return txn.MoneyFromFloat(f), nil
	case parquet.Int32:
		n = int64(v.Int32())
	case parquet.Int64:
		n = v.Int64()
	default:
		return 0, errParquetType
	}
	scale := int32(0)
	if lt != nil {
		if d, ok := lt.Value.(*format.DecimalType); ok {
			scale = d.Scale
		}
	}
	for ; scale < 4; scale++ {
		if n > math.MaxInt64/10 || n < math.MinInt64/10 {
			return 0, errAmountOverflow
		}
		n *= 10
	}
	for ; scale > 4; scale-- {
		n /= 10 // truncates extra decimals; rare in practice
	}
	return txn.Money(n), nil
}

var errParquetFooter = errors.New("not a parquet file: no valid footer")

// openParquet opens a Parquet file after checking its trailer: the footer
// length it declares must fit in the file. parquet-go allocates the declared
// length (up to 4 GiB) before reading, so a corrupt or truncated file would
// otherwise cost gigabytes of memory instead of an error (found by FuzzParquet).
func openParquet(ra ReaderAtCloser) (*parquet.File, error) {
	size := ra.Size()
	var head, tail [8]byte
	if size < 12 {
		return nil, fmt.Errorf("parquet: %w (%d bytes)", errParquetFooter, size)
	}
	if _, err := ra.ReadAt(head[:4], 0); err != nil {
		return nil, fmt.Errorf("parquet: read header: %w", err)
	}
	if _, err := ra.ReadAt(tail[:], size-8); err != nil {
		return nil, fmt.Errorf("parquet: read trailer: %w", err)
	}
	magic := string(tail[4:])
	footer := int64(binary.LittleEndian.Uint32(tail[:4]))
	if string(head[:4]) != magic || (magic != "PAR1" && magic != "PARE") || footer > size-12 {
		return nil, fmt.Errorf("parquet: %w", errParquetFooter)
	}
	f, err := parquet.OpenFile(ra, size)
	if err != nil {
		return nil, fmt.Errorf("parquet: %w", err)
	}
	return f, nil
}

// openRandom gives random access to a source, reading a stream into memory when
// the source has no OpenAt (Parquet needs the footer first).
func openRandom(src Source) (ReaderAtCloser, error) {
	if src.OpenAt != nil {
		ra, err := src.OpenAt()
		if err != nil {
			return nil, fmt.Errorf("open: %w", err)
		}
		return ra, nil
	}
	if src.Open == nil {
		return nil, errNoOpen
	}
	rc, err := src.Open()
	if err != nil {
		return nil, fmt.Errorf("open: %w", err)
	}
	defer rc.Close()
	data, err := io.ReadAll(rc)
	if err != nil {
		return nil, fmt.Errorf("read: %w", err)
	}
	return bytesAt{bytes.NewReader(data)}, nil
}

// parquetParts reads a Parquet file's row groups in up to n contiguous runs of
// roughly equal row counts, one goroutine each (see ReadParallel).
func parquetParts(ctx context.Context, src Source, n int, newHandler func() Handler) ([]Part, error) {
	ra, err := src.OpenAt()
	if err != nil {
		return nil, fmt.Errorf("source %s: open: %w", src.Name, err)
	}
	f, err := openParquet(ra)
	ra.Close()
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", src.Name, err)
	}
	groups := f.RowGroups()
	n = min(n, len(groups))
	if n <= 1 {
		return nil, nil
	}
	var total int64
	for _, g := range groups {
		total += g.NumRows()
	}
	// Cut after the group where the running row count passes k/n of the total.
	bounds := []int{0}
	var run int64
	for i, g := range groups {
		run += g.NumRows()
		if len(bounds) < n && run*int64(n) >= total*int64(len(bounds)) && i+1 < len(groups) {
			bounds = append(bounds, i+1)
		}
	}
	bounds = append(bounds, len(groups))
	parts := make([]Part, len(bounds)-1)
	errs := make([]error, len(parts))
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	var wg sync.WaitGroup
	var off int64
	for k := range parts {
		parts[k] = Part{Handler: newHandler(), LineOffset: off}
		for _, g := range groups[bounds[k]:bounds[k+1]] {
			off += g.NumRows()
		}
		wg.Go(func() {
			if err := readParquetGroups(ctx, src, parts[k].Handler, bounds[k], bounds[k+1]); err != nil {
				errs[k] = err
				cancel()
			}
		})
	}
	wg.Wait()
	if err := rootCause(src.Name, errs); err != nil {
		return nil, err
	}
	return parts, nil
}
