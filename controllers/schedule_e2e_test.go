package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus/testutil"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/metrics"
)

func schedule(ns, name, spec string, policy crmv1.ConcurrencyPolicy) *crmv1.ReportSchedule {
	return &crmv1.ReportSchedule{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: crmv1.ReportScheduleSpec{Schedule: spec, ConcurrencyPolicy: policy, Sources: []crmv1.SourceRef{{Name: "shop"}},
			Reports: []crmv1.Report{{Type: crmv1.ReportKPI}}}}
}

func (h *harness) rs(ns, name string) *crmv1.ReportSchedule {
	var r crmv1.ReportSchedule
	if err := h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &r); err != nil {
		h.t.Fatal(err)
	}
	return &r
}

// poke changes an annotation so the reconciler looks again (the fake clock
// moves without the real requeue timer firing).
func (h *harness) poke(ns, name string) {
	h.t.Helper()
	r := h.rs(ns, name)
	patch := client.MergeFrom(r.DeepCopy())
	if r.Annotations == nil {
		r.Annotations = map[string]string{}
	}
	n, _ := strconv.Atoi(r.Annotations["test/poke"])
	r.Annotations["test/poke"] = strconv.Itoa(n + 1)
	if err := h.c.Patch(context.Background(), r, patch); err != nil {
		h.t.Fatal(err)
	}
}

func (h *harness) ownedJobNames(ns, owner string) []string {
	var names []string
	for _, j := range h.jobs(ns) {
		if j.Labels["crmlens.io/owner-name"] == owner && j.DeletionTimestamp == nil {
			names = append(names, j.Name)
		}
	}
	return names
}

