// Package metrics holds crmlens's business metrics: segment sizes, KPIs of the
// last run, run durations and outcomes, data source readiness and firing
// alerts. They are registered in controller-runtime's metrics.Registry, so the
// manager serves them on its (secure by default) metrics endpoint next to the
// controller-runtime reconcile metrics.
package metrics

import (
	"strings"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"

	"github.com/crmlens/crmlens/internal/buildinfo"
)

// Kinds used as the "kind" label.
const (
	KindModel    = "SegmentationModel"
	KindSchedule = "ReportSchedule"
)

// Outcomes used as the "outcome" label.
const (
	Succeeded = "succeeded"
	Failed    = "failed"
)

var (
	// SegmentCustomers is the number of customers per segment of a model's last good run.
	SegmentCustomers = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "crmlens_segment_customers",
		Help: "Customers per segment in the last successful run of a SegmentationModel.",
	}, []string{"namespace", "name", "segment"})
	// SegmentRevenueShare is the share of revenue (0..1) per segment.
	SegmentRevenueShare = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "crmlens_segment_revenue_share",
		Help: "Share of revenue (0..1) per segment in the last successful run of a SegmentationModel.",
	}, []string{"namespace", "name", "segment"})
	// RunDuration observes analysis Job durations by kind and outcome.
	RunDuration = prometheus.NewHistogramVec(prometheus.HistogramOpts{
		Name:    "crmlens_run_duration_seconds",
		Help:    "Wall time of analysis Jobs, from start to completion.",
		Buckets: []float64{1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600},
	}, []string{"kind", "outcome"})
	// Runs counts finished analysis Jobs per resource and outcome.
	Runs = prometheus.NewCounterVec(prometheus.CounterOpts{
		Name: "crmlens_runs_total",
		Help: "Finished analysis Jobs per resource and outcome.",
	}, []string{"kind", "namespace", "name", "outcome"})
	// LastSuccess is the Unix time of the last successful run per resource.
	LastSuccess = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "crmlens_last_success_timestamp_seconds",
		Help: "Unix time the last successful run of a resource finished.",
	}, []string{"kind", "namespace", "name"})
	// AlertFiring is 1 while a ReportSchedule alert fires, 0 otherwise.
	AlertFiring = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "crmlens_alert_firing",
		Help: "1 while a ReportSchedule alert fires, 0 when it is resolved.",
	}, []string{"namespace", "name", "alert"})
	// DataSourceReady is 1 when a DataSource's last probe succeeded.
	DataSourceReady = prometheus.NewGaugeVec(prometheus.GaugeOpts{
		Name: "crmlens_datasource_ready",
		Help: "1 when the DataSource's last probe succeeded, 0 otherwise.",
	}, []string{"namespace", "name"})
)

var once sync.Once

// Register adds the metrics to controller-runtime's registry; safe to call
// more than once (tests start several managers in one process).
func Register() {
	once.Do(func() {
		crmetrics.Registry.MustRegister(SegmentCustomers, SegmentRevenueShare, KPICount, KPIRatio, KPIMoney, RunDuration, Runs, LastSuccess, AlertFiring, DataSourceReady, BuildInfo, StaleAfter)
		setBuildInfo(buildinfo.Get())
	})
}

// Segment is one segment's figures.
type Segment struct {
	Name         string
	Customers    int64
	RevenueShare float64
}

// published remembers, per vector and resource, which last label values were
// set, so a replace can drop the stale ones after setting the new ones: a
// scrape in between never sees a series vanish and come back (the
// reconcilers republish every reconcile, from status).
var (
	pubMu     sync.Mutex
	published = map[string]map[string]bool{}
)

// replace sets vec{prefix..., key} = v for every entry and deletes the series
// of keys set before under the same prefix but absent now.
func replace(vec *prometheus.GaugeVec, family string, prefix []string, values map[string]float64) {
	id := family + "\x00" + strings.Join(prefix, "\x00")
	for k, v := range values {
		vec.WithLabelValues(append(append([]string{}, prefix...), k)...).Set(v)
	}
	pubMu.Lock()
	defer pubMu.Unlock()
	for k := range published[id] {
		if _, ok := values[k]; !ok {
			vec.DeleteLabelValues(append(append([]string{}, prefix...), k)...)
		}
	}
	now := make(map[string]bool, len(values))
	for k := range values {
		now[k] = true
	}
	published[id] = now
}

