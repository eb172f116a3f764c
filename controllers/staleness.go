package controllers

import (
	"time"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/metrics"
	"github.com/crmlens/crmlens/internal/schedule"
)

// slotsForGap is how many upcoming slots longestGap looks at: enough to see
// every gap of a weekly pattern (weekdays only, twice a week) and a month.
const slotsForGap = 16

// longestGap is the longest time between consecutive slots of a cron schedule
// among the next slotsForGap after now; 0 when it cannot be parsed or never
// fires (the Ready condition reports that).
func longestGap(spec, timeZone string, now time.Time) time.Duration {
	s, err := schedule.Parse(spec, timeZone)
	if err != nil {
		return 0
	}
	var gap time.Duration
	prev := s.Next(now)
	for i := 0; i < slotsForGap && !prev.IsZero(); i++ {
		next := s.Next(prev)
		if next.IsZero() {
			break
		}
		gap = max(gap, next.Sub(prev))
		prev = next
	}
	return gap
}

// scheduleInterval is how far apart a ReportSchedule's runs are expected; 0
// when suspended.
func scheduleInterval(rs *crmv1.ReportSchedule, now time.Time) time.Duration {
	if rs.Spec.Suspend {
		return 0
	}
	tz := ""
	if rs.Spec.TimeZone != nil {
		tz = *rs.Spec.TimeZone
	}
	return longestGap(rs.Spec.Schedule, tz, now)
}

// modelInterval is how far apart a SegmentationModel's runs are expected: its
// refreshInterval; 0 when suspended or without one (it runs on spec changes only).
func modelInterval(m *crmv1.SegmentationModel) time.Duration {
	if m.Spec.Suspend || m.Spec.RefreshInterval == nil {
		return 0
	}
	return m.Spec.RefreshInterval.Duration
}

// publishStaleAfter sets crmlens_results_stale_after_seconds for a resource.
func publishStaleAfter(kind, namespace, name string, interval time.Duration) {
	metrics.SetStaleAfter(kind, namespace, name, interval)
}
