package input

import (
	"bytes"
	"context"
	"errors"
	"runtime"
	"slices"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"
)

// Seed shapes for FuzzParquet: typed columns, text columns, DECIMAL/DATE and
// optional columns, several row groups.
type (
	fuzzTyped struct {
		Customer string    `parquet:"customer_id"`
		Order    int64     `parquet:"order_id"`
		When     time.Time `parquet:"timestamp,timestamp(microsecond)"`
		Amount   float64   `parquet:"amount"`
		Gift     bool      `parquet:"gift"`
	}
	fuzzText struct {
		Customer string `parquet:"customer_id"`
		When     string `parquet:"timestamp"`
		Amount   string `parquet:"amount"`
		Channel  string `parquet:"channel"`
	}
	fuzzDecimal struct {
		Customer string  `parquet:"customer_id"`
		Day      int32   `parquet:"timestamp,date"`
		Amount   int64   `parquet:"amount,decimal(2:18)"`
		Qty      *int32  `parquet:"quantity,optional"`
		Product  *string `parquet:"product,optional"`
	}
	fuzzMilli struct {
		Customer []byte `parquet:"customer_id"`
		When     int64  `parquet:"timestamp"`
		Amount   int32  `parquet:"amount"`
	}
)

func parquetBytes[T any](tb testing.TB, rows []T, opts ...parquet.WriterOption) []byte {
	tb.Helper()
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[T](&buf, opts...)
	if _, err := w.Write(rows); err != nil {
		tb.Fatal(err)
	}
	if err := w.Close(); err != nil {
		tb.Fatal(err)
	}
	return buf.Bytes()
}

func fuzzParquetSeeds(tb testing.TB) [][]byte {
	ts := time.Date(2024, 6, 1, 10, 30, 0, 0, time.UTC)
	q := int32(2)
	p := "P1"
	return [][]byte{
		parquetBytes(tb, []fuzzTyped{{"a", 1, ts, 19.99, false}, {"b", 2, ts.Add(time.Hour), -5, true}, {"", 3, ts, 0, false}}),
		parquetBytes(tb, []fuzzText{{"a", "2024-06-01T10:30:00Z", "1,234.50", "web"}, {"b", "20240602", "x", ""}, {"c", "1717236000", "7", "app"}}),
		parquetBytes(tb, []fuzzDecimal{{"a", 19875, 1999, &q, &p}, {"b", -1, -250, nil, nil}, {"c", 1 << 30, 1 << 62, nil, &p}},
			parquet.MaxRowsPerRowGroup(1)),
		parquetBytes(tb, []fuzzMilli{{[]byte("a"), 1717236000123, 5}, {[]byte("b"), -1, 0}, {[]byte("c"), 1 << 62, -7}}),
	}
}

// FuzzParquet feeds arbitrary bytes to the Parquet reader under a few
// mappings and layouts: it must never panic or hang (errors are fine), row
// lines must count up from 1, and when the file can be read, a read split
// by row groups must give the same rows and rejects.
func FuzzParquet(f *testing.F) {
	for _, seed := range fuzzParquetSeeds(f) {
		for mode := range uint8(3) {
			f.Add(seed, mode)
		}
	}
	f.Fuzz(func(t *testing.T, data []byte, mode uint8) {
		opts := Options{Format: "parquet"}
		switch mode % 3 {
		case 0: // the default header names
		case 1:
			opts.Mapping = Mapping{Customer: Column{Index: 1}, Time: Column{Index: 2}, Amount: Column{Index: 3}}
		case 2:
			opts.TimeLayout = LayoutUnixMilli
		}
		src := BytesSource("fuzz.parquet", data, opts, "")
		seq := &collect{}
		if err := Read(context.Background(), src, seq); err != nil {
			return
		}
		lines := slices.Clone(seq.lines)
		for i := range lines {
			if lines[i] < 1 || i > 0 && lines[i] <= lines[i-1] {
				t.Fatalf("row lines %v", lines)
			}
		}
		parts, err := ReadParallel(context.Background(), src, 3, func() Handler { return &collect{} })
		if err != nil {
			t.Fatalf("split read failed where the whole read did not: %v", err)
		}
		gotRows, gotRej := flatten(parts)
		wantRows, wantRej := flatten([]Part{{Handler: seq}})
		if !slices.Equal(gotRows, wantRows) || !slices.Equal(gotRej, wantRej) {
			t.Fatalf("split read differs:\n%q\n%q\nvs\n%q\n%q", gotRows, gotRej, wantRows, wantRej)
		}
	})
}

// TestParquetFuzzSeedsRead keeps the seeds meaningful: each is a readable
// file whose three rows reach the handler (as rows or rejects).
func TestParquetFuzzSeedsRead(t *testing.T) {
	for i, seed := range fuzzParquetSeeds(t) {
		c := &collect{}
		if err := Read(context.Background(), BytesSource("seed", seed, Options{Format: "parquet"}, ""), c); err != nil {
			t.Fatalf("seed %d: %v", i, err)
		}
		if len(c.rows)+len(c.rejects) != 3 || len(c.rows) == 0 {
			t.Errorf("seed %d: rows %v rejects %v", i, c.rows, c.rejects)
		}
	}
}

// TestParquetHugeFooterLength: a file whose trailer declares a footer longer
// than the file is refused before parquet-go allocates the declared 1.8 GB
// (the crasher FuzzParquet found; testdata/fuzz/FuzzParquet/crash-huge-footer-length).
func TestParquetHugeFooterLength(t *testing.T) {
	data := []byte("PAR1\x16\x00\x00\x00\x15\x04\x19lPAR1")
	var before, after runtime.MemStats
	runtime.ReadMemStats(&before)
	err := Read(context.Background(), BytesSource("bad.parquet", data, Options{Format: "parquet"}, ""), &collect{})
	_, perr := ReadParallel(context.Background(), BytesSource("bad.parquet", data, Options{Format: "parquet"}, ""), 3, func() Handler { return &collect{} })
	runtime.ReadMemStats(&after)
	if !errors.Is(err, errParquetFooter) || !errors.Is(perr, errParquetFooter) {
		t.Errorf("errors %v / %v, want %v", err, perr, errParquetFooter)
	}
	if grew := after.TotalAlloc - before.TotalAlloc; grew > 1<<20 {
		t.Errorf("refusing a 16-byte file allocated %d MiB", grew>>20)
	}
}