func TestScheduleSemantics(t *testing.T) {
	h := newHarness(t)
	ns := h.ns("e2e-sched")
	clock := &fakeClock{}
	clock.Set(time.Now())
	h.startManager(false, clock) // no executor: Jobs stay active
	h.create(sampleSource(ns, "shop", 50))
	for _, p := range []crmv1.ConcurrencyPolicy{crmv1.ConcurrencyAllow, crmv1.ConcurrencyForbid, crmv1.ConcurrencyReplace} {
		h.create(schedule(ns, strings.ToLower(string(p)), "0 * * * *", p))
	}
	created := h.rs(ns, "allow").CreationTimestamp.Time
	h1 := created.Truncate(time.Hour).Add(time.Hour)
	h.eventually(20*time.Second, "nextScheduleTime", func() error {
		r := h.rs(ns, "allow")
		if r.Status.NextScheduleTime == nil || !r.Status.NextScheduleTime.Time.Equal(h1) {
			return fmt.Errorf("next = %v, want %v", r.Status.NextScheduleTime, h1)
		}
		return nil
	})
	if names := h.ownedJobNames(ns, "allow"); len(names) != 0 {
		t.Fatalf("jobs before the first slot: %v", names)
	}

	step := func(at time.Time) {
		clock.Set(at)
		for _, n := range []string{"allow", "forbid", "replace"} {
			h.poke(ns, n)
		}
	}
	step(h1.Add(30 * time.Second))
	slot1 := "-" + strconv.FormatInt(h1.Unix()/60, 10)
	for _, n := range []string{"allow", "forbid", "replace"} {
		h.eventually(20*time.Second, n+" first run", func() error {
			if names := h.ownedJobNames(ns, n); len(names) != 1 || names[0] != n+slot1 {
				return fmt.Errorf("jobs %v", names)
			}
			return nil
		})
	}
	h2 := h1.Add(time.Hour)
	slot2 := "-" + strconv.FormatInt(h2.Unix()/60, 10)
	step(h2.Add(30 * time.Second))
	h.eventually(20*time.Second, "Allow runs concurrently", func() error {
		if names := h.ownedJobNames(ns, "allow"); len(names) != 2 {
			return fmt.Errorf("jobs %v", names)
		}
		if r := h.rs(ns, "allow"); len(r.Status.Active) != 2 || !r.Status.LastScheduleTime.Time.Equal(h2) {
			return fmt.Errorf("status %+v", r.Status)
		}
		return nil
	})
	h.eventually(20*time.Second, "Replace replaces", func() error {
		if names := h.ownedJobNames(ns, "replace"); len(names) != 1 || names[0] != "replace"+slot2 {
			return fmt.Errorf("jobs %v", names)
		}
		return nil
	})
	h.eventually(20*time.Second, "Forbid skips", func() error {
		if h.eventReasons(ns, "forbid")["JobAlreadyActive"] == 0 {
			return fmt.Errorf("no JobAlreadyActive event")
		}
		return nil
	})
	// More reconciles in the same slot: the Event describes the slot, once.
	for i := 0; i < 3; i++ {
		h.poke(ns, "forbid")
	}
	time.Sleep(2 * time.Second)
	if n := h.eventOccurrences(ns, "forbid", "JobAlreadyActive"); n != 1 {
		t.Errorf("%d JobAlreadyActive Events for one skipped slot, want 1", n)
	}
	if names := h.ownedJobNames(ns, "forbid"); len(names) != 1 || names[0] != "forbid"+slot1 {
		t.Errorf("Forbid jobs %v", names)
	}
	if r := h.rs(ns, "forbid"); !r.Status.LastScheduleTime.Time.Equal(h1) {
		t.Errorf("Forbid lastScheduleTime %v, want the first slot", r.Status.LastScheduleTime)
	}

	// Suspend: no new run at the next slot.
	r := h.rs(ns, "allow")
	r.Spec.Suspend = true
	if err := h.c.Update(context.Background(), r); err != nil {
		t.Fatal(err)
	}
	h.eventually(20*time.Second, "suspended", func() error {
		if c := cond(h.rs(ns, "allow").Status.Conditions, crmv1.ConditionReady); c == nil || c.Reason != string(crmv1.ReasonSuspended) {
			return fmt.Errorf("ready %+v", c)
		}
		return nil
	})
	step(h2.Add(time.Hour + 30*time.Second))
	time.Sleep(time.Second)
	if names := h.ownedJobNames(ns, "allow"); len(names) != 2 {
		t.Errorf("suspended schedule started a run: %v", names)
	}

	// Invalid schedules and time zones that admission cannot check (an
	// @every duration, a zone missing from the database) are reported, not
	// retried in a loop; "61 * * * *" is refused at admission.
	bad := schedule(ns, "bad-cron", "@every fortnight", "")
	badTZ := schedule(ns, "bad-tz", "0 9 * * *", "")
	tz := "Mars/Olympus_Mons"
	badTZ.Spec.TimeZone = &tz
	h.create(bad, badTZ)
	for _, n := range []string{"bad-cron", "bad-tz"} {
		h.eventually(20*time.Second, n+" InvalidSchedule", func() error {
			c := cond(h.rs(ns, n).Status.Conditions, crmv1.ConditionReady)
			if c == nil || c.Status != metav1.ConditionFalse || c.Reason != string(crmv1.ReasonInvalidSchedule) {
				return fmt.Errorf("ready %+v", c)
			}
			return nil
		})
	}
	if c := cond(h.rs(ns, "bad-tz").Status.Conditions, crmv1.ConditionReady); !strings.Contains(c.Message, "timeZone") {
		t.Errorf("message does not name the field: %q", c.Message)
	}

	// Too many missed start times: one run and a warning.
	clock.Set(time.Now())
	h.create(schedule(ns, "late", "0 * * * *", crmv1.ConcurrencyAllow))
	h.eventually(20*time.Second, "late scheduled", func() error {
		if r := h.rs(ns, "late"); r.Status.NextScheduleTime == nil {
			return fmt.Errorf("not reconciled yet")
		}
		return nil
	})
	clock.Set(h.rs(ns, "late").CreationTimestamp.Add(200 * time.Hour))
	h.poke(ns, "late")
	h.eventually(20*time.Second, "one run after many missed", func() error {
		if names := h.ownedJobNames(ns, "late"); len(names) != 1 {
			return fmt.Errorf("jobs %v", names)
		}
		if h.eventReasons(ns, "late")["TooManyMissedTimes"] != 1 {
			return fmt.Errorf("events %v", h.eventReasons(ns, "late"))
		}
		return nil
	})
	for i := 0; i < 3; i++ {
		h.poke(ns, "late")
	}
	time.Sleep(2 * time.Second)
	if n := h.eventOccurrences(ns, "late", "TooManyMissedTimes"); n != 1 {
		t.Errorf("%d TooManyMissedTimes Events for one slot, want 1", n)
	}
}

