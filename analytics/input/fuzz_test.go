package input

import (
	"bytes"
	"context"
	"math/big"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/txn"
)

// FuzzCSV checks that no input crashes the reader, that line numbers only grow,
// and that a parallel read of quote-free input equals the sequential read.
func FuzzCSV(f *testing.F) {
	f.Add([]byte("customer,time,amount\nc1,2024-01-01,1.5\n"), ",", false)
	f.Add([]byte("\"a\"\"b\",\"2024-01-01\",\"1\"\r\n\"x\ny\",2024-01-02,2\n"), ",", true)
	f.Add([]byte(" 00004 0001 19970101  2   29.33\r\n 00004 0001 19970118  2   29.73\r\n"), "whitespace", true)
	f.Add([]byte("c;t;a\n1;20240101;1,5\n;;\n\n"), ";", false)
	f.Add([]byte("\"unterminated,2024-01-01,1\n"), ",", true)
	f.Add([]byte("a|b|c\n\"x\"y|1|2\n|||\n"), "|", false)
	f.Fuzz(func(t *testing.T, data []byte, delim string, noHeader bool) {
		if _, err := delimiterByte(delim); err != nil {
			return
		}
		opts := Options{Delimiter: delim, NoHeader: noHeader, Mapping: Mapping{Customer: Column{Index: 1}, Time: Column{Index: 2}, Amount: Column{Index: 3}}}
		src := BytesSource("fuzz", data, opts, "")
		seq := &collect{}
		if err := Read(context.Background(), src, seq); err != nil {
			return // source-level errors (e.g. no header) are fine
		}
		var last int64
		check := func(line int64) {
			if line < 1 || line < last {
				t.Fatalf("line %d after %d", line, last)
			}
			last = line
		}
		for _, l := range seq.lines {
			check(l)
		}
		if n := int64(bytes.Count(data, []byte{'\n'})) + 1; last > n {
			t.Fatalf("line %d beyond the %d lines of the input", last, n)
		}
		if len(seq.rows)+len(seq.rejects) > bytes.Count(data, []byte{'\n'})+1 {
			t.Fatalf("%d rows and %d rejects from %d lines", len(seq.rows), len(seq.rejects), bytes.Count(data, []byte{'\n'})+1)
		}
		if bytes.IndexByte(data, '"') < 0 {
			old := minPartBytes
			minPartBytes = 8
			parts, err := ReadParallel(context.Background(), src, 3, func() Handler { return &collect{} })
			minPartBytes = old
			if err != nil {
				t.Fatalf("parallel read failed where sequential did not: %v", err)
			}
			gotRows, gotRej := flatten(parts)
			wantRows, wantRej := flatten([]Part{{Handler: seq}})
			if strings.Join(gotRows, "\n") != strings.Join(wantRows, "\n") || strings.Join(gotRej, "\n") != strings.Join(wantRej, "\n") {
				t.Fatalf("parallel differs:\n%q\n%q\nvs\n%q\n%q", gotRows, gotRej, wantRows, wantRej)
			}
		}
	})
}

// FuzzAmount compares ParseAmount with exact rational arithmetic.
func FuzzAmount(f *testing.F) {
	for _, s := range []string{"12.5", "-0.00005", "1,234.50", "1.234,5", "+.5", "99999999999999.9999", "1e5", "0x10", " 3 "} {
		f.Add(s, byte(0), byte(','))
	}
	f.Fuzz(func(t *testing.T, s string, dec, thou byte) {
		// Only separator combinations Options.Validate accepts.
		if err := (Options{DecimalSeparator: dec, ThousandsSeparator: thou}).Validate(); err != nil {
			return
		}
		m, err := ParseAmount([]byte(s), dec, thou)
		if err != nil {
			return
		}
		// Oracle: strip grouping, normalise the decimal point, and let big.Rat
		// do exact arithmetic with the same rounding rule.
		norm := strings.TrimSpace(strings.Trim(s, "\t\r"))
		if thou != 0 {
			norm = strings.ReplaceAll(norm, string(thou), "")
		}
		if dec == ',' {
			norm = strings.ReplaceAll(norm, ",", ".")
		}
		if strings.HasSuffix(norm, ".") {
			norm += "0"
		}
		if strings.HasPrefix(norm, ".") || strings.HasPrefix(norm, "-.") || strings.HasPrefix(norm, "+.") {
			norm = strings.Replace(norm, ".", "0.", 1)
		}
		r, ok := new(big.Rat).SetString(norm)
		if !ok {
			t.Fatalf("ParseAmount(%q) = %v but %q is not a decimal", s, m, norm)
		}
		r.Mul(r, big.NewRat(txn.MoneyScale, 1))
		// Round half away from zero.
		num, den := new(big.Int).Abs(r.Num()), r.Denom()
		q, rem := new(big.Int).QuoRem(num, den, new(big.Int))
		if new(big.Int).Mul(rem, big.NewInt(2)).Cmp(den) >= 0 {
			q.Add(q, big.NewInt(1))
		}
		if r.Sign() < 0 {
			q.Neg(q)
		}
		if !q.IsInt64() || q.Int64() != int64(m) {
			t.Fatalf("ParseAmount(%q, %q, %q) = %d, exact %s", s, dec, thou, m, q)
		}
	})
}

// FuzzTime checks TimeParser against the standard library on the layouts both
// understand.
func FuzzTime(f *testing.F) {
	for _, s := range []string{"2024-03-05T14:22:10Z", "2024-03-05T14:22:10.123456789+05:30", "2024-03-05", "20240305",
		"2024-03-05 14:22:10", "1700000000", "-1", "2024-02-30", "0000-01-01T00:00:00Z"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, err := TimeParser{}.Parse([]byte(s))
		trimmed := strings.Trim(s, " \t\r")
		for _, layout := range []string{time.RFC3339Nano, "2006-01-02", "2006-01-02 15:04:05", "20060102"} {
			want, werr := time.Parse(layout, trimmed)
			if werr != nil || (layout == time.RFC3339Nano && strings.ContainsAny(trimmed[10:], "t ")) {
				continue
			}
			// time.Parse also accepts one-digit hours and short fields; the
			// documented layouts have fixed-width fields, so compare only those.
			if len(trimmed) < len(layout) && layout != time.RFC3339Nano || len(trimmed) > 10 && !fixedClock(trimmed) || layout == "20060102" && len(trimmed) != 8 {
				continue
			}
			if badOffset(trimmed) {
				continue // time.Parse accepts "+00:60"; RFC 3339 does not, and neither do we
			}
			if err != nil || !got.Equal(want) {
				t.Fatalf("Parse(%q) = %v, %v; time.Parse(%q) = %v", s, got, err, layout, want)
			}
		}
	})
}

// fixedClock reports whether s has two-digit hh:mm:ss at positions 11–18.
func fixedClock(s string) bool {
	return len(s) >= 19 && s[13] == ':' && s[16] == ':' && digitsAt([]byte(s), 11, 2) && digitsAt([]byte(s), 14, 2) && digitsAt([]byte(s), 17, 2)
}

// badOffset reports a trailing ±hh:mm zone offset with hh > 23 or mm > 59.
func badOffset(s string) bool {
	n := len(s)
	if n < 6 || (s[n-6] != '+' && s[n-6] != '-') || s[n-3] != ':' || !digitsAt([]byte(s), n-5, 2) || !digitsAt([]byte(s), n-2, 2) {
		return false
	}
	return num([]byte(s[n-5:n-3])) > 23 || num([]byte(s[n-2:])) > 59
}
