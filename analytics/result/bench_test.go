package result

import (
	"io"
	"testing"
)

func benchWriter(b *testing.B, newW func(io.Writer, []Column) (CustomerWriter, error)) {
	r := row
	r.Customer = "C0001234567"
	r.PAlive = 0.5
	for b.Loop() {
		w, err := newW(io.Discard, allCols)
		if err != nil {
			b.Fatal(err)
		}
		for i := 0; i < 1_000_000; i++ {
			if err := w.Write(&r); err != nil {
				b.Fatal(err)
			}
		}
		if err := w.Close(); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkCSVWriter1M(b *testing.B)    { benchWriter(b, NewCSVWriter) }
func BenchmarkNDJSONWriter1M(b *testing.B) { benchWriter(b, NewNDJSONWriter) }
