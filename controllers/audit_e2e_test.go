package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/testutil"
	dto "github.com/prometheus/client_model/go"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/metrics"
)

// series returns the label sets (as "k=v,..." strings) of c's series in ns.
func series(t *testing.T, c prometheus.Collector, ns string) []string {
	t.Helper()
	ch := make(chan prometheus.Metric, 1024)
	go func() { c.Collect(ch); close(ch) }()
	var out []string
	for m := range ch {
		var pb dto.Metric
		if err := m.Write(&pb); err != nil {
			t.Fatal(err)
		}
		var kv []string
		in := false
		for _, l := range pb.GetLabel() {
			kv = append(kv, l.GetName()+"="+l.GetValue())
			if l.GetName() == "namespace" && l.GetValue() == ns {
				in = true
			}
		}
		if in {
			out = append(out, strings.Join(kv, ","))
		}
	}
	return out
}

// TestGaugesRestoredFromStatus runs a model and a schedule to a firing
// alert, then throws away every gauge (as a restarted or newly elected
// manager starts without them) and starts a fresh manager with no executor:
// the gauges come back from status alone, with no new run. Deleting the
// objects removes their series.
func TestGaugesRestoredFromStatus(t *testing.T) {
	h := newHarness(t)
	ns := h.ns("e2e-gauges")
	stop := h.startManager(true, nil)
	ctx := context.Background()
	rs := schedule(ns, "weekly", "@yearly", crmv1.ConcurrencyForbid)
	rs.Spec.Alerts = []crmv1.AlertRule{
		{Name: "churn-high", Metric: "churnRate", Operator: crmv1.OpGreaterThan, Threshold: "0.01"},
		{Name: "never", Metric: "churnRate", Operator: crmv1.OpLessThan, Threshold: "0"},
	}
	rs.Annotations = map[string]string{crmv1.RunNowAnnotation: "1"}
	src := sampleSource(ns, "shop", 150)
	src.Spec.Currency = "EUR"
	h.create(src, rfmModel(ns, "rfm", "shop"), rs)
	m := h.waitModelRun(ns, "rfm", "rfm-g1")
	h.eventually(90*time.Second, "alert fires", func() error {
		if r := h.rs(ns, "weekly"); len(r.Status.Alerts) != 1 || len(r.Status.Active) != 0 {
			return fmt.Errorf("status %+v", r.Status)
		}
		return nil
	})
	stop()
	got := h.rs(ns, "weekly")
	jobsBefore := len(h.jobs(ns))
	for _, v := range []*prometheus.GaugeVec{metrics.AlertFiring, metrics.KPICount, metrics.KPIRatio, metrics.KPIMoney, metrics.SegmentCustomers, metrics.SegmentRevenueShare, metrics.LastSuccess, metrics.DataSourceReady, metrics.StaleAfter} {
		v.Reset()
	}
	if s := series(t, metrics.AlertFiring, ns); len(s) != 0 {
		t.Fatalf("series after reset: %v", s)
	}

	h.startManager(false, nil)
	h.eventually(20*time.Second, "gauges restored from status", func() error {
		if v := testutil.ToFloat64(metrics.AlertFiring.WithLabelValues(ns, "weekly", "churn-high")); v != 1 {
			return fmt.Errorf("crmlens_alert_firing{churn-high} = %v", v)
		}
		if n := len(series(t, metrics.SegmentCustomers, ns)); n != len(m.Status.Segments) {
			return fmt.Errorf("%d segment series, want %d", n, len(m.Status.Segments))
		}
		if n := len(series(t, metrics.DataSourceReady, ns)); n != 1 {
			return fmt.Errorf("%d datasource_ready series", n)
		}
		return nil
	})
	if v := testutil.ToFloat64(metrics.AlertFiring.WithLabelValues(ns, "weekly", "never")); v != 0 {
		t.Errorf("crmlens_alert_firing{never} = %v", v)
	}
	// One unit per metric: a ratio, a count, and money in the source's currency.
	for _, k := range []struct {
		vec    *prometheus.GaugeVec
		labels []string
		kpi    string
	}{
		{metrics.KPIRatio, []string{metrics.KindSchedule, ns, "weekly", "churnRate"}, "churnRate"},
		{metrics.KPICount, []string{metrics.KindSchedule, ns, "weekly", "customers"}, "customers"},
		{metrics.KPIMoney, []string{metrics.KindSchedule, ns, "weekly", "EUR", "revenue"}, "revenue"},
	} {
		if v, want := testutil.ToFloat64(k.vec.WithLabelValues(k.labels...)), got.Status.KPIs[k.kpi]; fmt.Sprint(v) != want {
			t.Errorf("%s%v = %v, status says %q", k.kpi, k.labels, v, want)
		}
	}
	// @yearly: stale after a year and a half.
	if v := testutil.ToFloat64(metrics.StaleAfter.WithLabelValues(metrics.KindSchedule, ns, "weekly")); v < 365*86400*1.5 {
		t.Errorf("stale after %v s for @yearly", v)
	}
	if v := testutil.ToFloat64(metrics.LastSuccess.WithLabelValues(metrics.KindSchedule, ns, "weekly")); v != float64(got.Status.LastSuccessfulTime.Unix()) {
		t.Errorf("schedule last success = %v, status %v", v, got.Status.LastSuccessfulTime)
	}
	if v := testutil.ToFloat64(metrics.LastSuccess.WithLabelValues(metrics.KindModel, ns, "rfm")); v != float64(m.Status.LastRunTime.Unix()) {
		t.Errorf("model last success = %v, status %v", v, m.Status.LastRunTime)
	}
	seg := m.Status.Segments[0]
	if v := testutil.ToFloat64(metrics.SegmentCustomers.WithLabelValues(ns, "rfm", seg.Name)); v != float64(seg.Customers) {
		t.Errorf("segment %s customers = %v, want %d", seg.Name, v, seg.Customers)
	}
	if v := testutil.ToFloat64(metrics.DataSourceReady.WithLabelValues(ns, "shop")); v != 1 {
		t.Errorf("datasource_ready = %v", v)
	}
	if n := len(h.jobs(ns)); n != jobsBefore {
		t.Errorf("%d Jobs after the restart, %d before: the gauges must come from status, not a new run", n, jobsBefore)
	}
	if r := h.rs(ns, "weekly"); r.Status.LastRunName != got.Status.LastRunName {
		t.Errorf("a new run was absorbed: %s → %s", got.Status.LastRunName, r.Status.LastRunName)
	}

	// Deleted objects lose their series.
	for _, o := range []client.Object{h.rs(ns, "weekly"), h.model(ns, "rfm"), &crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop"}}} {
		if err := h.c.Delete(ctx, o); err != nil {
			t.Fatal(err)
		}
	}
	h.eventually(20*time.Second, "series of deleted objects removed", func() error {
		for name, c := range map[string]prometheus.Collector{"alert": metrics.AlertFiring, "kpiCount": metrics.KPICount, "kpiRatio": metrics.KPIRatio, "kpiMoney": metrics.KPIMoney, "staleAfter": metrics.StaleAfter, "segment": metrics.SegmentCustomers,
			"lastSuccess": metrics.LastSuccess, "ready": metrics.DataSourceReady} {
			if s := series(t, c, ns); len(s) != 0 {
				return fmt.Errorf("%s series left: %v", name, s)
			}
		}
		return nil
	})
}

