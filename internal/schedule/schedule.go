// Package schedule implements the scheduling semantics of a Kubernetes CronJob
// for ReportSchedule: the same cron dialect (robfig/cron v3, five standard
// fields plus @hourly-style macros and @every), an IANA time zone given in a
// field of its own, the most-recent-missed-run rule with its "too many missed
// start times" cut-off, startingDeadlineSeconds, and the next run time used for
// RequeueAfter. Time is always passed in, so callers inject their clock.
package schedule

import (
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/robfig/cron/v3"
)

// Clock tells the time; reconcilers take one so tests can move time by hand.
type Clock interface {
	Now() time.Time
}

// RealClock is the wall clock.
type RealClock struct{}

// Now returns time.Now().
func (RealClock) Now() time.Time { return time.Now() }

// MaxMissed is the number of missed start times above which the CronJob
// controller stops counting, runs once and warns about clock skew.
const MaxMissed = 100

// NextDelta is added to the requeue delay so the reconcile lands just after the
// schedule time, never a hair before it (the CronJob controller does the same).
const NextDelta = 100 * time.Millisecond

// Error is a schedule or time zone the reconciler cannot use. Field names the
// spec field at fault ("spec.schedule" or "spec.timeZone").
type Error struct {
	Field string
	Value string
	Msg   string
}

func (e *Error) Error() string { return fmt.Sprintf("%s %q: %s", e.Field, e.Value, e.Msg) }

// IsInvalid reports whether err is (or wraps) a schedule Error.
func IsInvalid(err error) bool {
	var e *Error
	return errors.As(err, &e)
}

// Schedule is a parsed cron schedule bound to a time zone.
type Schedule struct {
	spec string
	loc  *time.Location
	cron cron.Schedule
}

// Parse parses a CronJob-style schedule and time zone. An empty timeZone means
// UTC (the CronJob default is the controller's local zone; the operator's
// image runs in UTC, so UTC is what users would observe there anyway).
// As the CronJob API does, it refuses TZ= and CRON_TZ= inside the schedule
// (the zone has its own field) and the ambiguous zone name "Local".
func Parse(spec, timeZone string) (*Schedule, error) {
	s := strings.TrimSpace(spec)
	if s == "" {
		return nil, &Error{Field: "spec.schedule", Value: spec, Msg: "must not be empty"}
	}
	if strings.Contains(s, "TZ") {
		return nil, &Error{Field: "spec.schedule", Value: spec, Msg: "cannot use TZ or CRON_TZ in schedule, use the timeZone field instead"}
	}
	loc := time.UTC
	if timeZone != "" {
		if strings.EqualFold(timeZone, "Local") {
			return nil, &Error{Field: "spec.timeZone", Value: timeZone, Msg: "must be an explicit IANA time zone name, not Local"}
		}
		l, err := time.LoadLocation(timeZone)
		if err != nil {
			return nil, &Error{Field: "spec.timeZone", Value: timeZone, Msg: fmt.Sprintf("unknown time zone: %v", err)}
		}
		loc = l
	}
	c, err := cron.ParseStandard(s)
	if err != nil {
		return nil, &Error{Field: "spec.schedule", Value: spec, Msg: err.Error()}
	}
	if sc, ok := c.(*cron.SpecSchedule); ok {
		sc.Location = loc
	}
	return &Schedule{spec: s, loc: loc, cron: c}, nil
}

// Location is the schedule's time zone.
func (s *Schedule) Location() *time.Location { return s.loc }

// Next returns the first schedule time strictly after t, or the zero time
// when none falls within five years (e.g. "0 0 30 2 *").
func (s *Schedule) Next(t time.Time) time.Time { return s.cron.Next(t) }

// Missed classifies how many schedule times passed without a run.
type Missed int

const (
	// NoneMissed means at most the current schedule time is due.
	NoneMissed Missed = iota
	// FewMissed means between 2 and MaxMissed start times passed unrun.
	FewMissed
	// ManyMissed means more than MaxMissed start times passed; only the most
	// recent one runs and the controller warns (Event TooManyMissedTimes).
	ManyMissed
)

// State is what the controller knows about past runs.
type State struct {
	// Created is the resource's creation time, the start when nothing ran yet.
	Created time.Time
	// LastScheduleTime is the schedule time of the last run started, if any.
	LastScheduleTime *time.Time
	// StartingDeadlineSeconds bounds how late a missed run may still start.
	StartingDeadlineSeconds *int64
}