func TestAlertsFireAndResolve(t *testing.T) {
	var mu sync.Mutex
	var posts [][]map[string]any
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		var a []map[string]any
		_ = json.Unmarshal(b, &a)
		mu.Lock()
		posts = append(posts, a)
		mu.Unlock()
	}))
	defer hook.Close()

	h := newHarness(t)
	ns := h.ns("e2e-alerts")
	h.startManager(true, nil)
	rs := schedule(ns, "weekly", "@yearly", crmv1.ConcurrencyForbid)
	rs.Spec.Alerts = []crmv1.AlertRule{
		{Name: "churn-high", Metric: "churnRate", Operator: crmv1.OpGreaterThan, Threshold: "0.01", Severity: crmv1.SeverityCritical},
		{Name: "never", Metric: "churnRate", Operator: crmv1.OpLessThan, Threshold: "0"},
	}
	rs.Spec.Output.Webhook = &crmv1.Webhook{URL: hook.URL}
	rs.Annotations = map[string]string{crmv1.RunNowAnnotation: "1"}
	h.create(sampleSource(ns, "shop", 200), rs)

	var got *crmv1.ReportSchedule
	h.eventually(90*time.Second, "alert fires", func() error {
		got = h.rs(ns, "weekly")
		if c := cond(got.Status.Conditions, crmv1.ConditionAlertFiring); c == nil || c.Status != metav1.ConditionTrue {
			return fmt.Errorf("AlertFiring %+v; status %+v", c, got.Status)
		}
		return nil
	})
	if c := cond(got.Status.Conditions, crmv1.ConditionAlertFiring); !strings.Contains(c.Message, "churn-high") || strings.Contains(c.Message, "never") {
		t.Errorf("AlertFiring message %q", c.Message)
	}
	if len(got.Status.Alerts) != 1 || got.Status.Alerts[0].Name != "churn-high" || got.Status.Alerts[0].Threshold != "0.01" || got.Status.FiringAlerts != 1 {
		t.Errorf("status.alerts = %+v", got.Status.Alerts)
	}
	churn, err := strconv.ParseFloat(got.Status.KPIs["churnRate"], 64)
	if err != nil || churn <= 0.01 || got.Status.Alerts[0].Value != got.Status.KPIs["churnRate"] {
		t.Errorf("kpis %v, alert value %q", got.Status.KPIs, got.Status.Alerts[0].Value)
	}
	// Gauges are set right after the status write: wait for them.
	h.eventually(10*time.Second, "firing gauge", func() error {
		if v := testutil.ToFloat64(metrics.AlertFiring.WithLabelValues(ns, "weekly", "churn-high")); v != 1 {
			return fmt.Errorf("crmlens_alert_firing = %v", v)
		}
		return nil
	})
	if v := testutil.ToFloat64(metrics.AlertFiring.WithLabelValues(ns, "weekly", "never")); v != 0 {
		t.Errorf("crmlens_alert_firing{never} = %v", v)
	}
	h.eventually(20*time.Second, "webhook notified", func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(posts) != 1 || len(posts[0]) != 1 {
			return fmt.Errorf("posts %v", posts)
		}
		return nil
	})
	mu.Lock()
	if l := posts[0][0]["labels"].(map[string]any); l["alertname"] != "churn-high" || l["severity"] != "critical" {
		t.Errorf("webhook labels %v", l)
	}
	mu.Unlock()
	h.eventually(20*time.Second, "firing event", func() error {
		if r := h.eventReasons(ns, "weekly"); r["AlertFiring"] != 1 {
			return fmt.Errorf("events %v", r)
		}
		return nil
	})
	since := got.Status.Alerts[0].Since
	// Alertmanager resolves an alert once its endsAt passes: a firing alert
	// carries its original start and an end past the next scheduled run.
	checkFiring := func(post []map[string]any, next time.Time) {
		t.Helper()
		if len(post) != 1 {
			t.Fatalf("post %v", post)
		}
		starts, err1 := time.Parse(time.RFC3339, fmt.Sprint(post[0]["startsAt"]))
		ends, err2 := time.Parse(time.RFC3339, fmt.Sprint(post[0]["endsAt"]))
		if err1 != nil || err2 != nil {
			t.Fatalf("startsAt %v endsAt %v: %v %v", post[0]["startsAt"], post[0]["endsAt"], err1, err2)
		}
		if !starts.Equal(since.Time) {
			t.Errorf("startsAt %v, want status.alerts since %v", starts, since)
		}
		if !ends.After(next) {
			t.Errorf("endsAt %v is not after the next run %v", ends, next)
		}
	}
	mu.Lock()
	checkFiring(posts[0], got.Status.NextScheduleTime.Time)
	mu.Unlock()

	// Run again with the alert still firing: posted again (not only when it
	// started), same startsAt, no second AlertFiring Event.
	got.Annotations[crmv1.RunNowAnnotation] = "1b"
	if err := h.c.Update(context.Background(), got); err != nil {
		t.Fatal(err)
	}
	first := got.Status.LastRunName
	h.eventually(90*time.Second, "second firing run", func() error {
		got = h.rs(ns, "weekly")
		if got.Status.LastRunName == first || len(got.Status.Active) != 0 {
			return fmt.Errorf("status %+v", got.Status)
		}
		return nil
	})
	if len(got.Status.Alerts) != 1 || !got.Status.Alerts[0].Since.Equal(&since) {
		t.Errorf("alerts after the second run %+v, want churn-high since %v", got.Status.Alerts, since)
	}
	h.eventually(20*time.Second, "firing alert re-posted", func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(posts) != 2 {
			return fmt.Errorf("posts %v", posts)
		}
		return nil
	})
	mu.Lock()
	checkFiring(posts[1], got.Status.NextScheduleTime.Time)
	mu.Unlock()

	// Raise the threshold and run again: the alert resolves.
	got.Spec.Alerts[0].Threshold = "0.99"
	got.Annotations[crmv1.RunNowAnnotation] = "2"
	if err := h.c.Update(context.Background(), got); err != nil {
		t.Fatal(err)
	}
	h.eventually(90*time.Second, "alert resolves", func() error {
		got = h.rs(ns, "weekly")
		if c := cond(got.Status.Conditions, crmv1.ConditionAlertFiring); c == nil || c.Status != metav1.ConditionFalse {
			return fmt.Errorf("AlertFiring %+v", c)
		}
		return nil
	})
	if len(got.Status.Alerts) != 0 || got.Status.FiringAlerts != 0 {
		t.Errorf("alerts after resolve %+v", got.Status.Alerts)
	}
	h.eventually(10*time.Second, "resolved gauge", func() error {
		if v := testutil.ToFloat64(metrics.AlertFiring.WithLabelValues(ns, "weekly", "churn-high")); v != 0 {
			return fmt.Errorf("crmlens_alert_firing after resolve = %v", v)
		}
		return nil
	})
	h.eventually(20*time.Second, "resolve notified", func() error {
		mu.Lock()
		defer mu.Unlock()
		if len(posts) != 3 || len(posts[2]) != 1 || posts[2][0]["endsAt"] == nil {
			return fmt.Errorf("posts %v", posts)
		}
		return nil
	})
	mu.Lock()
	if ends, err := time.Parse(time.RFC3339, fmt.Sprint(posts[2][0]["endsAt"])); err != nil || ends.After(time.Now().Add(time.Minute)) {
		t.Errorf("resolved endsAt %v (%v), want the resolution time", posts[2][0]["endsAt"], err)
	}
	mu.Unlock()
	// Events are recorded asynchronously by the broadcaster: wait for them.
	h.eventually(20*time.Second, "resolve event", func() error {
		if r := h.eventReasons(ns, "weekly"); r["AlertResolved"] != 1 || r["AlertFiring"] != 1 {
			return fmt.Errorf("events %v", r)
		}
		return nil
	})
}

