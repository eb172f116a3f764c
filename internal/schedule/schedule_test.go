package schedule

import (
	"errors"
	"testing"
	"time"
)

func mustLoc(t *testing.T, name string) *time.Location {
	t.Helper()
	l, err := time.LoadLocation(name)
	if err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
	return l
}

func utc(y int, mo time.Month, d, h, mi, s int) time.Time {
	return time.Date(y, mo, d, h, mi, s, 0, time.UTC)
}

func ptr[T any](v T) *T { return &v }

func TestParseRejects(t *testing.T) {
	cases := []struct {
		spec, tz, field string
	}{
		{"", "", "spec.schedule"},
		{"TZ=UTC 0 * * * *", "", "spec.schedule"},
		{"CRON_TZ=Europe/Berlin 0 9 * * *", "", "spec.schedule"},
		{"0 9 * * *", "Mars/Olympus_Mons", "spec.timeZone"},
		{"0 9 * * *", "Local", "spec.timeZone"},
		{"* * * *", "", "spec.schedule"},         // four fields
		{"0 0 * * * *", "", "spec.schedule"},     // six fields: seconds are not CronJob syntax
		{"61 * * * *", "", "spec.schedule"},      // minute out of range
		{"0 25 * * *", "", "spec.schedule"},      // hour out of range
		{"@fortnightly", "", "spec.schedule"},    // unknown macro
		{"0 9 * * MON-FRY", "", "spec.schedule"}, // bad day name
	}
	for _, c := range cases {
		_, err := Parse(c.spec, c.tz)
		if err == nil {
			t.Errorf("Parse(%q, %q) accepted", c.spec, c.tz)
			continue
		}
		var e *Error
		if !errors.As(err, &e) || !IsInvalid(err) {
			t.Errorf("Parse(%q, %q) error %T, want *Error", c.spec, c.tz, err)
			continue
		}
		if e.Field != c.field {
			t.Errorf("Parse(%q, %q) field %q, want %q (%v)", c.spec, c.tz, e.Field, c.field, err)
		}
	}
}

func TestParseAccepts(t *testing.T) {
	for _, spec := range []string{"0 * * * *", "*/15 9-17 * * 1-5", "@hourly", "@daily", "@weekly", "@monthly", "@yearly", "@midnight", "@every 90m", "0 9 * * MON"} {
		if _, err := Parse(spec, "Europe/Berlin"); err != nil {
			t.Errorf("Parse(%q) = %v", spec, err)
		}
	}
}

func TestNextAcrossDST(t *testing.T) {
	ny := mustLoc(t, "America/New_York")
	berlin := mustLoc(t, "Europe/Berlin")
	cases := []struct {
		name, spec, tz string
		from           time.Time
		want           []time.Time // successive Next results, in UTC
	}{
		{
			// 09:00 Berlin is 08:00 UTC in winter and 07:00 UTC from 29 March 2026.
			name: "daily across spring forward, Berlin", spec: "0 9 * * *", tz: "Europe/Berlin",
			from: time.Date(2026, 3, 27, 12, 0, 0, 0, berlin),
			want: []time.Time{utc(2026, 3, 28, 8, 0, 0), utc(2026, 3, 29, 7, 0, 0), utc(2026, 3, 30, 7, 0, 0)},
		},
		{
			// 02:30 does not exist in New York on 8 March 2026 (02:00 → 03:00):
			// the run of that day is skipped, as with CronJob.
			name: "time in the spring-forward gap is skipped", spec: "30 2 * * *", tz: "America/New_York",
			from: time.Date(2026, 3, 7, 3, 0, 0, 0, ny),
			want: []time.Time{utc(2026, 3, 9, 6, 30, 0), utc(2026, 3, 10, 6, 30, 0)},
		},
		{
			// 01:30 happens twice on 1 November 2026 (EDT, then EST): both run.
			name: "time in the fall-back overlap runs twice", spec: "30 1 * * *", tz: "America/New_York",
			from: time.Date(2026, 10, 31, 3, 0, 0, 0, ny),
			want: []time.Time{utc(2026, 11, 1, 5, 30, 0), utc(2026, 11, 1, 6, 30, 0), utc(2026, 11, 2, 6, 30, 0)},
		},
		{
			name: "weekly macro is Sunday midnight in the zone", spec: "@weekly", tz: "Asia/Tokyo",
			from: utc(2026, 11, 23, 0, 0, 0), // Monday
			want: []time.Time{utc(2026, 11, 28, 15, 0, 0), utc(2026, 12, 5, 15, 0, 0)},
		},
		{
			name: "no time zone means UTC", spec: "15 10 1 * *", tz: "",
			from: utc(2026, 1, 1, 10, 15, 0),
			want: []time.Time{utc(2026, 2, 1, 10, 15, 0), utc(2026, 3, 1, 10, 15, 0)},
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse(c.spec, c.tz)
			if err != nil {
				t.Fatal(err)
			}
			at := c.from
			for i, w := range c.want {
				at = s.Next(at)
				if !at.Equal(w) {
					t.Fatalf("Next #%d = %v (%v), want %v", i+1, at.UTC(), at, w)
				}
			}
		})
	}
}

