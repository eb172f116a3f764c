package controllers

import (
	"strconv"
	"time"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/schedule"
)

// Triggers of a model run (the Job's crmlens.io/trigger annotation).
const (
	triggerGeneration = "generation"
	triggerRunNow     = "run-now"
	triggerRefresh    = "refresh"
	triggerRetry      = "retry"
)

// defaultRefresh is a model's refreshInterval when unset.
const defaultRefresh = 24 * time.Hour

// latestJob is what the run decision needs to know of the newest Job.
type latestJob struct {
	Name     string
	Finished bool
	Created  time.Time
}

// modelState is everything the run decision reads: the object, its newest
// Job, the readiness of its sources and the time. Built by the reconciler,
// decided by decideModelRun without any API call.
type modelState struct {
	Name              string
	Generation        int64
	LastRunGeneration int64
	Suspend           bool
	RunNow            string // crmlens.io/run-now
	LastRunNow        string // crmlens.io/last-run-now
	Refresh           time.Duration
	Latest            *latestJob
	LastRunName       string     // status.lastRunName
	LastSuccess       *time.Time // status.lastRunTime
	Retry             *crmv1.RetryStatus
	SourcesReadySince []time.Time
	Now               time.Time
}

// runDecision is the run to start now (Name empty: none), why, and when to
// look again.
type runDecision struct {
	Name, Trigger string
	// RunNow is the run-now value this run handles.
	RunNow string
	// Why explains a retry.
	Why string
	// Requeue is when the next time-driven run is due.
	Requeue time.Duration
	// NextRefresh is when refreshInterval runs the analysis next.
	NextRefresh *time.Time
}

// decideModelRun decides which run of a model is due: a new spec generation
// first (it makes any other run pointless), then a new run-now value, then
// the retry of a failed run (backoff elapsed, or a source recovered), then
// the periodic refresh. Nothing starts while a Job runs, except for a new
// generation (the old spec's Job is deleted) or a run-now that Job already is.
func decideModelRun(s modelState) runDecision {
	active := s.Latest != nil && !s.Latest.Finished
	if s.LastRunGeneration < s.Generation {
		return runDecision{Name: jobName(s.Name, "g"+strconv.FormatInt(s.Generation, 10)), Trigger: triggerGeneration}
	}
	if s.RunNow != "" && s.RunNow != s.LastRunNow {
		// The Job may already be this run-now's (created by the previous
		// reconcile): then it is marked handled now.
		n := jobName(s.Name, "n"+shortHash(s.RunNow))
		if !active || s.Latest.Name == n {
			return runDecision{Name: n, Trigger: triggerRunNow, RunNow: s.RunNow}
		}
		return runDecision{}
	}
	if active || s.Suspend {
		return runDecision{}
	}
	if s.Retry != nil && s.Retry.NextRetryTime != nil {
		if due, why := retryDue(s.Retry, s.SourcesReadySince, s.Now); due {
			return runDecision{Name: jobName(s.Name, "a"+shortHash(s.LastRunName)), Trigger: triggerRetry, Why: why}
		}
		return runDecision{Requeue: s.Retry.NextRetryTime.Sub(s.Now) + schedule.NextDelta}
	}
	// Refreshes count from the start of the last run; when its Job is gone
	// (ttlSecondsAfterFinished), from when its result was recorded.
	var anchor time.Time
	switch {
	case s.Latest != nil:
		anchor = s.Latest.Created
	case s.LastSuccess != nil:
		anchor = *s.LastSuccess
	default:
		return runDecision{}
	}
	interval := s.Refresh
	if interval <= 0 {
		interval = defaultRefresh
	}
	due := anchor.Add(interval)
	if !s.Now.Before(due) {
		return runDecision{Name: jobName(s.Name, "r"+schedule.JobSuffix(due)), Trigger: triggerRefresh}
	}
	return runDecision{Requeue: due.Sub(s.Now) + schedule.NextDelta, NextRefresh: &due}
}
