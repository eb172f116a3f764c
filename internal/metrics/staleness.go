package metrics

import (
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// StaleAfter is, per resource, the age of its last successful run past which
// its results count as stale: one missed run plus grace (see StaleAfterFor).
// The CrmlensResultsStale rule compares crmlens_last_success_timestamp_seconds
// with it, so a weekly schedule is not stale on day 3 and an hourly one is
// stale long before day 2. Absent while a resource is suspended or has no
// schedule: nothing is expected of it then.
var StaleAfter = prometheus.NewGaugeVec(prometheus.GaugeOpts{
	Name: "crmlens_results_stale_after_seconds",
	Help: "Age of the last successful run past which a resource's results are stale: its longest interval between runs plus half of it (at least one hour) of grace.",
}, []string{"kind", "namespace", "name"})

// StaleAfterFor is the staleness threshold for a resource whose runs are at
// most interval apart: one interval, plus grace for the run itself and its
// retries — half an interval, at least an hour.
func StaleAfterFor(interval time.Duration) time.Duration {
	return interval + max(interval/2, time.Hour)
}

// SetStaleAfter publishes the threshold for a resource whose runs are at most
// interval apart; interval ≤ 0 (suspended, or no schedule) removes it.
func SetStaleAfter(kind, namespace, name string, interval time.Duration) {
	if interval <= 0 {
		StaleAfter.DeleteLabelValues(kind, namespace, name)
		return
	}
	StaleAfter.WithLabelValues(kind, namespace, name).Set(StaleAfterFor(interval).Seconds())
}
