package controllers

import (
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

var t0 = time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

func mt(t time.Time) *metav1.Time { v := metav1.NewTime(t); return &v }

// TestRetryDelay: 15 s doubling to the 10 min cap, each stretched by a
// reproducible 0–20% jitter that differs between objects.
func TestRetryDelay(t *testing.T) {
	bases := []time.Duration{15 * time.Second, 30 * time.Second, time.Minute, 2 * time.Minute, 4 * time.Minute, 8 * time.Minute, 10 * time.Minute, 10 * time.Minute}
	for i, base := range bases {
		n := int32(i + 1)
		d := retryDelay(n, "uid-a")
		if d < base || d > base+base/5 {
			t.Errorf("attempt %d: delay %v, want within [%v, %v]", n, d, base, base+base/5)
		}
		if d != retryDelay(n, "uid-a") {
			t.Errorf("attempt %d: delay not reproducible", n)
		}
	}
	if retryDelay(1000, "x") > retryCap+retryCap/5 {
		t.Error("a large attempt count escapes the cap")
	}
	same := 0
	for i := 0; i < 20; i++ {
		if retryDelay(3, "uid-a") == retryDelay(3, "uid-"+string(rune('b'+i))) {
			same++
		}
	}
	if same > 2 {
		t.Errorf("jitter does not spread objects: %d of 20 equal", same)
	}
}

func TestRecordFailureAndRetryDue(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	r := recordFailure(nil, "SourceUnreachable", clk.Now(), "u")
	if r.Attempts != 1 || !r.LastFailureTime.Time.Equal(t0) || r.LastFailureReason != "SourceUnreachable" {
		t.Fatalf("first failure: %+v", r)
	}
	if got := r.NextRetryTime.Sub(t0); got != retryDelay(1, "u") {
		t.Errorf("next retry after %v, want %v", got, retryDelay(1, "u"))
	}
	r2 := recordFailure(r, "SourceUnreachable", t0.Add(time.Minute), "u")
	if r2.Attempts != 2 || r2.NextRetryTime.Sub(t0.Add(time.Minute)) != retryDelay(2, "u") {
		t.Errorf("second failure: %+v", r2)
	}
	cases := []struct {
		name       string
		at         time.Duration
		readySince []time.Time
		want       bool
	}{
		{"before the backoff", 5 * time.Second, nil, false},
		{"source Ready since before the failure", 5 * time.Second, []time.Time{t0.Add(-time.Hour)}, false},
		{"source not Ready", 5 * time.Second, []time.Time{{}}, false},
		{"source turned Ready after the failure", 5 * time.Second, []time.Time{{}, t0.Add(3 * time.Second)}, true},
		{"backoff elapsed", 20 * time.Second, nil, true},
	}
	for _, c := range cases {
		clk.SetTime(t0.Add(c.at))
		if got, why := retryDue(r, c.readySince, clk.Now()); got != c.want {
			t.Errorf("%s: due %v (%s), want %v", c.name, got, why, c.want)
		}
	}
	if due, _ := retryDue(nil, nil, t0); due {
		t.Error("no failure, yet a retry")
	}
}

func TestTransient(t *testing.T) {
	for reason, want := range map[string]bool{
		"SourceUnreachable": true, "StoreTimeout": true, "BackoffLimitExceeded": true, "DeadlineExceeded": true, "ResultMissing": true,
		"SourceAuthFailed": false, "SourceSchemaMismatch": false, "StorePermissionDenied": false, "Analysis": false, "InvalidPlan": false,
	} {
		if transient(reason) != want {
			t.Errorf("transient(%s) = %v, want %v", reason, !want, want)
		}
	}
}

// TestDecideModelRun walks a model through its triggers with a fake clock.
func TestDecideModelRun(t *testing.T) {
	failedAt := t0.Add(-10 * time.Second)
	retry := &crmv1.RetryStatus{Attempts: 1, LastFailureTime: mt(failedAt), NextRetryTime: mt(failedAt.Add(20 * time.Second)), LastFailureReason: "SourceUnreachable"}
	finished := &latestJob{Name: "m-g2", Finished: true, Created: t0.Add(-time.Hour)}
	running := &latestJob{Name: "m-g2", Created: t0.Add(-time.Minute)}
	cases := []struct {
		name        string
		s           modelState
		wantName    string
		wantTrigger string
		wantRequeue time.Duration
	}{
		{"new object", modelState{Generation: 1}, "m-g1", triggerGeneration, 0},
		{"spec change while a run is active", modelState{Generation: 3, LastRunGeneration: 2, Latest: running}, "m-g3", triggerGeneration, 0},
		{"run-now", modelState{Generation: 2, LastRunGeneration: 2, Latest: finished, RunNow: "a"}, "m-n" + shortHash("a"), triggerRunNow, 0},
		{"run-now already handled", modelState{Generation: 2, LastRunGeneration: 2, Latest: finished, RunNow: "a", LastRunNow: "a", Refresh: 2 * time.Hour}, "", "", time.Hour + 100*time.Millisecond},
		{"run-now waits for the active run", modelState{Generation: 2, LastRunGeneration: 2, Latest: running, RunNow: "a"}, "", "", 0},
		{"refresh due", modelState{Generation: 2, LastRunGeneration: 2, Latest: finished, Refresh: 30 * time.Minute}, "m-r" + "", triggerRefresh, 0},
		{"refresh from the last success when the Job is gone", modelState{Generation: 2, LastRunGeneration: 2, LastSuccess: ptr(t0.Add(-23 * time.Hour))}, "", "", time.Hour + 100*time.Millisecond},
		{"suspended: no refresh", modelState{Generation: 2, LastRunGeneration: 2, Latest: finished, Refresh: time.Minute, Suspend: true}, "", "", 0},
		{"retry waits for its backoff", modelState{Generation: 2, LastRunGeneration: 2, Latest: finished, LastRunName: "m-g2", Retry: retry}, "", "", 10*time.Second + 100*time.Millisecond},
		{"retry when the source recovers", modelState{Generation: 2, LastRunGeneration: 2, Latest: finished, LastRunName: "m-g2", Retry: retry, SourcesReadySince: []time.Time{t0.Add(-time.Second)}},
			"m-a" + shortHash("m-g2"), triggerRetry, 0},
		{"retry after the backoff", modelState{Generation: 2, LastRunGeneration: 2, Latest: finished, LastRunName: "m-g2", Retry: retry, Now: t0.Add(11 * time.Second)},
			"m-a" + shortHash("m-g2"), triggerRetry, 0},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			s := c.s
			s.Name = "m"
			if s.Now.IsZero() {
				s.Now = t0
			}
			d := decideModelRun(s)
			if c.wantTrigger == triggerRefresh {
				if d.Trigger != triggerRefresh || len(d.Name) < 3 || d.Name[:3] != "m-r" {
					t.Errorf("got %+v, want a refresh run", d)
				}
				return
			}
			if d.Name != c.wantName || d.Trigger != c.wantTrigger || d.Requeue != c.wantRequeue {
				t.Errorf("got name %q trigger %q requeue %v, want %q %q %v", d.Name, d.Trigger, d.Requeue, c.wantName, c.wantTrigger, c.wantRequeue)
			}
		})
	}
}

