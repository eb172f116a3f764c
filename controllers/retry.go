package controllers

import (
	"hash/fnv"
	"strconv"
	"strings"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// Retry backoff of failed runs and probes: 15 s, 30 s, 1 min, … capped at
// 10 minutes, each stretched by up to 20% jitter so that objects that failed
// together (one database down) do not retry in lockstep.
const (
	retryBase   = 15 * time.Second
	retryCap    = 10 * time.Minute
	retryJitter = 0.2
)

// retryDelay is the wait before attempt+1 after attempt consecutive
// failures (attempt ≥ 1). The jitter is a hash of seed (the object's UID)
// and the attempt, so it is spread across objects yet reproducible: a pure
// function a test can check exactly.
func retryDelay(attempt int32, seed string) time.Duration {
	if attempt < 1 {
		attempt = 1
	}
	d := retryCap
	if attempt <= 16 { // 15 s · 2^15 is far past the cap
		if b := retryBase << (attempt - 1); b < retryCap {
			d = b
		}
	}
	h := fnv.New64a()
	_, _ = h.Write([]byte(seed + "/" + strconv.Itoa(int(attempt))))
	frac := float64(h.Sum64()%1000) / 1000
	return d + time.Duration(float64(d)*retryJitter*frac)
}

// recordFailure returns the retry status after one more failure at at.
func recordFailure(prev *crmv1.RetryStatus, reason crmv1.Reason, at time.Time, seed string) *crmv1.RetryStatus {
	n := int32(1)
	if prev != nil {
		n = prev.Attempts + 1
	}
	failed := metav1.NewTime(at)
	next := metav1.NewTime(at.Add(retryDelay(n, seed)))
	return &crmv1.RetryStatus{Attempts: n, NextRetryTime: &next, LastFailureTime: &failed, LastFailureReason: string(reason)}
}

// retryDue says whether a failed run should be retried now: its backoff
// elapsed, or a source it reads turned Ready after it failed (the outage it
// hit is over). readySince holds, per source, when it last turned Ready
// (zero: not Ready).
func retryDue(r *crmv1.RetryStatus, readySince []time.Time, now time.Time) (bool, string) {
	if r == nil || r.NextRetryTime == nil {
		return false, ""
	}
	if !now.Before(r.NextRetryTime.Time) {
		return true, "backoff elapsed"
	}
	if r.LastFailureTime != nil {
		for _, t := range readySince {
			if !t.IsZero() && t.After(r.LastFailureTime.Time) {
				return true, "a DataSource it reads turned Ready"
			}
		}
	}
	return false, ""
}

// transient says whether a failure reason is expected to heal by itself
// (the source or store is down or slow, the Job was killed): such a failure
// reads as Reconciling while it is retried. Any other failure (credentials,
// permissions, schema, an analysis that cannot work on this data) needs a
// person and reads as Stalled, though it is retried all the same, so a fix
// outside the object (a grant, a new column) still heals it.
func transient(reason string) bool {
	for _, s := range []string{"Unreachable", "Timeout", "Unavailable"} {
		if strings.HasSuffix(reason, s) {
			return true
		}
	}
	switch reason {
	case "BackoffLimitExceeded", "DeadlineExceeded", string(crmv1.ReasonResultMissing), string(crmv1.ReasonRunFailed),
		"WriteResult", "Source", "Store", "Error", "PodFailurePolicy":
		return true
	}
	return false
}