func TestEvaluate(t *testing.T) {
	created := utc(2026, 11, 20, 10, 5, 0)
	cases := []struct {
		name      string
		spec, tz  string
		st        State
		now       time.Time
		wantDue   *time.Time
		wantMiss  Missed
		wantNext  time.Time
		wantAfter time.Duration
	}{
		{
			name: "nothing due yet after creation", spec: "0 * * * *",
			st:       State{Created: created},
			now:      utc(2026, 11, 20, 10, 30, 0),
			wantNext: utc(2026, 11, 20, 11, 0, 0), wantAfter: 30*time.Minute + NextDelta,
		},
		{
			name: "first slot due", spec: "0 * * * *",
			st:      State{Created: created},
			now:     utc(2026, 11, 20, 11, 0, 30),
			wantDue: ptr(utc(2026, 11, 20, 11, 0, 0)),
			// requeue counts from the due slot: 12:00 − 11:00:30
			wantNext: utc(2026, 11, 20, 12, 0, 0), wantAfter: 59*time.Minute + 30*time.Second + NextDelta,
		},
		{
			name: "slot already run is not due again", spec: "0 * * * *",
			st:       State{Created: created, LastScheduleTime: ptr(utc(2026, 11, 20, 11, 0, 0))},
			now:      utc(2026, 11, 20, 11, 0, 45),
			wantNext: utc(2026, 11, 20, 12, 0, 0), wantAfter: 59*time.Minute + 15*time.Second + NextDelta,
		},
		{
			name: "few missed: only the most recent runs", spec: "0 * * * *",
			st:       State{Created: created, LastScheduleTime: ptr(utc(2026, 11, 20, 11, 0, 0))},
			now:      utc(2026, 11, 20, 14, 10, 0),
			wantDue:  ptr(utc(2026, 11, 20, 14, 0, 0)),
			wantMiss: FewMissed,
			wantNext: utc(2026, 11, 20, 15, 0, 0), wantAfter: 50*time.Minute + NextDelta,
		},
		{
			// 9 days of hourly slots = 216 > 100: one run plus a warning.
			name: "too many missed", spec: "0 * * * *",
			st:       State{Created: utc(2026, 11, 1, 0, 0, 0)},
			now:      utc(2026, 11, 10, 0, 30, 0),
			wantDue:  ptr(utc(2026, 11, 10, 0, 0, 0)),
			wantMiss: ManyMissed,
			wantNext: utc(2026, 11, 10, 1, 0, 0), wantAfter: 30*time.Minute + NextDelta,
		},
		{
			// Exactly 100 missed hourly slots is still "few".
			name: "100 missed is few", spec: "0 * * * *",
			st:       State{Created: utc(2026, 11, 1, 0, 30, 0)},
			now:      utc(2026, 11, 5, 4, 30, 0), // slots 01:00 on 1st .. 04:00 on 5th = 100
			wantDue:  ptr(utc(2026, 11, 5, 4, 0, 0)),
			wantMiss: FewMissed,
			wantNext: utc(2026, 11, 5, 5, 0, 0), wantAfter: 30*time.Minute + NextDelta,
		},
		{
			name: "101 missed is many", spec: "0 * * * *",
			st:       State{Created: utc(2026, 11, 1, 0, 30, 0)},
			now:      utc(2026, 11, 5, 5, 30, 0),
			wantDue:  ptr(utc(2026, 11, 5, 5, 0, 0)),
			wantMiss: ManyMissed,
			wantNext: utc(2026, 11, 5, 6, 0, 0), wantAfter: 30*time.Minute + NextDelta,
		},
		{
			// The deadline caps the look-back: 14:00 lies within 600 s of 14:09.
			name: "within starting deadline", spec: "0 * * * *",
			st:       State{Created: created, LastScheduleTime: ptr(utc(2026, 11, 20, 11, 0, 0)), StartingDeadlineSeconds: ptr(int64(600))},
			now:      utc(2026, 11, 20, 14, 9, 0),
			wantDue:  ptr(utc(2026, 11, 20, 14, 0, 0)),
			wantMiss: NoneMissed,
			wantNext: utc(2026, 11, 20, 15, 0, 0), wantAfter: 51*time.Minute + NextDelta,
		},
		{
			// 14:00 is 11 minutes old with a 10-minute deadline: skipped; the
			// requeue still counts from the missed slots (CronJob: from now).
			name: "past starting deadline", spec: "0 * * * *",
			st:       State{Created: created, LastScheduleTime: ptr(utc(2026, 11, 20, 11, 0, 0)), StartingDeadlineSeconds: ptr(int64(600))},
			now:      utc(2026, 11, 20, 14, 11, 0),
			wantNext: utc(2026, 11, 20, 15, 0, 0), wantAfter: 49*time.Minute + NextDelta,
		},
		{
			// A daily 09:00 Berlin report on the DST day runs at 07:00 UTC.
			name: "time zone on the DST day", spec: "0 9 * * *", tz: "Europe/Berlin",
			st:       State{Created: utc(2026, 3, 28, 12, 0, 0)},
			now:      utc(2026, 3, 29, 7, 30, 0),
			wantDue:  ptr(utc(2026, 3, 29, 7, 0, 0)),
			wantNext: utc(2026, 3, 30, 7, 0, 0), wantAfter: 23*time.Hour + 30*time.Minute + NextDelta,
		},
		{
			name: "every macro counts from creation", spec: "@every 90m",
			st:        State{Created: utc(2026, 11, 20, 10, 0, 0)},
			now:       utc(2026, 11, 20, 11, 45, 0),
			wantDue:   ptr(utc(2026, 11, 20, 11, 30, 0)),
			wantNext:  utc(2026, 11, 20, 13, 15, 0), // @every is relative: 90 minutes from now
			wantAfter: 75*time.Minute + NextDelta,   // 11:30 + 90 m − 11:45
		},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s, err := Parse(c.spec, c.tz)
			if err != nil {
				t.Fatal(err)
			}
			d, err := s.Evaluate(c.st, c.now)
			if err != nil {
				t.Fatal(err)
			}
			switch {
			case c.wantDue == nil && d.Due != nil:
				t.Errorf("Due = %v, want none", d.Due.UTC())
			case c.wantDue != nil && (d.Due == nil || !d.Due.Equal(*c.wantDue)):
				t.Errorf("Due = %v, want %v", d.Due, c.wantDue.UTC())
			}
			if d.Missed != c.wantMiss {
				t.Errorf("Missed = %d, want %d", d.Missed, c.wantMiss)
			}
			if !d.Next.Equal(c.wantNext) {
				t.Errorf("Next = %v, want %v", d.Next.UTC(), c.wantNext)
			}
			if d.RequeueAfter != c.wantAfter {
				t.Errorf("RequeueAfter = %v, want %v", d.RequeueAfter, c.wantAfter)
			}
		})
	}
}

func TestEvaluateNeverMatching(t *testing.T) {
	s, err := Parse("0 0 30 2 *", "") // 30 February
	if err != nil {
		t.Fatal(err)
	}
	_, err = s.Evaluate(State{Created: utc(2026, 1, 1, 0, 0, 0)}, utc(2026, 6, 1, 0, 0, 0))
	if !IsInvalid(err) {
		t.Fatalf("Evaluate error = %v, want invalid schedule", err)
	}
}

func TestJobSuffixStablePerSlot(t *testing.T) {
	a := JobSuffix(utc(2026, 11, 20, 11, 0, 0))
	b := JobSuffix(time.Date(2026, 11, 20, 12, 0, 0, 0, time.FixedZone("CET", 3600)))
	if a != b {
		t.Errorf("same instant, different suffix: %s vs %s", a, b)
	}
	if a != "29919540" { // date -d "2026-11-20 11:00Z" +%s = 1795172400; / 60
		t.Errorf("JobSuffix = %s", a)
	}
	if JobSuffix(utc(2026, 11, 20, 11, 1, 0)) == a {
		t.Error("different minutes share a suffix")
	}
}
