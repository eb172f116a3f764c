package input

import (
	"bytes"
	"context"
	"fmt"
	"testing"
	"time"

	"github.com/parquet-go/parquet-go"

	"github.com/crmlens/crmlens/analytics/txn"
)

type countHandler struct{ n, rej int64 }

func (c *countHandler) Record(*Record) error                   { c.n++; return nil }
func (c *countHandler) Reject(int64, txn.RejectReason, string) { c.rej++ }

func benchData(rows int) []byte {
	var b bytes.Buffer
	b.WriteString("customer_id,order_id,timestamp,amount,channel,category,product,quantity,gift\n")
	for i := range rows {
		fmt.Fprintf(&b, "C%07d,O%09d,2025-%02d-%02dT%02d:%02d:17Z,%d.%02d,online,books,P%04d,1,0\n",
			i*7919%100000, i, 1+i%12, 1+i%28, i%24, i%60, i%300, i%100, i%200)
	}
	return b.Bytes()
}

// BenchmarkReadCSV measures parsing alone (no aggregation), sequential and split.
func BenchmarkReadCSV(b *testing.B) {
	data := benchData(200_000)
	src := BytesSource("bench", data, Options{}, "")
	b.Run("sequential", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if err := Read(context.Background(), src, &countHandler{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("parallel=2", func(b *testing.B) {
		old := minPartBytes
		minPartBytes = 1 << 20
		defer func() { minPartBytes = old }()
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ReadParallel(context.Background(), src, 2, func() Handler { return &countHandler{} }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkParseAmount(b *testing.B) {
	in := []byte("1234.56")
	b.ReportAllocs()
	for b.Loop() {
		if _, err := ParseAmount(in, '.', 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseTime(b *testing.B) {
	for _, c := range []struct{ layout, in string }{
		{"", "2025-03-07T14:05:09Z"}, {"", "2025-03-07 14:05:09"}, {"", "20250307"},
		{LayoutRFC3339, "2025-03-07T14:05:09Z"}, {LayoutUnix, "1741356309"}, {LayoutUnixMilli, "1741356309123"},
		{"2006-01-02 15:04:05", "2025-03-07 14:05:09"}, // time.ParseInLocation, for comparison
	} {
		in, p := []byte(c.in), TimeParser{Layout: c.layout}
		b.Run(c.layout+"/"+c.in, func(b *testing.B) {
			b.ReportAllocs()
			for b.Loop() {
				if _, err := p.Parse(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// benchParquet writes a Parquet file of rows order lines with typed
// timestamp and amount columns plus text columns, in row groups of 64k rows.
func benchParquet(b *testing.B, rows int) []byte {
	b.Helper()
	type line struct {
		Customer string    `parquet:"customer_id"`
		Order    string    `parquet:"order_id"`
		When     time.Time `parquet:"timestamp,timestamp(millisecond)"`
		Amount   float64   `parquet:"amount"`
		Channel  string    `parquet:"channel"`
		Product  string    `parquet:"product"`
		Quantity int32     `parquet:"quantity"`
	}
	var buf bytes.Buffer
	w := parquet.NewGenericWriter[line](&buf, parquet.MaxRowsPerRowGroup(64<<10))
	batch := make([]line, 0, 4096)
	base := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	for i := range rows {
		batch = append(batch, line{Customer: fmt.Sprintf("C%07d", i*7919%100000), Order: fmt.Sprintf("O%09d", i),
			When: base.Add(time.Duration(i) * time.Minute), Amount: float64(i%30000) / 100, Channel: "online",
			Product: fmt.Sprintf("P%04d", i%200), Quantity: 1})
		if len(batch) == cap(batch) || i == rows-1 {
			if _, err := w.Write(batch); err != nil {
				b.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	if err := w.Close(); err != nil {
		b.Fatal(err)
	}
	return buf.Bytes()
}

// BenchmarkReadParquet measures Parquet decoding and row parsing alone (no
// aggregation), sequential and split by row groups.
func BenchmarkReadParquet(b *testing.B) {
	data := benchParquet(b, 200_000)
	src := BytesSource("bench.parquet", data, Options{Format: "parquet"}, "")
	b.Run("sequential", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			h := &countHandler{}
			if err := Read(context.Background(), src, h); err != nil || h.n != 200_000 {
				b.Fatal(err, h.n, h.rej)
			}
		}
	})
	b.Run("parallel=2", func(b *testing.B) {
		b.SetBytes(int64(len(data)))
		b.ReportAllocs()
		for b.Loop() {
			if _, err := ReadParallel(context.Background(), src, 2, func() Handler { return &countHandler{} }); err != nil {
				b.Fatal(err)
			}
		}
	})
}