func ptr[T any](v T) *T { return &v }

// TestKstatusConditions: Reconciling and Stalled from what a reconcile
// found; never both True.
func TestKstatusConditions(t *testing.T) {
	next := mt(t0.Add(time.Minute))
	cases := []struct {
		name             string
		p                progress
		reconciling, stl metav1.ConditionStatus
		reason           crmv1.Reason
	}{
		{"reconciled", progress{}, metav1.ConditionFalse, metav1.ConditionFalse, crmv1.ReasonReconciled},
		{"missing source", progress{Blocked: &MissingRefError{Reason: crmv1.ReasonSourceNotFound, Msg: "x"}}, metav1.ConditionFalse, metav1.ConditionTrue, crmv1.ReasonSourceNotFound},
		{"running", progress{Running: "m-g2"}, metav1.ConditionTrue, metav1.ConditionFalse, crmv1.ReasonJobRunning},
		{"transient failure retried", progress{Retry: &crmv1.RetryStatus{Attempts: 2, NextRetryTime: next, LastFailureReason: "SourceUnreachable"}}, metav1.ConditionTrue, metav1.ConditionFalse, crmv1.ReasonRetryScheduled},
		{"failure that needs a person", progress{Retry: &crmv1.RetryStatus{Attempts: 1, NextRetryTime: next, LastFailureReason: "SourceAuthFailed"}}, metav1.ConditionFalse, metav1.ConditionTrue, "SourceAuthFailed"},
		{"retry running", progress{Running: "m-a1", Retry: &crmv1.RetryStatus{Attempts: 1, LastFailureReason: "SourceAuthFailed"}}, metav1.ConditionTrue, metav1.ConditionFalse, crmv1.ReasonJobRunning},
		{"new generation pending", progress{Pending: true}, metav1.ConditionTrue, metav1.ConditionFalse, crmv1.ReasonNewGeneration},
	}
	for _, c := range cases {
		rec, st := kstatusConditions(c.p, t0)
		if rec.Status != c.reconciling || st.Status != c.stl {
			t.Errorf("%s: Reconciling %s Stalled %s, want %s %s", c.name, rec.Status, st.Status, c.reconciling, c.stl)
		}
		got := rec.Reason
		if st.Status == metav1.ConditionTrue {
			got = st.Reason
		}
		if got != c.reason {
			t.Errorf("%s: reason %s, want %s", c.name, got, c.reason)
		}
	}
}