func (st State) earliest(now time.Time, withDeadline bool) time.Time {
	earliest := st.Created
	if st.LastScheduleTime != nil {
		earliest = *st.LastScheduleTime
	}
	if withDeadline && st.StartingDeadlineSeconds != nil {
		// Nothing older than the deadline window can start any more.
		d := now.Add(-time.Duration(*st.StartingDeadlineSeconds) * time.Second)
		if d.After(earliest) {
			earliest = d
		}
	}
	return earliest
}

// mostRecent returns the most recent schedule time after the state's earliest
// time and not after now (nil when none), with the missed classification.
// Like the CronJob controller it estimates the number of missed runs from the
// interval between the next two schedule times instead of iterating over them
// all, so a controller down for years costs no more than one down for a day.
func (s *Schedule) mostRecent(st State, now time.Time, withDeadline bool) (time.Time, *time.Time, Missed, error) {
	earliest := st.earliest(now, withDeadline)
	t1 := s.Next(earliest)
	if t1.IsZero() {
		return earliest, nil, NoneMissed, &Error{Field: "spec.schedule", Value: s.spec, Msg: "never matches a date"}
	}
	if now.Before(t1) {
		return earliest, nil, NoneMissed, nil
	}
	t2 := s.Next(t1)
	if now.Before(t2) {
		return earliest, &t1, NoneMissed, nil
	}
	interval := int64(t2.Sub(t1).Round(time.Second).Seconds())
	if interval < 1 {
		return earliest, nil, NoneMissed, &Error{Field: "spec.schedule", Value: s.spec, Msg: "time between two schedule times is less than 1 second"}
	}
	elapsed := int64(now.Sub(t1).Seconds())
	n := elapsed/interval + 1
	// Step back one interval more than the estimate and let the cron library
	// walk forward: irregular schedules (e.g. "30 6-16/4 * * 1-5") have uneven
	// gaps, and walking forward from slightly early is always exact.
	from := t1.Add(time.Duration((n-2)*interval) * time.Second)
	if from.Before(earliest) {
		from = earliest
	}
	var recent time.Time
	for t := s.Next(from); !t.IsZero() && !t.After(now); t = s.Next(t) {
		recent = t
	}
	missed := NoneMissed
	switch {
	case n > MaxMissed:
		missed = ManyMissed
	case n > 1:
		missed = FewMissed
	}
	if recent.IsZero() {
		return earliest, nil, missed, nil
	}
	return earliest, &recent, missed, nil
}

// Decision is what the reconciler should do at one instant.
type Decision struct {
	// Due is the schedule time whose run should start now; nil when nothing
	// is due. Only the most recent missed time is ever due, as with CronJob.
	Due *time.Time
	// Missed classifies how many start times passed unrun.
	Missed Missed
	// Next is the next schedule time after now (for status.nextScheduleTime).
	Next time.Time
	// RequeueAfter is how long to wait before reconciling again for the
	// schedule (Next − now + NextDelta, recomputed from the last run as the
	// CronJob controller does).
	RequeueAfter time.Duration
}

// Evaluate decides, at now, which schedule time (if any) is due given the
// state, and when to look again. An error means the schedule can never fire
// sensibly (reported as InvalidSchedule); the decision then still carries a
// requeue time so a corrected spec is noticed through its watch event anyway.
func (s *Schedule) Evaluate(st State, now time.Time) (Decision, error) {
	var d Decision
	_, due, missed, err := s.mostRecent(st, now, true)
	if err != nil {
		return d, err
	}
	d.Missed = missed
	if due != nil && !due.After(now) {
		// The deadline already bounded the search window, so a due time is
		// never too late to start (the CronJob controller's own check for
		// that can no longer trigger either).
		d.Due = due
	}
	d.Next = s.Next(now)
	d.RequeueAfter = s.requeueAfter(st, now)
	return d, nil
}

// requeueAfter mirrors the CronJob controller: the next slot after the most
// recent schedule time since the last run (ignoring the deadline), or after
// now when runs were missed or the schedule is broken.
func (s *Schedule) requeueAfter(st State, now time.Time) time.Duration {
	earliest, recent, missed, err := s.mostRecent(st, now, false)
	from := now
	switch {
	case err != nil:
	case recent != nil:
		from = *recent
	case missed == NoneMissed:
		from = earliest
	}
	next := s.Next(from)
	if next.IsZero() {
		return 0
	}
	return next.Add(NextDelta).Sub(now)
}

// JobSuffix returns the deterministic name suffix for the run of schedule
// time t: minutes since the epoch, as CronJob names its Jobs, so a restart
// re-derives the same name and never starts a second Job for one slot.
func JobSuffix(t time.Time) string { return fmt.Sprintf("%d", t.Unix()/60) }