// TestInsecureStoreWarns: a result store that does not verify TLS raises
// one InsecureTLS Warning Event per generation on the model or schedule, not
// one per reconcile; a verifying store raises none.
func TestInsecureStoreWarns(t *testing.T) {
	h := newHarness(t)
	ns := h.ns("e2e-insecure-store")
	h.startManager(false, nil)
	insecure := rfmModel(ns, "s3-insecure", "shop")
	insecure.Spec.Output.Store = &crmv1.ResultStore{ObjectStore: &crmv1.ObjectStoreSink{ObjectStoreConnection: crmv1.ObjectStoreConnection{
		Endpoint: "https://s3.example:9000", Region: "us-east-1", Bucket: "results", InsecureSkipVerify: true}}}
	secure := rfmModel(ns, "s3-secure", "shop")
	secure.Spec.Output.Store = &crmv1.ResultStore{ObjectStore: &crmv1.ObjectStoreSink{ObjectStoreConnection: crmv1.ObjectStoreConnection{
		Endpoint: "https://s3.example:9000", Region: "us-east-1", Bucket: "results"}}}
	rs := schedule(ns, "pg-plain", "@yearly", crmv1.ConcurrencyForbid)
	rs.Spec.Output.Store = &crmv1.ResultStore{Postgres: &crmv1.PostgresStore{Table: "results", Connection: &crmv1.PostgresConnection{
		SecretRef: crmv1.PostgresSecretRef{Name: "pg"}, Host: "db.example", Database: "crm", SSLMode: "disable"}}}
	h.create(sampleSource(ns, "shop", 20), insecure, secure, rs)
	want := map[string]string{"s3-insecure": "objectStore.insecureSkipVerify", "pg-plain": "postgres.connection.sslMode is disable"}
	h.eventually(20*time.Second, "InsecureTLS events", func() error {
		for name := range want {
			if n := h.eventReasons(ns, name)[string(crmv1.ReasonInsecureTLS)]; n != 1 {
				return fmt.Errorf("%s: %d InsecureTLS events", name, n)
			}
		}
		return nil
	})
	// More reconciles of the same generation: no new Event.
	for i := 0; i < 3; i++ {
		h.poke(ns, "pg-plain")
		m := h.model(ns, "s3-insecure")
		patch := client.MergeFrom(m.DeepCopy())
		m.Annotations = map[string]string{"test/poke": fmt.Sprint(i)}
		if err := h.c.Patch(context.Background(), m, patch); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(2 * time.Second)
	var l eventsv1.EventList
	if err := h.c.List(context.Background(), &l, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, e := range l.Items {
		if e.Reason != string(crmv1.ReasonInsecureTLS) {
			continue
		}
		name := e.Regarding.Name
		if name == "s3-secure" {
			t.Errorf("InsecureTLS for a verifying store: %s", e.Note)
		}
		if w, ok := want[name]; ok && !strings.Contains(e.Note, w) {
			t.Errorf("%s: message %q does not name %q", name, e.Note, w)
		}
		if e.Series != nil && e.Series.Count > 1 {
			t.Errorf("%s: InsecureTLS repeated (series count %d)", name, e.Series.Count)
		}
	}
	for name := range want {
		if n := h.eventOccurrences(ns, name, string(crmv1.ReasonInsecureTLS)); n != 1 {
			t.Errorf("%s: %d InsecureTLS events after more reconciles, want 1", name, n)
		}
	}
}

// TestMissingRunnerServiceAccount: without the runner ServiceAccount a model
// and a schedule report ServiceAccountNotFound (pointing at config/runner)
// instead of creating a Job that never gets a pod; a run-now stays pending;
// once the ServiceAccount exists the runs start.
func TestMissingRunnerServiceAccount(t *testing.T) {
	h := newHarness(t)
	ns := h.ns("e2e-runner-sa")
	h.startManager(false, nil)
	ctx := context.Background()
	job := &crmv1.JobSettings{ServiceAccountName: "crmlens-runner"}
	m := rfmModel(ns, "rfm", "shop")
	m.Spec.Job = job
	rs := schedule(ns, "weekly", "@yearly", crmv1.ConcurrencyForbid)
	rs.Spec.Job = job
	rs.Annotations = map[string]string{crmv1.RunNowAnnotation: "1"}
	h.create(sampleSource(ns, "shop", 20), m, rs)

	check := func(conds []metav1.Condition) error {
		for _, typ := range []string{crmv1.ConditionReady, crmv1.ConditionDegraded} {
			c := cond(conds, typ)
			want := metav1.ConditionFalse
			if typ == crmv1.ConditionDegraded {
				want = metav1.ConditionTrue
			}
			if c == nil || c.Status != want || c.Reason != string(crmv1.ReasonServiceAccountNotFound) {
				return fmt.Errorf("%s = %+v", typ, c)
			}
			if !strings.Contains(c.Message, "config/runner") || !strings.Contains(c.Message, `"crmlens-runner"`) {
				return fmt.Errorf("%s message %q does not say what to apply", typ, c.Message)
			}
		}
		return nil
	}
	h.eventually(20*time.Second, "ServiceAccountNotFound", func() error {
		if err := check(h.model(ns, "rfm").Status.Conditions); err != nil {
			return fmt.Errorf("model: %w", err)
		}
		if err := check(h.rs(ns, "weekly").Status.Conditions); err != nil {
			return fmt.Errorf("schedule: %w", err)
		}
		return nil
	})
	h.poke(ns, "weekly") // more reconciles: still no Job, the run-now still pending
	time.Sleep(time.Second)
	if js := h.jobs(ns); len(js) != 0 {
		t.Fatalf("%d Jobs without the runner ServiceAccount", len(js))
	}
	if r := h.rs(ns, "weekly"); r.Annotations[crmv1.LastRunNowAnnotation] != "" {
		t.Errorf("run-now marked handled although no run started: %v", r.Annotations)
	}
	if n := h.eventOccurrences(ns, "weekly", string(crmv1.ReasonServiceAccountNotFound)); n != 1 {
		t.Errorf("%d ServiceAccountNotFound Events for one pending run", n)
	}

	h.create(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "crmlens-runner"}})
	// ServiceAccounts are not watched (the manager may only get them; it
	// looks again every minute): a spec-independent poke brings both back now.
	h.poke(ns, "weekly")
	mm := h.model(ns, "rfm")
	patch := client.MergeFrom(mm.DeepCopy())
	mm.Annotations = map[string]string{"test/poke": "1"}
	if err := h.c.Patch(ctx, mm, patch); err != nil {
		t.Fatal(err)
	}
	h.eventually(20*time.Second, "runs start once the ServiceAccount exists", func() error {
		if names := h.ownedJobNames(ns, "rfm"); len(names) != 1 {
			return fmt.Errorf("model jobs %v", names)
		}
		r := h.rs(ns, "weekly")
		if names := h.ownedJobNames(ns, "weekly"); len(names) != 1 || r.Annotations[crmv1.LastRunNowAnnotation] != "1" {
			return fmt.Errorf("schedule jobs %v, annotations %v", names, r.Annotations)
		}
		if c := cond(r.Status.Conditions, crmv1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue || c.Reason != string(crmv1.ReasonScheduled) {
			return fmt.Errorf("schedule Ready %+v", c)
		}
		if c := cond(r.Status.Conditions, crmv1.ConditionDegraded); c == nil || c.Status != metav1.ConditionFalse {
			return fmt.Errorf("schedule Degraded %+v", c)
		}
		return nil
	})
	j := h.jobs(ns)[0]
	if sa := j.Spec.Template.Spec.ServiceAccountName; sa != "crmlens-runner" {
		t.Errorf("Job runs as %q", sa)
	}
}

// TestScheduleMissingReferences: a schedule whose model or source is
// missing cannot produce reports, so it is Ready=False with the reason (what
// `kubectl wait --for=condition=Ready` users expect), a run-now stays
// pending, and both recover when the objects appear (watched, no polling).
func TestScheduleMissingReferences(t *testing.T) {
	h := newHarness(t)
	ns := h.ns("e2e-missing-refs")
	h.startManager(false, nil)
	ctx := context.Background()
	byModel := schedule(ns, "by-model", "@yearly", crmv1.ConcurrencyForbid)
	byModel.Spec.Sources = nil
	byModel.Spec.ModelRef = &crmv1.LocalObjectReference{Name: "rfm"}
	byModel.Annotations = map[string]string{crmv1.RunNowAnnotation: "1"}
	bySource := schedule(ns, "by-source", "@yearly", crmv1.ConcurrencyForbid)
	h.create(byModel, bySource)

	notReady := func(name, reason string) func() error {
		return func() error {
			r := h.rs(ns, name)
			if c := cond(r.Status.Conditions, crmv1.ConditionReady); c == nil || c.Status != metav1.ConditionFalse || c.Reason != reason {
				return fmt.Errorf("%s Ready %+v", name, c)
			}
			if c := cond(r.Status.Conditions, crmv1.ConditionDegraded); c == nil || c.Status != metav1.ConditionTrue || c.Reason != reason {
				return fmt.Errorf("%s Degraded %+v", name, c)
			}
			if r.Status.NextScheduleTime == nil {
				return fmt.Errorf("%s: no nextScheduleTime", name)
			}
			return nil
		}
	}
	h.eventually(20*time.Second, "ModelNotFound", notReady("by-model", "ModelNotFound"))
	h.eventually(20*time.Second, "SourceNotFound", notReady("by-source", "SourceNotFound"))
	if r := h.rs(ns, "by-model"); r.Annotations[crmv1.LastRunNowAnnotation] != "" {
		t.Errorf("run-now marked handled without a run: %v", r.Annotations)
	}
	if js := h.jobs(ns); len(js) != 0 {
		t.Fatalf("%d Jobs with missing references", len(js))
	}

	// The objects appear: both become Ready, the pending run-now starts.
	h.create(sampleSource(ns, "shop", 20), rfmModel(ns, "rfm", "shop"))
	for _, name := range []string{"by-model", "by-source"} {
		h.eventually(20*time.Second, name+" Ready", func() error {
			r := h.rs(ns, name)
			if c := cond(r.Status.Conditions, crmv1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue || c.Reason != string(crmv1.ReasonScheduled) {
				return fmt.Errorf("Ready %+v", c)
			}
			if c := cond(r.Status.Conditions, crmv1.ConditionDegraded); c == nil || c.Status != metav1.ConditionFalse || c.Reason != string(crmv1.ReasonReferencesFound) {
				return fmt.Errorf("Degraded %+v", c)
			}
			return nil
		})
	}
	h.eventually(20*time.Second, "pending run-now starts", func() error {
		r := h.rs(ns, "by-model")
		if names := h.ownedJobNames(ns, "by-model"); len(names) != 1 || r.Annotations[crmv1.LastRunNowAnnotation] != "1" {
			return fmt.Errorf("jobs %v, annotations %v", names, r.Annotations)
		}
		return nil
	})

	// Deleting the model makes the schedule not Ready again.
	if err := h.c.Delete(ctx, h.model(ns, "rfm")); err != nil {
		t.Fatal(err)
	}
	h.eventually(20*time.Second, "ModelNotFound after delete", notReady("by-model", "ModelNotFound"))
}