// TestNextProbe: at once on a spec change, a sample source only then, an
// external one every probeInterval and a failing one on the retry backoff.
func TestNextProbe(t *testing.T) {
	clk := clocktesting.NewFakeClock(t0)
	ds := func(sample bool, observed int64, retryIn time.Duration) *crmv1.DataSource {
		d := &crmv1.DataSource{}
		d.Generation = 2
		d.Status.ObservedGeneration = observed
		d.Status.LastProbeTime = mt(t0)
		if sample {
			d.Spec.Sample = &crmv1.SampleSource{}
		}
		if retryIn > 0 {
			d.Status.Retry = &crmv1.RetryStatus{Attempts: 1, NextRetryTime: mt(t0.Add(retryIn))}
		}
		return d
	}
	cases := []struct {
		name     string
		d        *crmv1.DataSource
		at       time.Duration
		due      bool
		wait     time.Duration
		interval time.Duration
	}{
		{"spec changed", ds(false, 1, 0), 0, true, 0, 10 * time.Minute},
		{"sample, observed", ds(true, 2, 0), time.Hour, false, 0, 10 * time.Minute},
		{"external, within the interval", ds(false, 2, 0), time.Minute, false, 9 * time.Minute, 10 * time.Minute},
		{"external, interval over", ds(false, 2, 0), 10 * time.Minute, true, 0, 10 * time.Minute},
		{"failing: retry before the interval", ds(false, 2, 30*time.Second), 10 * time.Second, false, 20 * time.Second, 10 * time.Minute},
		{"failing: retry due", ds(false, 2, 30*time.Second), 30 * time.Second, true, 0, 10 * time.Minute},
		{"failing: never later than the interval", ds(false, 2, time.Hour), time.Minute, false, 4 * time.Minute, 5 * time.Minute},
	}
	for _, c := range cases {
		clk.SetTime(t0.Add(c.at))
		due, wait := nextProbe(c.d, c.interval, clk.Now())
		if due != c.due || wait != c.wait {
			t.Errorf("%s: due %v wait %v, want %v %v", c.name, due, wait, c.due, c.wait)
		}
	}
}

// TestScheduleRetryDue: a failed report run is retried on its backoff, but
// not when the next scheduled run comes first, nor while a run is active.
func TestScheduleRetryDue(t *testing.T) {
	r := &crmv1.RetryStatus{Attempts: 1, LastFailureTime: mt(t0), NextRetryTime: mt(t0.Add(20 * time.Second)), LastFailureReason: "SourceUnreachable"}
	later, sooner := t0.Add(time.Hour), t0.Add(10*time.Second)
	cases := []struct {
		name   string
		next   *time.Time
		active int
		at     time.Duration
		due    bool
		wait   time.Duration
	}{
		{"waits for its backoff", &later, 0, 0, false, 20*time.Second + 100*time.Millisecond},
		{"due", &later, 0, 25 * time.Second, true, 0},
		{"the next slot comes first", &sooner, 0, 25 * time.Second, false, 0},
		{"a run is active", &later, 1, 25 * time.Second, false, 0},
	}
	for _, c := range cases {
		due, _, wait := scheduleRetryDue(r, c.next, c.active, nil, t0.Add(c.at))
		if due != c.due || wait != c.wait {
			t.Errorf("%s: due %v wait %v, want %v %v", c.name, due, wait, c.due, c.wait)
		}
	}
}
