package input

import (
	"bytes"
	"context"
	"fmt"
	"testing"

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
		for b.Loop() {
			if _, err := ReadParallel(context.Background(), src, 2, func() Handler { return &countHandler{} }); err != nil {
				b.Fatal(err)
			}
		}
	})
}

func BenchmarkParseAmount(b *testing.B) {
	in := []byte("1234.56")
	for b.Loop() {
		if _, err := ParseAmount(in, '.', 0); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkParseTime(b *testing.B) {
	for _, s := range []string{"2025-03-07T14:05:09Z", "2025-03-07 14:05:09", "20250307"} {
		in := []byte(s)
		b.Run(s, func(b *testing.B) {
			for b.Loop() {
				if _, err := (TimeParser{}).Parse(in); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
