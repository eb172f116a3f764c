// Package retention decides which stored runs are past their keep: the
// newest KeepRuns, none older than MaxAge. It is a pure function of the runs
// and the time, so every store (PostgreSQL run history, object-store run
// folders) and the reconcilers (Jobs, ConfigMaps) apply one rule, and it is
// tested under a fake clock.
package retention

import (
	"slices"
	"strings"
	"time"
)

// Run is one stored run.
type Run struct {
	ID         string
	FinishedAt time.Time
}

// Policy is a retention rule. Zero fields are no limit.
type Policy struct {
	// KeepRuns keeps at most this many newest runs (0: no count limit).
	KeepRuns int
	// MaxAge deletes runs that finished more than MaxAge before now (0: no age limit).
	MaxAge time.Duration
	// Current is the run being written; it is always kept.
	Current string
}

// Expired returns the IDs of the runs the policy deletes at now, newest
// first. A run exactly MaxAge old is kept; one a nanosecond older is not.
func Expired(runs []Run, p Policy, now time.Time) []string {
	sorted := slices.Clone(runs)
	slices.SortFunc(sorted, func(a, b Run) int {
		if c := b.FinishedAt.Compare(a.FinishedAt); c != 0 {
			return c
		}
		return strings.Compare(b.ID, a.ID)
	})
	var out []string
	for i, r := range sorted {
		if r.ID == p.Current {
			continue
		}
		tooMany := p.KeepRuns > 0 && i >= p.KeepRuns
		tooOld := p.MaxAge > 0 && now.Sub(r.FinishedAt) > p.MaxAge
		if tooMany || tooOld {
			out = append(out, r.ID)
		}
	}
	return out
}

// NextExpiry is when the oldest kept run passes MaxAge (zero when none will:
// no age limit, or nothing kept).
func NextExpiry(runs []Run, p Policy, now time.Time) time.Time {
	if p.MaxAge <= 0 {
		return time.Time{}
	}
	gone := map[string]bool{}
	for _, id := range Expired(runs, p, now) {
		gone[id] = true
	}
	var next time.Time
	for _, r := range runs {
		if gone[r.ID] || r.ID == p.Current {
			continue
		}
		at := r.FinishedAt.Add(p.MaxAge + time.Nanosecond)
		if next.IsZero() || at.Before(next) {
			next = at
		}
	}
	return next
}
