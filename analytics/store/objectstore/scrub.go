package objectstore

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"errors"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/parquet-go/parquet-go"
)

// scrub returns body without the customers' lines, the number removed, and
// whether the whole object must go instead.
func scrub(name string, body []byte, drop map[string]bool) ([]byte, int64, bool, error) {
	switch {
	case name == CustomersCSV:
		return scrubCSV(body, drop)
	case name == CustomersParquet:
		return scrubParquet(body, drop)
	case path.Ext(name) == ".ndjson" || path.Ext(name) == ".jsonl":
		return scrubNDJSON(body, drop)
	case path.Ext(name) == ".json":
		return scrubJSON(body, drop)
	case path.Ext(name) == ".csv":
		if out, n, del, err := scrubCSV(body, drop); err == nil {
			return out, n, del, nil
		}
	}
	if mentionsAny(string(body), drop) {
		return nil, 1, true, nil
	}
	return body, 0, false, nil
}

func scrubCSV(body []byte, drop map[string]bool) ([]byte, int64, bool, error) {
	r := csv.NewReader(bytes.NewReader(body))
	r.FieldsPerRecord = -1
	head, err := r.Read()
	if errors.Is(err, io.EOF) {
		return body, 0, false, nil
	}
	if err != nil {
		return nil, 0, false, err
	}
	col := slices.Index(head, "customer")
	if col < 0 {
		return nil, 0, false, errors.New("no customer column")
	}
	var out bytes.Buffer
	w := csv.NewWriter(&out)
	_ = w.Write(head)
	var n int64
	for {
		rec, err := r.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, false, err
		}
		if col < len(rec) && drop[rec[col]] {
			n++
			continue
		}
		_ = w.Write(rec)
	}
	w.Flush()
	if n == 0 {
		return body, 0, false, nil
	}
	return out.Bytes(), n, false, w.Error()
}

func scrubParquet(body []byte, drop map[string]bool) ([]byte, int64, bool, error) {
	r := parquet.NewGenericReader[parquetRow](bytes.NewReader(body))
	defer r.Close()
	rows := make([]parquetRow, r.NumRows())
	read := 0
	for read < len(rows) {
		k, err := r.Read(rows[read:])
		read += k
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, 0, false, err
		}
		if k == 0 {
			break
		}
	}
	rows = rows[:read]
	kept := rows[:0]
	var n int64
	for _, row := range rows {
		if drop[row.Customer] {
			n++
			continue
		}
		kept = append(kept, row)
	}
	if n == 0 {
		return body, 0, false, nil
	}
	var out bytes.Buffer
	w := parquet.NewGenericWriter[parquetRow](&out)
	if _, err := w.Write(kept); err != nil {
		return nil, 0, false, err
	}
	if err := w.Close(); err != nil {
		return nil, 0, false, err
	}
	return out.Bytes(), n, false, nil
}

// scrubJSON removes, from every array, the elements that name a customer
// (an object with a string field equal to one of the IDs, or the ID string
// itself), and blanks any other string equal to one.
func scrubJSON(body []byte, drop map[string]bool) ([]byte, int64, bool, error) {
	mentioned := false
	for id := range drop {
		if bytes.Contains(body, []byte(id)) {
			mentioned = true
			break
		}
	}
	if !mentioned {
		return body, 0, false, nil
	}
	var v any
	if err := json.Unmarshal(body, &v); err != nil {
		// Not JSON after all: it names a customer, so it goes.
		return nil, 1, true, nil //nolint:nilerr // deletion is the answer
	}
	var n int64
	v = scrubValue(v, drop, &n)
	if n == 0 {
		return body, 0, false, nil
	}
	out, err := json.MarshalIndent(v, "", "  ")
	return out, n, false, err
}

// ScrubJSON is scrubJSON for callers outside the package (result documents
// kept elsewhere, such as a ConfigMap or a CLI user's files).
func ScrubJSON(body []byte, ids []string) ([]byte, int64, error) {
	drop := map[string]bool{}
	for _, id := range ids {
		drop[id] = true
	}
	out, n, _, err := scrubJSON(body, drop)
	return out, n, err
}

func scrubValue(v any, drop map[string]bool, n *int64) any {
	switch x := v.(type) {
	case []any:
		kept := x[:0]
		for _, e := range x {
			if names(e, drop) {
				*n++
				continue
			}
			kept = append(kept, scrubValue(e, drop, n))
		}
		return kept
	case map[string]any:
		for k, e := range x {
			x[k] = scrubValue(e, drop, n)
		}
		return x
	case string:
		if mentionsAny(x, drop) {
			*n++
			return ""
		}
	}
	return v
}

// Mentions reports whether s holds one of ids as a whole token (not inside
// a longer word), so short IDs do not match unrelated text.
func Mentions(s string, ids []string) bool {
	for _, id := range ids {
		if mentions(s, id) {
			return true
		}
	}
	return false
}

func mentionsAny(s string, drop map[string]bool) bool {
	if drop[s] {
		return true
	}
	for id := range drop {
		if mentions(s, id) {
			return true
		}
	}
	return false
}

func mentions(s, id string) bool {
	if id == "" {
		return false
	}
	for i := 0; ; {
		j := strings.Index(s[i:], id)
		if j < 0 {
			return false
		}
		at := i + j
		end := at + len(id)
		if (at == 0 || !wordByte(s[at-1])) && (end == len(s) || !wordByte(s[end])) {
			return true
		}
		i = at + 1
	}
}

func wordByte(b byte) bool {
	return b == '_' || b == '-' || b >= '0' && b <= '9' || b >= 'a' && b <= 'z' || b >= 'A' && b <= 'Z'
}

// names reports whether an array element identifies a customer.
func names(e any, drop map[string]bool) bool {
	switch x := e.(type) {
	case string:
		return mentionsAny(x, drop)
	case map[string]any:
		for _, f := range x {
			if s, ok := f.(string); ok && mentionsAny(s, drop) {
				return true
			}
		}
	}
	return false
}

// scrubNDJSON drops the lines (one JSON object each) whose customer field
// names one of the customers.
func scrubNDJSON(body []byte, drop map[string]bool) ([]byte, int64, bool, error) {
	var out bytes.Buffer
	var n int64
	for _, line := range bytes.SplitAfter(body, []byte("\n")) {
		if len(bytes.TrimSpace(line)) == 0 {
			out.Write(line)
			continue
		}
		var row struct {
			Customer string `json:"customer"`
		}
		if err := json.Unmarshal(line, &row); err != nil {
			return nil, 0, false, err
		}
		if drop[row.Customer] {
			n++
			continue
		}
		out.Write(line)
	}
	if n == 0 {
		return body, 0, false, nil
	}
	return out.Bytes(), n, false, nil
}

// ScrubFile removes the customers from one result file, chosen by its name:
// customers.csv or any CSV with a customer column, customers.parquet,
// NDJSON per-customer rows, JSON documents. Any other file that names one
// of them must go whole (remove). removed counts the lines or entries
// taken out.
func ScrubFile(name string, body []byte, ids []string) (out []byte, removed int64, remove bool, err error) {
	drop := map[string]bool{}
	for _, id := range ids {
		drop[id] = true
	}
	if path.Ext(name) == ".parquet" {
		return scrubParquet(body, drop)
	}
	return scrub(path.Base(name), body, drop)
}
