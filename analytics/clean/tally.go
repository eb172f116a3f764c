package clean

import (
	"slices"

	"github.com/crmlens/crmlens/analytics/txn"
)

// SamplesPerReason is how many offending rows are kept per reject reason.
const SamplesPerReason = 5

// Tally counts rejected rows by reason and keeps the first SamplesPerReason
// samples of each. The zero value is ready to use; it is not safe for
// concurrent use (give each goroutine its own and Merge them).
type Tally struct {
	Counts  map[txn.RejectReason]int64
	Samples []txn.RejectSample // in the order they were added
	kept    map[txn.RejectReason]int
}

// Add counts one rejected row.
func (t *Tally) Add(source string, line int64, reason txn.RejectReason, detail string) {
	if t.Counts == nil {
		t.Counts = map[txn.RejectReason]int64{}
		t.kept = map[txn.RejectReason]int{}
	}
	t.Counts[reason]++
	if t.kept[reason] < SamplesPerReason {
		t.kept[reason]++
		t.Samples = append(t.Samples, txn.RejectSample{Source: source, Line: line, Reason: reason, Detail: detail})
	}
}

// Merge adds o's counts and samples after t's; lineOffset is added to o's sample
// lines (for parts of one source that counted lines from 1).
func (t *Tally) Merge(o *Tally, lineOffset int64) {
	for r, n := range o.Counts {
		if t.Counts == nil {
			t.Counts = map[txn.RejectReason]int64{}
			t.kept = map[txn.RejectReason]int{}
		}
		t.Counts[r] += n
	}
	for _, s := range o.Samples {
		if t.kept[s.Reason] < SamplesPerReason {
			t.kept[s.Reason]++
			s.Line += lineOffset
			t.Samples = append(t.Samples, s)
		}
	}
}

// Total is the number of rejected rows.
func (t *Tally) Total() int64 {
	var n int64
	for _, c := range t.Counts {
		n += c
	}
	return n
}

// SortedSamples returns the samples ordered by reason, then source order of
// arrival — a stable order for result documents.
func (t *Tally) SortedSamples() []txn.RejectSample {
	s := slices.Clone(t.Samples)
	slices.SortStableFunc(s, func(a, b txn.RejectSample) int {
		if a.Reason < b.Reason {
			return -1
		}
		if a.Reason > b.Reason {
			return 1
		}
		return 0
	})
	return s
}
