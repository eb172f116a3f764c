package runner

import (
	"bytes"
	"compress/gzip"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"sort"

	"github.com/crmlens/crmlens/internal/runplan"
)

// Assignments is each customer's segment in one run, with customers kept only
// as 64-bit keyed hashes (HMAC-SHA256 keyed by StateHashKey: a secret and the owner's UID): enough to
// follow a customer from run to run, never the ID itself. Collisions among a
// million customers are expected about 3·10⁻⁸ times, far below any count shown.
type Assignments struct {
	Segments []string          // segment names; index 0 is unused ("")
	ByHash   map[uint64]uint16 // customer hash → segment index
}

// Len is the number of customers.
func (a *Assignments) Len() int { return len(a.ByHash) }

// Tracker collects assignments from the per-customer stream.
type Tracker struct {
	key   []byte
	a     *Assignments
	index map[string]uint16
}

// NewTracker returns a tracker hashing with key (StateHashKey).
func NewTracker(key string) *Tracker {
	return &Tracker{key: []byte(key), a: &Assignments{Segments: []string{""}, ByHash: map[uint64]uint16{}}, index: map[string]uint16{}}
}

// Add records one customer's segment.
func (t *Tracker) Add(customer, segment string) {
	idx, ok := t.index[segment]
	if !ok {
		idx = uint16(len(t.a.Segments))
		t.a.Segments = append(t.a.Segments, segment)
		t.index[segment] = idx
	}
	t.a.ByHash[HashCustomer(string(t.key), customer)] = idx
}

// Assignments returns what was collected.
func (t *Tracker) Assignments() *Assignments { return t.a }

const assignMagic = "crmlens-assign-v1\n"

// Encode serialises the assignments (gzip; hashes sorted so equal input gives
// equal bytes).
func (a *Assignments) Encode() ([]byte, error) {
	var raw bytes.Buffer
	raw.WriteString(assignMagic)
	// Appended with encoding/binary's Append functions: writing into memory
	// cannot fail, so there is no error to lose.
	buf := binary.BigEndian.AppendUint16(nil, uint16(len(a.Segments)))
	for _, s := range a.Segments {
		buf = binary.BigEndian.AppendUint16(buf, uint16(len(s)))
		buf = append(buf, s...)
	}
	hs := make([]uint64, 0, len(a.ByHash))
	for h := range a.ByHash {
		hs = append(hs, h)
	}
	sort.Slice(hs, func(i, j int) bool { return hs[i] < hs[j] })
	buf = binary.BigEndian.AppendUint64(buf, uint64(len(hs)))
	for _, h := range hs {
		buf = binary.BigEndian.AppendUint64(buf, h)
		buf = binary.BigEndian.AppendUint16(buf, a.ByHash[h])
	}
	raw.Write(buf)
	var out bytes.Buffer
	zw := gzip.NewWriter(&out)
	if _, err := zw.Write(raw.Bytes()); err != nil {
		return nil, fmt.Errorf("compress assignments: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, fmt.Errorf("compress assignments: %w", err)
	}
	return out.Bytes(), nil
}

// DecodeAssignments reads what Encode wrote.
func DecodeAssignments(b []byte) (*Assignments, error) {
	zr, err := gzip.NewReader(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("assignments: %w", err)
	}
	raw, err := io.ReadAll(io.LimitReader(zr, 64<<20))
	if err != nil {
		return nil, fmt.Errorf("assignments: %w", err)
	}
	if !bytes.HasPrefix(raw, []byte(assignMagic)) {
		return nil, errors.New("assignments: unknown format")
	}
	r := bytes.NewReader(raw[len(assignMagic):])
	var ns uint16
	if err := binary.Read(r, binary.BigEndian, &ns); err != nil {
		return nil, fmt.Errorf("assignments: %w", err)
	}
	a := &Assignments{ByHash: map[uint64]uint16{}}
	for i := 0; i < int(ns); i++ {
		var l uint16
		if err := binary.Read(r, binary.BigEndian, &l); err != nil {
			return nil, fmt.Errorf("assignments: %w", err)
		}
		s := make([]byte, l)
		if _, err := io.ReadFull(r, s); err != nil {
			return nil, fmt.Errorf("assignments: %w", err)
		}
		a.Segments = append(a.Segments, string(s))
	}
	var n uint64
	if err := binary.Read(r, binary.BigEndian, &n); err != nil {
		return nil, fmt.Errorf("assignments: %w", err)
	}
	for i := uint64(0); i < n; i++ {
		var h uint64
		var idx uint16
		if err := binary.Read(r, binary.BigEndian, &h); err != nil {
			return nil, fmt.Errorf("assignments: %w", err)
		}
		if err := binary.Read(r, binary.BigEndian, &idx); err != nil {
			return nil, fmt.Errorf("assignments: %w", err)
		}
		if int(idx) >= len(a.Segments) {
			return nil, fmt.Errorf("assignments: segment index %d out of range", idx)
		}
		a.ByHash[h] = idx
	}
	return a, nil
}

// Migrate counts customers by (previous segment → current segment), only
// for customers whose segment changed or who are new (From ""). Customers
// who left the analysis are counted with To "" . Sorted by count, then names.
func Migrate(prev, cur *Assignments) []runplan.Migration {
	counts := map[[2]string]int64{}
	for h, ci := range cur.ByHash {
		from := ""
		if pi, ok := prev.ByHash[h]; ok {
			from = prev.Segments[pi]
		}
		to := cur.Segments[ci]
		if from != to {
			counts[[2]string{from, to}]++
		}
	}
	for h, pi := range prev.ByHash {
		if _, ok := cur.ByHash[h]; !ok {
			counts[[2]string{prev.Segments[pi], ""}]++
		}
	}
	out := make([]runplan.Migration, 0, len(counts))
	for k, n := range counts {
		out = append(out, runplan.Migration{From: k[0], To: k[1], Customers: n})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Customers != out[j].Customers {
			return out[i].Customers > out[j].Customers
		}
		if out[i].From != out[j].From {
			return out[i].From < out[j].From
		}
		return out[i].To < out[j].To
	})
	return out
}