// TestSecretsNeverLeak runs a model on an HTTP source whose auth header comes
// from a Secret, then searches everything crmlens wrote for the secret value.
func TestSecretsNeverLeak(t *testing.T) {
	const secret = "s3cr3t-T0ken-4711"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+secret {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, sampleCSV)
	}))
	defer srv.Close()
	h := newHarness(t)
	ns := h.ns("e2e-secrets")
	h.startManager(true, nil)
	h.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api"}, StringData: map[string]string{"headers": "Authorization: Bearer " + secret}},
		&crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}, Spec: crmv1.DataSourceSpec{Schema: txSchema(), HTTP: &crmv1.HTTPSource{URL: srv.URL + "/tx.csv",
			HeadersSecretRef: &crmv1.LocalObjectReference{Name: "api"}}}},
		&crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "nokey"}, Spec: crmv1.DataSourceSpec{Schema: txSchema(), HTTP: &crmv1.HTTPSource{URL: srv.URL + "/tx.csv",
			HeadersSecretRef: &crmv1.LocalObjectReference{Name: "missing"}}}},
		rfmModel(ns, "web", "web"))
	m := h.waitModelRun(ns, "web", "web-g1")
	if m.Status.Customers != 3 {
		t.Fatalf("customers %d, conditions %+v", m.Status.Customers, m.Status.Conditions)
	}
	h.eventually(20*time.Second, "probes", func() error {
		var a, b crmv1.DataSource
		_ = h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "web"}, &a)
		_ = h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "nokey"}, &b)
		if c := cond(a.Status.Conditions, crmv1.ConditionReady); c == nil || c.Reason != string(crmv1.ReasonConnected) {
			return fmt.Errorf("web %+v", c)
		}
		if c := cond(b.Status.Conditions, crmv1.ConditionReady); c == nil || c.Reason != "SecretNotFound" {
			return fmt.Errorf("nokey %+v", c)
		}
		return nil
	})
	// Search every object crmlens wrote or owns.
	var dump []any
	var dss crmv1.DataSourceList
	var ms crmv1.SegmentationModelList
	var cms corev1.ConfigMapList
	var jobs batchv1.JobList
	var evs corev1.EventList
	for _, l := range []client.ObjectList{&dss, &ms, &cms, &jobs, &evs} {
		if err := h.c.List(context.Background(), l, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		dump = append(dump, l)
	}
	b, _ := json.Marshal(dump)
	if strings.Contains(string(b), secret) {
		t.Fatal("the secret value appears in status, a ConfigMap, a Job or an Event")
	}
	j := jobs.Items[0].Spec.Template.Spec.Containers[0]
	found := false
	for _, e := range j.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == "api" {
			found = true
		}
	}
	if !found || strings.Contains(strings.Join(j.Args, " "), "api") {
		t.Errorf("credentials must reach the Job via secretKeyRef only: env %+v args %v", j.Env, j.Args)
	}
}

