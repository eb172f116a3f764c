package controllers

import (
	"strconv"
	"time"

	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/metrics"
)

// The business gauges are derived from status alone, and every reconcile
// republishes them (no API call, no write). A new manager process — after a
// restart or a leader change — therefore restores them on its first
// reconcile of each object, without waiting for the next run, and the
// PrometheusRules built on them (crmlens_alert_firing, last success) keep
// working. Counters and the duration histogram describe this process's
// observations and start from zero, as Prometheus expects.

// publishModelGauges sets a model's segment, KPI and last-success gauges
// from its status.
func publishModelGauges(m *crmv1.SegmentationModel) {
	publishStaleAfter(metrics.KindModel, m.Namespace, m.Name, modelInterval(m))
	s := &m.Status
	if s.ResultConfigMap == "" {
		return // no good run yet: nothing to publish
	}
	segs := make([]metrics.Segment, 0, len(s.Segments))
	for _, seg := range s.Segments {
		share, _ := strconv.ParseFloat(seg.RevenueShare, 64)
		segs = append(segs, metrics.Segment{Name: seg.Name, Customers: seg.Customers, RevenueShare: share})
	}
	metrics.SetSegments(m.Namespace, m.Name, segs)
	// A model run's metrics are exactly its input counts (runner.Metrics
	// without report sections), which status keeps.
	metrics.SetKPIs(metrics.KindModel, m.Namespace, m.Name, "", map[string]float64{
		"customers": float64(s.Customers), "transactions": float64(s.Transactions)})
	if s.LastRunTime != nil {
		metrics.SetLastSuccess(metrics.KindModel, m.Namespace, m.Name, float64(s.LastRunTime.Unix()))
	}
}

// publishScheduleGauges sets a schedule's KPI (money in currency),
// last-success and alert gauges from its status: status.kpis, status.lastSuccessfulTime and
// status.alerts (1) against the alert rules of the spec (0).
func publishScheduleGauges(rs *crmv1.ReportSchedule, currency string) {
	publishStaleAfter(metrics.KindSchedule, rs.Namespace, rs.Name, scheduleInterval(rs, time.Now()))
	s := &rs.Status
	if s.LastSuccessfulTime == nil {
		return // no run evaluated yet: nothing to publish
	}
	metrics.SetKPIs(metrics.KindSchedule, rs.Namespace, rs.Name, currency, parseKPIs(s.KPIs))
	metrics.SetLastSuccess(metrics.KindSchedule, rs.Namespace, rs.Name, float64(s.LastSuccessfulTime.Unix()))
	firing := map[string]bool{}
	rules, drops := alertRules(rs)
	for _, r := range rules {
		firing[r.Name] = false
	}
	for _, d := range drops {
		firing[d.Name] = false
	}
	for _, a := range s.Alerts {
		firing[a.Name] = true
	}
	metrics.SetAlerts(rs.Namespace, rs.Name, firing)
}

// publishDataSourceGauge sets crmlens_datasource_ready from the Ready
// condition, when the source has been probed.
func publishDataSourceGauge(ds *crmv1.DataSource) {
	c := meta.FindStatusCondition(ds.Status.Conditions, crmv1.ConditionReady)
	if c == nil {
		return
	}
	metrics.SetDataSourceReady(ds.Namespace, ds.Name, c.Status == metav1.ConditionTrue)
}
