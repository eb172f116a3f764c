package controllers

import (
	"fmt"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	clocktesting "k8s.io/utils/clock/testing"

	"github.com/crmlens/crmlens/analytics/store/retention"
)

// TestRetentionUnderFakeClock: runs finished at hand-picked times, a fake
// clock stepped past each one's maxAge; exactly the runs past maxAge (and
// those beyond keepRuns) are expired at each step, the run being written
// never, and NextExpiry names the instant the next one goes.
func TestRetentionUnderFakeClock(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clk := clocktesting.NewFakeClock(t0)
	runs := []retention.Run{
		{ID: "r1", FinishedAt: t0.Add(-72 * time.Hour)},
		{ID: "r2", FinishedAt: t0.Add(-48 * time.Hour)},
		{ID: "r3", FinishedAt: t0.Add(-24 * time.Hour)},
		{ID: "r4", FinishedAt: t0.Add(-1 * time.Hour)},
		{ID: "r5", FinishedAt: t0},
	}
	for _, tc := range []struct {
		step time.Duration // clock advance before the check
		p    retention.Policy
		want string
		next time.Duration // NextExpiry − t0; 0: none
	}{
		// r2 is exactly 48h old: kept, and gone a nanosecond later.
		{0, retention.Policy{MaxAge: 48 * time.Hour}, "[r1]", time.Nanosecond},
		{0, retention.Policy{MaxAge: 24 * time.Hour}, "[r2 r1]", time.Nanosecond},
		{time.Nanosecond, retention.Policy{MaxAge: 24 * time.Hour}, "[r3 r2 r1]", 23*time.Hour + time.Nanosecond},
		{23*time.Hour - time.Nanosecond, retention.Policy{MaxAge: 24 * time.Hour}, "[r3 r2 r1]", 23*time.Hour + time.Nanosecond},
		{time.Nanosecond, retention.Policy{MaxAge: 24 * time.Hour}, "[r4 r3 r2 r1]", 24*time.Hour + time.Nanosecond},
		// The run being written stays however old the others make it look.
		{0, retention.Policy{MaxAge: time.Minute, Current: "r5"}, "[r4 r3 r2 r1]", 0},
		// keepRuns and maxAge together: the stricter wins per run.
		{0, retention.Policy{MaxAge: 1000 * time.Hour, KeepRuns: 2}, "[r3 r2 r1]", 999*time.Hour + time.Nanosecond},
		{0, retention.Policy{KeepRuns: 10}, "[]", 0},
	} {
		clk.Step(tc.step)
		now := clk.Now()
		if got := fmt.Sprint(retention.Expired(runs, tc.p, now)); got != tc.want {
			t.Errorf("at t0+%v, %+v: expired %s, want %s", now.Sub(t0), tc.p, got, tc.want)
		}
		next := retention.NextExpiry(runs, tc.p, now)
		switch {
		case tc.next == 0 && !next.IsZero():
			t.Errorf("at t0+%v, %+v: next expiry %v, want none", now.Sub(t0), tc.p, next)
		case tc.next != 0 && !next.Equal(t0.Add(tc.next)):
			t.Errorf("at t0+%v, %+v: next expiry t0+%v, want t0+%v", now.Sub(t0), tc.p, next.Sub(t0), tc.next)
		}
	}
}

// TestExpiredJobsUnderFakeClock: finished Jobs older than maxAge are
// removed, running ones never, whatever their age.
func TestExpiredJobsUnderFakeClock(t *testing.T) {
	t0 := time.Date(2026, 3, 1, 0, 0, 0, 0, time.UTC)
	clk := clocktesting.NewFakeClock(t0)
	job := func(name string, done time.Duration, finished bool) batchv1.Job {
		j := batchv1.Job{ObjectMeta: metav1.ObjectMeta{Name: name, CreationTimestamp: metav1.NewTime(t0.Add(done - time.Minute))}}
		if finished {
			ct := metav1.NewTime(t0.Add(done))
			j.Status.CompletionTime = &ct
			j.Status.Conditions = []batchv1.JobCondition{{Type: batchv1.JobComplete, Status: corev1.ConditionTrue}}
		}
		return j
	}
	jobs := []batchv1.Job{job("a", 0, true), job("b", 2*time.Hour, true), job("c", 0, false), job("d", 3*time.Hour, true)}
	for _, tc := range []struct {
		at   time.Duration
		want string
	}{
		{5 * time.Hour, "[]"},
		{6*time.Hour + time.Second, "[a]"},
		{8*time.Hour + time.Second, "[b a]"},
		{100 * time.Hour, "[d b a]"},
	} {
		clk.SetTime(t0.Add(tc.at))
		var names []string
		for _, j := range expiredJobs(jobs, 6*time.Hour, clk.Now()) {
			names = append(names, j.Name)
		}
		if got := fmt.Sprint(names); got != tc.want {
			t.Errorf("at t0+%v: expired %s, want %s", tc.at, got, tc.want)
		}
	}
}