// forgetPublished drops the replace bookkeeping of a deleted resource.
func forgetPublished(kind, namespace, name string) {
	pubMu.Lock()
	defer pubMu.Unlock()
	res := "\x00" + namespace + "\x00" + name
	switch kind {
	case KindModel:
		delete(published, "segment_customers"+res)
		delete(published, "segment_revenue_share"+res)
	case KindSchedule:
		delete(published, "alert_firing"+res)
	}
	for id := range published {
		for _, f := range []string{"kpi_count", "kpi_ratio", "kpi_money"} {
			if id == f+"\x00"+kind+res || strings.HasPrefix(id, f+"\x00"+kind+res+"\x00") {
				delete(published, id)
			}
		}
	}
	delete(moneyCurrency, kind+res)
}

// SetSegments replaces a model's segment series, dropping segments that no
// longer exist so dashboards never show a stale segment.
func SetSegments(namespace, name string, segs []Segment) {
	customers := make(map[string]float64, len(segs))
	shares := make(map[string]float64, len(segs))
	for _, s := range segs {
		customers[s.Name] = float64(s.Customers)
		shares[s.Name] = s.RevenueShare
	}
	replace(SegmentCustomers, "segment_customers", []string{namespace, name}, customers)
	replace(SegmentRevenueShare, "segment_revenue_share", []string{namespace, name}, shares)
}

// ObserveRun records one finished run. finishedUnix is used only on success.
func ObserveRun(kind, namespace, name, outcome string, seconds, finishedUnix float64) {
	RunDuration.WithLabelValues(kind, outcome).Observe(seconds)
	Runs.WithLabelValues(kind, namespace, name, outcome).Inc()
	if outcome == Succeeded {
		SetLastSuccess(kind, namespace, name, finishedUnix)
	}
}

// SetLastSuccess sets when a resource's last good run finished (Unix seconds).
func SetLastSuccess(kind, namespace, name string, finishedUnix float64) {
	LastSuccess.WithLabelValues(kind, namespace, name).Set(finishedUnix)
}

// SetDataSourceReady sets a DataSource's readiness gauge.
func SetDataSourceReady(namespace, name string, ready bool) {
	v := 0.0
	if ready {
		v = 1
	}
	DataSourceReady.WithLabelValues(namespace, name).Set(v)
}

// SetAlerts sets the firing gauge of every known alert of a schedule (true =
// firing) and removes series of alerts no longer defined.
func SetAlerts(namespace, name string, firing map[string]bool) {
	vals := make(map[string]float64, len(firing))
	for a, f := range firing {
		vals[a] = 0
		if f {
			vals[a] = 1
		}
	}
	replace(AlertFiring, "alert_firing", []string{namespace, name}, vals)
}

// Forget removes every series of a deleted resource.
func Forget(kind, namespace, name string) {
	sel := prometheus.Labels{"namespace": namespace, "name": name}
	defer forgetPublished(kind, namespace, name)
	switch kind {
	case KindModel:
		SegmentCustomers.DeletePartialMatch(sel)
		SegmentRevenueShare.DeletePartialMatch(sel)
	case KindSchedule:
		AlertFiring.DeletePartialMatch(sel)
	case "DataSource":
		DataSourceReady.DeletePartialMatch(sel)
		return
	}
	ks := prometheus.Labels{"kind": kind, "namespace": namespace, "name": name}
	KPICount.DeletePartialMatch(ks)
	KPIRatio.DeletePartialMatch(ks)
	KPIMoney.DeletePartialMatch(ks)
	StaleAfter.DeletePartialMatch(ks)
	Runs.DeletePartialMatch(ks)
	LastSuccess.DeletePartialMatch(ks)
}
