package aggregate

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"testing"

	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/sample"
)

// benchFile generates (once, cached in the temp dir) a shop of about rows lines.
func benchFile(b *testing.B, rows int) string {
	b.Helper()
	// The generator version in the name keeps a changed generator from reusing a stale file.
	path := filepath.Join(os.TempDir(), fmt.Sprintf("crmlens-bench-v2-%d.csv", rows))
	if _, err := os.Stat(path); err == nil {
		return path
	}
	f, err := os.Create(path + ".tmp")
	if err != nil {
		b.Fatal(err)
	}
	if _, err := sample.Generate(sample.DefaultConfig(rows/10), f); err != nil {
		b.Fatal(err)
	}
	if err := f.Close(); err != nil {
		b.Fatal(err)
	}
	if err := os.Rename(path+".tmp", path); err != nil {
		b.Fatal(err)
	}
	return path
}

func benchBuild(b *testing.B, rows int, history bool) {
	path := benchFile(b, rows)
	st, _ := os.Stat(path)
	for _, w := range []int{1, 2} {
		b.Run(fmt.Sprintf("workers=%d", w), func(b *testing.B) {
			b.SetBytes(st.Size())
			var n int64
			b.ReportAllocs()
			for b.Loop() {
				set, err := Build(context.Background(), []input.Source{input.FileSource(path, input.Options{}, "")}, Options{Workers: w, History: history})
				if err != nil {
					b.Fatal(err)
				}
				n = set.Rows
			}
			b.ReportMetric(float64(n)*float64(b.N)/b.Elapsed().Seconds(), "rows/s")
		})
	}
}

// BenchmarkBuild10k aggregates a 10k-row shop (1k customers).
func BenchmarkBuild10k(b *testing.B) { benchBuild(b, 10_000, false) }

// BenchmarkBuild1M aggregates a 1M-row shop (100k customers).
func BenchmarkBuild1M(b *testing.B) { benchBuild(b, 1_000_000, false) }

// BenchmarkBuild1MHistory is BenchmarkBuild1M keeping purchase-day history.
func BenchmarkBuild1MHistory(b *testing.B) { benchBuild(b, 1_000_000, true) }
