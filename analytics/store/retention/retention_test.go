package retention

import (
	"fmt"
	"testing"
	"time"
)

// TestExpiredOrderAndTies: ties in finish time are broken by ID, so the
// decision is stable; no policy expires nothing.
func TestExpiredOrderAndTies(t *testing.T) {
	now := time.Date(2026, 1, 2, 0, 0, 0, 0, time.UTC)
	same := now.Add(-time.Hour)
	runs := []Run{{ID: "b", FinishedAt: same}, {ID: "a", FinishedAt: same}, {ID: "c", FinishedAt: now}}
	for _, tc := range []struct {
		p    Policy
		want string
	}{
		{Policy{}, "[]"},
		{Policy{KeepRuns: 2}, "[a]"},
		{Policy{KeepRuns: 1, Current: "a"}, "[b]"},
		{Policy{MaxAge: time.Minute}, "[b a]"},
	} {
		if got := Expired(runs, tc.p, now); fmt.Sprint(got) != tc.want {
			t.Errorf("%+v: %v, want %s", tc.p, got, tc.want)
		}
	}
}
