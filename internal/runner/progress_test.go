package runner

import (
	"io"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/go-logr/logr/funcr"

	"github.com/crmlens/crmlens/analytics/engine"
	"github.com/crmlens/crmlens/analytics/input"
)

func TestEstimate(t *testing.T) {
	for _, tc := range []struct {
		name              string
		rows, read, total int64
		elapsed           time.Duration
		wantRate, wantETA float64
		wantKnown         bool
	}{
		{"quarter read in 10 s", 2_000_000, 250, 1000, 10 * time.Second, 200_000, 30, true},
		{"half read", 1_000_000, 500, 1000, 4 * time.Second, 250_000, 4, true},
		{"size unknown", 1_000_000, 500, 0, 4 * time.Second, 250_000, 0, false},
		{"nothing read yet", 0, 0, 1000, time.Second, 0, 0, false},
		{"overlapping re-reads past the end", 3_000_000, 1100, 1000, 6 * time.Second, 500_000, 0, true},
		{"no time elapsed", 10, 10, 100, 0, 0, 0, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			rate, eta, known := Estimate(tc.rows, tc.read, tc.total, tc.elapsed)
			if math.Abs(rate-tc.wantRate) > 1e-9 || math.Abs(eta-tc.wantETA) > 1e-9 || known != tc.wantKnown {
				t.Errorf("Estimate = %g rows/s, ETA %g s (%v); want %g, %g (%v)", rate, eta, known, tc.wantRate, tc.wantETA, tc.wantKnown)
			}
		})
	}
}

// The progress log of a long read carries phase, rows, rate and, once the
// sources' sizes are known, bytes and ETA; other phases are logged as they
// come; reads are logged at most every million rows.
func TestProgressLogsRateAndETA(t *testing.T) {
	var lines []string
	log := funcr.New(func(prefix, args string) { lines = append(lines, args) }, funcr.Options{})
	clock := time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)
	p := &Progress{Log: log, Now: func() time.Time { return clock }}
	data := strings.Repeat("x", 1000)
	srcs := p.Wrap([]input.Source{input.BytesSource("a.csv", []byte(data), input.Options{}, "")})

	// Before the source is opened its size is unknown: rate only.
	clock = clock.Add(5 * time.Second)
	p.Event(engine.Event{Stage: "read", Rows: 1_000_000})
	ra, err := srcs[0].OpenAt()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := ra.ReadAt(make([]byte, 250), 0); err != nil {
		t.Fatal(err)
	}
	p.Event(engine.Event{Stage: "read", Rows: 1_500_000}) // too soon after the last line
	clock = clock.Add(5 * time.Second)
	p.Event(engine.Event{Stage: "read", Rows: 2_000_000})
	// A second open (parallel readers) neither adds to the size nor loses bytes.
	rc, err := srcs[0].Open()
	if err != nil {
		t.Fatal(err)
	}
	if n, _ := io.Copy(io.Discard, io.LimitReader(rc, 250)); n != 250 {
		t.Fatalf("read %d", n)
	}
	if _, err := srcs[0].OpenAt(); err != nil {
		t.Fatal(err)
	}
	clock = clock.Add(10 * time.Second)
	p.Event(engine.Event{Stage: "read", Rows: 4_000_000})
	p.Event(engine.Event{Stage: "analyze", Msg: "analysing"})

	want := []string{
		`"phase"="read" "rows"=1000000 "rowsPerSecond"=200000 "elapsedSeconds"=5`,
		`"phase"="read" "rows"=2000000 "rowsPerSecond"=200000 "elapsedSeconds"=10 "bytesRead"=250 "bytesTotal"=1000 "etaSeconds"=30`,
		`"phase"="read" "rows"=4000000 "rowsPerSecond"=200000 "elapsedSeconds"=20 "bytesRead"=500 "bytesTotal"=1000 "etaSeconds"=20`,
		`"phase"="analyze" "detail"="analysing"`,
	}
	if len(lines) != len(want) {
		t.Fatalf("logged %d lines, want %d:\n%s", len(lines), len(want), strings.Join(lines, "\n"))
	}
	for i := range want {
		if !strings.Contains(lines[i], want[i]) {
			t.Errorf("line %d = %s\nwant it to contain %s", i, lines[i], want[i])
		}
	}
}
