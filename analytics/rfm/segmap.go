package rfm

import (
	"bufio"
	"bytes"
	_ "embed"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"strings"
)

//go:embed segments.csv
var standardCSV []byte

// SegmentMap assigns each of the 125 R-F-M codes to a named segment.
type SegmentMap struct {
	names []string  // segment names in order of first appearance in the map
	byKey [125]int8 // index into names for each code, see codeIndex
}

// Standard returns the standard 11-segment map embedded in the binary
// (segments.csv in this package).
func Standard() *SegmentMap {
	m, err := ParseSegmentMap(bytes.NewReader(standardCSV))
	if err != nil {
		panic(fmt.Sprintf("rfm: embedded segment map is invalid: %v", err))
	}
	return m
}

// StandardCSV returns the text of the standard map, as a template for custom maps.
func StandardCSV() []byte { return bytes.Clone(standardCSV) }

// ParseSegmentMap reads a segment map: CSV rows "code,segment", where code is
// the three scores R, F and M (each 1–5) written together, e.g. "545", or "*"
// for the default segment of codes not listed. Lines starting with '#' are
// comments and an optional "code,segment" header is skipped. Every code must
// be listed exactly once unless a default is given. Segments are listed in
// the order they first appear (the standard map runs from 555 down, so
// Champions come first).
func ParseSegmentMap(r io.Reader) (*SegmentMap, error) {
	cr := csv.NewReader(bufio.NewReader(r))
	cr.Comment = '#'
	cr.FieldsPerRecord = -1
	cr.TrimLeadingSpace = true
	m := &SegmentMap{}
	for i := range m.byKey {
		m.byKey[i] = -1
	}
	index := map[string]int8{}
	def := int8(-1)
	seen := 0
	for {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("segment map: %w", err)
		}
		line, _ := cr.FieldPos(0)
		if len(rec) != 2 {
			return nil, fmt.Errorf("segment map line %d: want 2 fields \"code,segment\", got %d", line, len(rec))
		}
		code, name := strings.TrimSpace(rec[0]), strings.TrimSpace(rec[1])
		if strings.EqualFold(code, "code") && strings.EqualFold(name, "segment") {
			continue
		}
		if name == "" {
			return nil, fmt.Errorf("segment map line %d: empty segment name", line)
		}
		idx, ok := index[name]
		if !ok {
			if len(m.names) == 127 {
				return nil, fmt.Errorf("segment map line %d: more than 127 segments", line)
			}
			idx = int8(len(m.names))
			index[name] = idx
			m.names = append(m.names, name)
		}
		if code == "*" {
			if def >= 0 {
				return nil, fmt.Errorf("segment map line %d: default '*' given twice", line)
			}
			def = idx
			continue
		}
		k, err := parseCode(code)
		if err != nil {
			return nil, fmt.Errorf("segment map line %d: %w", line, err)
		}
		if m.byKey[k] >= 0 {
			return nil, fmt.Errorf("segment map line %d: code %s listed twice", line, code)
		}
		m.byKey[k] = idx
		seen++
	}
	if seen < 125 {
		if def < 0 {
			var missing []string
			for k, v := range m.byKey {
				if v < 0 {
					missing = append(missing, codeString(k))
				}
			}
			if len(missing) > 5 {
				missing = append(missing[:5], "…")
			}
			return nil, fmt.Errorf("segment map: %d of 125 codes not mapped (%s) and no default '*'", 125-seen, strings.Join(missing, ", "))
		}
		for k, v := range m.byKey {
			if v < 0 {
				m.byKey[k] = def
			}
		}
	}
	return m, nil
}

// Names returns the segment names in the order they first appear in the map.
func (m *SegmentMap) Names() []string { return append([]string(nil), m.names...) }

// Segment returns the segment name of a score triple.
func (m *SegmentMap) Segment(s Scores) string { return m.names[m.index(s)] }

func (m *SegmentMap) index(s Scores) int { return int(m.byKey[s.key()]) }

func parseCode(code string) (int, error) {
	if len(code) != 3 {
		return 0, fmt.Errorf("code %q: want three digits 1-5 (R, F, M)", code)
	}
	k := 0
	for i := 0; i < 3; i++ {
		d := code[i]
		if d < '1' || d > '5' {
			return 0, fmt.Errorf("code %q: want three digits 1-5 (R, F, M)", code)
		}
		k = k*5 + int(d-'1')
	}
	return k, nil
}

func codeString(k int) string {
	return string([]byte{byte('1' + k/25), byte('1' + k/5%5), byte('1' + k%5)})
}