// TestSteadyStateWrites creates many models and schedules, waits until all
// settled, then counts every write — creations included — to crmlens
// objects, Jobs, ConfigMaps and Events for CRMLENS_STEADY_SECONDS (default
// 10; CI uses 30). Zero is required.
func TestSteadyStateWrites(t *testing.T) {
	n := 50
	secs := 10
	if v, err := strconv.Atoi(os.Getenv("CRMLENS_STEADY_SECONDS")); err == nil && v > 0 {
		secs = v
	}
	h := newHarness(t)
	ns := h.ns("e2e-steady")
	h.startManager(true, nil)
	h.create(sampleSource(ns, "shop", 30))
	for i := 0; i < n; i++ {
		h.create(rfmModel(ns, fmt.Sprintf("m%03d", i), "shop"), schedule(ns, fmt.Sprintf("s%03d", i), "@yearly", crmv1.ConcurrencyForbid))
	}
	h.eventually(5*time.Minute, "all settled", func() error {
		var ms crmv1.SegmentationModelList
		_ = h.c.List(context.Background(), &ms, client.InNamespace(ns))
		ready := 0
		for _, m := range ms.Items {
			if c := cond(m.Status.Conditions, crmv1.ConditionReady); c != nil && c.Status == metav1.ConditionTrue && m.Status.LastRunName != "" {
				ready++
			}
		}
		var rss crmv1.ReportScheduleList
		_ = h.c.List(context.Background(), &rss, client.InNamespace(ns))
		for _, r := range rss.Items {
			if c := cond(r.Status.Conditions, crmv1.ConditionReady); c != nil && c.Status == metav1.ConditionTrue {
				ready++
			}
		}
		if ready != 2*n {
			return fmt.Errorf("%d of %d ready", ready, 2*n)
		}
		return nil
	})
	time.Sleep(2 * time.Second) // let trailing updates land before counting
	writes, err := countWrites(h.env.Config, h.c.Scheme(), ns, time.Duration(secs)*time.Second)
	if err != nil {
		t.Fatal(err)
	}
	if len(writes) != 0 {
		t.Errorf("%d writes in %d s of steady state: %v", len(writes), secs, writes)
	}
}

