package input

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/crmlens/crmlens/analytics/txn"
)

// bigCSV builds a file of n rows over several parallel parts, with a malformed
// row every 1000 lines and blank lines sprinkled in.
func bigCSV(n int, quoteAt int) []byte {
	var b bytes.Buffer
	b.WriteString("customer,order,time,amount,product\n")
	for i := range n {
		switch {
		case i%1000 == 999:
			fmt.Fprintf(&b, "c%d,o%d,bad-time,1.00,p\n", i%977, i)
		case i%5000 == 17:
			b.WriteString("\n")
			fmt.Fprintf(&b, "c%d,o%d,2024-01-%02d,%d.%02d,p\r\n", i%977, i, 1+i%28, i%500, i%100)
		case i == quoteAt:
			fmt.Fprintf(&b, "c%d,o%d,2024-01-%02d,%d.%02d,\"p\nq\"\n", i%977, i, 1+i%28, i%500, i%100)
		default:
			fmt.Fprintf(&b, "c%d,o%d,2024-01-%02d,%d.%02d,product-%d\n", i%977, i, 1+i%28, i%500, i%100, i%13)
		}
	}
	return b.Bytes()
}

// flatten returns rows and rejects with physical lines, in part order.
func flatten(parts []Part) (rows []string, rejects []string) {
	for _, p := range parts {
		c := p.Handler.(*collect)
		for i, r := range c.rows {
			rows = append(rows, fmt.Sprintf("%d|%v", c.lines[i]+p.LineOffset, r))
		}
		for _, rj := range c.rejects {
			var line int64
			var rest string
			_, _ = fmt.Sscanf(rj, "%d:", &line)
			_, rest, _ = strings.Cut(rj, ":")
			rejects = append(rejects, fmt.Sprintf("%d:%s", line+p.LineOffset, rest))
		}
	}
	return rows, rejects
}

// smallParts lets modest test files split into several parts.
func smallParts(t *testing.T) {
	old := minPartBytes
	minPartBytes = 64 << 10
	t.Cleanup(func() { minPartBytes = old })
}

func TestReadParallelMatchesSequential(t *testing.T) {
	smallParts(t)
	data := bigCSV(40000, -1)
	if int64(len(data)) < 3*minPartBytes {
		t.Fatalf("test file too small (%d bytes) to make 3 parts", len(data))
	}
	src := BytesSource("big.csv", data, Options{}, "")
	seq := &collect{}
	if err := Read(context.Background(), src, seq); err != nil {
		t.Fatal(err)
	}
	seqRows, seqRej := flatten([]Part{{Handler: seq}})
	for _, n := range []int{2, 3, 7} {
		parts, err := ReadParallel(context.Background(), src, n, func() Handler { return &collect{} })
		if err != nil {
			t.Fatal(err)
		}
		if len(parts) < 2 {
			t.Fatalf("n=%d: %d parts, want a parallel read", n, len(parts))
		}
		rows, rej := flatten(parts)
		if !slices.Equal(rows, seqRows) || !slices.Equal(rej, seqRej) {
			t.Fatalf("n=%d: parallel read differs from sequential (%d/%d rows, %d/%d rejects)", n, len(rows), len(seqRows), len(rej), len(seqRej))
		}
	}
	if len(seqRej) != 40 {
		t.Fatalf("%d rejects, want 40", len(seqRej))
	}
}

func TestReadParallelFallsBackOnQuotes(t *testing.T) {
	smallParts(t)
	data := bigCSV(40000, 30000)
	src := BytesSource("q.csv", data, Options{}, "")
	parts, err := ReadParallel(context.Background(), src, 3, func() Handler { return &collect{} })
	if err != nil {
		t.Fatal(err)
	}
	if len(parts) != 1 {
		t.Fatalf("%d parts, want the sequential fallback", len(parts))
	}
	c := parts[0].Handler.(*collect)
	if len(c.rows)+len(c.rejects) != 40000 {
		t.Fatalf("%d rows + %d rejects, want 40000", len(c.rows), len(c.rejects))
	}
	if c.rows[slices.IndexFunc(c.rows, func(r txn.Transaction) bool { return r.Order == "o30000" })].Product != "p\nq" {
		t.Fatal("quoted newline not kept")
	}
}