// countWrites lists each kind and watches it from the list's
// resourceVersion, so every creation, update and deletion after the list
// arrives as an event (a watch without a resourceVersion would start with
// synthetic Added events for existing objects, which hides real creations).
func countWrites(cfg *rest.Config, scheme *runtime.Scheme, ns string, d time.Duration) ([]string, error) {
	wc, err := client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return nil, err
	}
	ctx, cancel := context.WithTimeout(context.Background(), d)
	defer cancel()
	var writes []string
	var mu sync.Mutex
	var wg sync.WaitGroup
	for _, l := range []client.ObjectList{&crmv1.SegmentationModelList{}, &crmv1.ReportScheduleList{}, &crmv1.DataSourceList{},
		&batchv1.JobList{}, &corev1.ConfigMapList{}, &eventsv1.EventList{}} {
		if err := wc.List(ctx, l, client.InNamespace(ns)); err != nil {
			return nil, fmt.Errorf("list %T: %w", l, err)
		}
		w, err := wc.Watch(ctx, l, &client.ListOptions{Namespace: ns, Raw: &metav1.ListOptions{ResourceVersion: l.GetResourceVersion()}})
		if err != nil {
			return nil, fmt.Errorf("watch %T: %w", l, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer w.Stop()
			for {
				select {
				case <-ctx.Done():
					return
				case ev, ok := <-w.ResultChan():
					if !ok {
						return
					}
					desc := string(ev.Type)
					if o, ok := ev.Object.(client.Object); ok {
						desc = fmt.Sprintf("%s %T %s", ev.Type, o, o.GetName())
						if e, ok := o.(*eventsv1.Event); ok {
							desc += " (" + e.Reason + " on " + e.Regarding.Name + ")"
						}
					}
					if ev.Type == watch.Bookmark {
						continue
					}
					mu.Lock()
					writes = append(writes, desc)
					mu.Unlock()
				}
			}
		}()
	}
	wg.Wait()
	return writes, nil
}