func TestGzipAndFile(t *testing.T) {
	plain := "customer,time,amount\nc1,2024-01-01,1\nc2,2024-01-02,2\n"
	var z bytes.Buffer
	zw := gzip.NewWriter(&z)
	_, _ = zw.Write([]byte(plain))
	zw.Close()
	dir := t.TempDir()
	path := filepath.Join(dir, "t.csv.gz")
	if err := os.WriteFile(path, z.Bytes(), 0o600); err != nil {
		t.Fatal(err)
	}
	for _, src := range []Source{
		FileSource(path, Options{}, ""),              // detected by magic bytes
		FileSource(path, Options{Gzip: true}, ""),    // forced
		BytesSource("mem", z.Bytes(), Options{}, ""), // in memory
	} {
		parts, err := ReadParallel(context.Background(), src, 2, func() Handler { return &collect{} })
		if err != nil {
			t.Fatal(err)
		}
		if c := parts[0].Handler.(*collect); len(c.rows) != 2 || c.rows[1].Customer != "c2" {
			t.Fatalf("%s: rows %v rejects %v", src.Name, c.rows, c.rejects)
		}
	}
	err := Read(context.Background(), BytesSource("plain", []byte(plain), Options{Gzip: true}, ""), &collect{})
	if err == nil || !strings.Contains(err.Error(), "gzip") {
		t.Fatalf("forced gzip on plain text: err = %v", err)
	}
	err = Read(context.Background(), FileSource(filepath.Join(dir, "missing.csv"), Options{}, ""), &collect{})
	if !os.IsNotExist(innermost(err)) {
		t.Fatalf("missing file: err = %v", err)
	}
}

// innermost digs to the innermost error.
func innermost(err error) error {
	for {
		u, ok := err.(interface{ Unwrap() error })
		if !ok || u.Unwrap() == nil {
			return err
		}
		err = u.Unwrap()
	}
}

func TestCDNOW(t *testing.T) {
	m := mustMap(t, "customer=2,time=3,amount=5,quantity=4")
	src := FileSource("../../../shared/data/cdnow/CDNOW_sample.txt", Options{Delimiter: "whitespace", NoHeader: true, Mapping: m}, "")
	c := &collect{}
	if err := Read(context.Background(), src, c); err != nil {
		t.Fatal(err)
	}
	ids := map[string]bool{}
	for _, r := range c.rows {
		ids[r.Customer] = true
	}
	if len(c.rows) != 6919 || len(ids) != 2357 || len(c.rejects) != 0 {
		t.Fatalf("%d rows, %d customers, rejects %v; want 6919, 2357, none", len(c.rows), len(ids), c.rejects)
	}
	first := c.rows[0]
	if first.Customer != "0001" || !first.Time.Equal(utc(1997, 1, 1, 0, 0, 0)) || first.Amount != 293300 || first.Quantity != 2 {
		t.Fatalf("first row %+v", first)
	}
}

// failAt is a Handler whose Record fails on one order ID.
type failAt struct {
	collect
	order string
}

var errBoom = errors.New("boom")

func (f *failAt) Record(r *Record) error {
	if string(r.Order) == f.order {
		return errBoom
	}
	return f.collect.Record(r)
}

func TestReadParallelErrors(t *testing.T) {
	smallParts(t)
	src := BytesSource("big.csv", bigCSV(40000, -1), Options{}, "")
	_, err := ReadParallel(context.Background(), src, 3, func() Handler { return &failAt{order: "o39000"} })
	if !errors.Is(err, errBoom) || !strings.Contains(err.Error(), "big.csv") {
		t.Fatalf("err = %v, want the handler's error with the source name", err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, err := ReadParallel(ctx, src, 3, func() Handler { return &collect{} }); !errors.Is(err, context.Canceled) {
		t.Fatalf("cancelled: err = %v", err)
	}
}
