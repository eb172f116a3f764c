package controllers_test

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-logr/logr"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	"k8s.io/apimachinery/pkg/api/resource"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/controllers"
	"github.com/crmlens/crmlens/internal/localexec"
	"github.com/crmlens/crmlens/internal/manager"
	"github.com/crmlens/crmlens/internal/runner"
	"github.com/crmlens/crmlens/internal/testenv"
)

// The test binary is also the `crmlens` the local executor starts for Jobs.
const runnerEnv = "CRMLENS_E2E_RUNNER"

func TestMain(m *testing.M) {
	if os.Getenv(runnerEnv) == "1" && len(os.Args) > 1 && os.Args[1] == "run" {
		os.Exit(runner.Main(context.Background(), os.Args[2:]))
	}
	if os.Getenv("CRMLENS_E2E_VERBOSE") != "" {
		ctrl.SetLogger(zap.New(zap.WriteTo(os.Stderr), zap.UseDevMode(true)))
	} else {
		ctrl.SetLogger(logr.Discard())
	}
	os.Exit(m.Run())
}

// fakeClock is a settable clock for schedule tests.
type fakeClock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *fakeClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

// Since makes fakeClock a k8s.io/utils/clock.PassiveClock.
func (c *fakeClock) Since(t time.Time) time.Duration { return c.Now().Sub(t) }
func (c *fakeClock) Set(t time.Time) {
	c.mu.Lock()
	c.t = t
	c.mu.Unlock()
}

type harness struct {
	t    *testing.T
	env  *testenv.Env
	c    client.Client
	kcfg string
}

func newHarness(t *testing.T) *harness {
	env := testenv.Start(t)
	kcfg := filepath.Join(t.TempDir(), "kubeconfig")
	if err := localexec.WriteKubeconfig(env.Config, kcfg); err != nil {
		t.Fatal(err)
	}
	return &harness{t: t, env: env, c: env.Client, kcfg: kcfg}
}

// startManager runs the reconcilers (and the local executor when exec) until
// the returned stop function is called.
func (h *harness) startManager(exec bool, clock *fakeClock) (stop func()) {
	t := h.t
	scheme, err := manager.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	skip := true
	mgr, err := ctrl.NewManager(h.env.Config, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0", Controller: ctrlconfig.Controller{SkipNameValidation: &skip}, Cache: controllers.CacheOptions()})
	if err != nil {
		t.Fatal(err)
	}
	cfg := controllers.Config{Image: "crmlens:test"}
	if clock != nil {
		cfg.Clock = clock
	}
	if err := controllers.SetupAll(mgr, cfg); err != nil {
		t.Fatal(err)
	}
	var ex *localexec.Executor
	if exec {
		bin, _ := os.Executable()
		ex = &localexec.Executor{Binary: bin, Env: []string{runnerEnv + "=1", "KUBECONFIG=" + h.kcfg}, RetryDelay: 100 * time.Millisecond, MaxParallel: 2,
			LogDir: os.Getenv("CRMLENS_E2E_JOB_LOGS")}
		if err := ex.SetupWithManager(mgr); err != nil {
			t.Fatal(err)
		}
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("manager: %v", err)
		}
	}()
	var once sync.Once
	stop = func() {
		once.Do(func() {
			cancel()
			<-done
			if ex != nil {
				ex.Wait()
			}
		})
	}
	t.Cleanup(stop)
	return stop
}

func (h *harness) ns(name string) string {
	if err := h.c.Create(context.Background(), &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: name}}); err != nil {
		h.t.Fatal(err)
	}
	return name
}

func (h *harness) create(objs ...client.Object) {
	h.t.Helper()
	for _, o := range objs {
		if err := h.c.Create(context.Background(), o); err != nil {
			h.t.Fatalf("create %T %s: %v", o, o.GetName(), err)
		}
	}
}

// eventually polls cond until it returns nil or the timeout passes.
func (h *harness) eventually(timeout time.Duration, what string, cond func() error) {
	h.t.Helper()
	deadline := time.Now().Add(timeout)
	var last error
	for time.Now().Before(deadline) {
		if last = cond(); last == nil {
			return
		}
		time.Sleep(100 * time.Millisecond)
	}
	h.t.Fatalf("%s: %v", what, last)
}

func sampleSource(ns, name string, customers int32) *crmv1.DataSource {
	return &crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: crmv1.DataSourceSpec{Sample: &crmv1.SampleSource{Customers: customers, Seed: 42, Months: 24}}}
}

func rfmModel(ns, name, source string) *crmv1.SegmentationModel {
	return &crmv1.SegmentationModel{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		Spec: crmv1.SegmentationModelSpec{Sources: []crmv1.SourceRef{{Name: source}}, Method: crmv1.Method{Type: crmv1.MethodRFM}}}
}

func cond(conds []metav1.Condition, typ string) *metav1.Condition {
	return meta.FindStatusCondition(conds, typ)
}

func (h *harness) model(ns, name string) *crmv1.SegmentationModel {
	var m crmv1.SegmentationModel
	if err := h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &m); err != nil {
		h.t.Fatal(err)
	}
	return &m
}

func (h *harness) jobs(ns string) []batchv1.Job {
	var l batchv1.JobList
	if err := h.c.List(context.Background(), &l, client.InNamespace(ns)); err != nil {
		h.t.Fatal(err)
	}
	return l.Items
}

func (h *harness) waitModelRun(ns, name, run string) *crmv1.SegmentationModel {
	h.t.Helper()
	var m *crmv1.SegmentationModel
	h.eventually(90*time.Second, "model "+name+" processes run "+run, func() error {
		m = h.model(ns, name)
		if m.Status.LastRunName != run && (run != "" || m.Status.LastRunName == "") {
			return fmt.Errorf("lastRunName %q; conditions %+v", m.Status.LastRunName, m.Status.Conditions)
		}
		if c := cond(m.Status.Conditions, crmv1.ConditionProgressing); c == nil || c.Status != metav1.ConditionFalse {
			return fmt.Errorf("still progressing: %+v", c)
		}
		return nil
	})
	return m
}

func TestModelEndToEnd(t *testing.T) {
	h := newHarness(t)
	ns := h.ns("e2e-model")
	h.startManager(true, nil)
	ctx := context.Background()
	h.create(sampleSource(ns, "shop", 400), rfmModel(ns, "rfm", "shop"))

	// The source probe, the first run and its figures.
	h.eventually(30*time.Second, "DataSource Ready", func() error {
		var ds crmv1.DataSource
		_ = h.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "shop"}, &ds)
		if c := cond(ds.Status.Conditions, crmv1.ConditionReady); c == nil || c.Reason != string(crmv1.ReasonConnected) {
			return fmt.Errorf("ready = %+v", c)
		}
		return nil
	})
	m := h.waitModelRun(ns, "rfm", "rfm-g1")
	if c := cond(m.Status.Conditions, crmv1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue || c.Reason != string(crmv1.ReasonSucceeded) {
		t.Fatalf("Ready = %+v", c)
	}
	if m.Status.Customers < 300 || m.Status.Customers > 400 || m.Status.Transactions < m.Status.Customers {
		t.Errorf("customers %d transactions %d: want ≤ 400 customers of the 400-customer shop, most of them active", m.Status.Customers, m.Status.Transactions)
	}
	var inSegments int64
	for _, s := range m.Status.Segments {
		inSegments += s.Customers
	}
	if inSegments != m.Status.Customers || len(m.Status.Segments) < 5 {
		t.Errorf("segments %+v hold %d customers, want %d", m.Status.Segments, inSegments, m.Status.Customers)
	}
	if len(m.Status.Rejected) == 0 {
		t.Error("the sample shop has gifts, refunds and malformed rows, but nothing was rejected")
	}
	if m.Status.ResultConfigMap != "rfm-result" || m.Status.ObservedGeneration != m.Generation {
		t.Errorf("status = %+v", m.Status)
	}
	var cm corev1.ConfigMap
	if err := h.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "rfm-result"}, &cm); err != nil {
		t.Fatal(err)
	}
	if cm.Labels["crmlens.io/run"] != "rfm-g1" || len(cm.OwnerReferences) != 1 || cm.OwnerReferences[0].UID != m.UID {
		t.Errorf("result ConfigMap meta = %+v", cm.ObjectMeta)
	}

	// The Job: restricted pod security, owner reference, no secret in plain sight.
	job := h.jobs(ns)[0]
	pod := job.Spec.Template.Spec
	sc := pod.Containers[0].SecurityContext
	if sc == nil || !*sc.ReadOnlyRootFilesystem || !*sc.RunAsNonRoot || *sc.AllowPrivilegeEscalation || sc.Capabilities.Drop[0] != "ALL" ||
		pod.SecurityContext.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod security = %+v / %+v", sc, pod.SecurityContext)
	}
	if ref := metav1.GetControllerOf(&job); ref == nil || ref.UID != m.UID {
		t.Errorf("Job controller = %+v", ref)
	}

	// Run-now: one new run, and the same value again does nothing.
	patch := client.MergeFrom(m.DeepCopy())
	m.Annotations = map[string]string{crmv1.RunNowAnnotation: "now-1"}
	if err := h.c.Patch(ctx, m, patch); err != nil {
		t.Fatal(err)
	}
	h.eventually(60*time.Second, "run-now Job", func() error {
		if n := len(h.jobs(ns)); n != 2 {
			return fmt.Errorf("%d jobs", n)
		}
		return nil
	})
	runNow := ""
	for _, j := range h.jobs(ns) {
		if strings.HasPrefix(j.Name, "rfm-n") {
			runNow = j.Name
		}
	}
	m = h.waitModelRun(ns, "rfm", runNow)
	if len(m.Status.Migrations) != 0 {
		t.Errorf("same data, but migrations %+v", m.Status.Migrations)
	}
	if m.Annotations[crmv1.LastRunNowAnnotation] != "now-1" {
		t.Errorf("annotations = %v", m.Annotations)
	}

	// A spec change re-runs; fewer months of history move customers between segments.
	m = h.model(ns, "rfm")
	m.Spec.Window = &metav1.Duration{Duration: 180 * 24 * time.Hour}
	if err := h.c.Update(ctx, m); err != nil {
		t.Fatal(err)
	}
	m = h.waitModelRun(ns, "rfm", "rfm-g2")
	if len(m.Status.Migrations) == 0 {
		t.Error("a shorter window moved nobody")
	}
	for _, mg := range m.Status.Migrations {
		if mg.From == mg.To || mg.Customers <= 0 {
			t.Errorf("bad migration %+v", mg)
		}
	}
	if n := len(h.jobs(ns)); n != 3 {
		t.Errorf("%d Jobs after three triggers", n)
	}

	// Failure keeps the last good result: a source whose ConfigMap vanishes.
	h.create(&corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "inline"}, Data: map[string]string{"tx.csv": sampleCSV}},
		&crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "inline"}, Spec: crmv1.DataSourceSpec{Schema: txSchema(), ConfigMap: &crmv1.ConfigMapSource{Name: "inline", Key: "tx.csv"}}},
		rfmModel(ns, "small", "inline"))
	good := h.waitModelRun(ns, "small", "small-g1")
	if good.Status.Customers != 3 {
		t.Fatalf("inline model customers = %d, want 3 (conditions %+v)", good.Status.Customers, good.Status.Conditions)
	}
	if err := h.c.Delete(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "inline"}}); err != nil {
		t.Fatal(err)
	}
	patch = client.MergeFrom(good.DeepCopy())
	good.Annotations = map[string]string{crmv1.RunNowAnnotation: "after-delete"}
	if err := h.c.Patch(ctx, good, patch); err != nil {
		t.Fatal(err)
	}
	var failed *crmv1.SegmentationModel
	h.eventually(90*time.Second, "failed run absorbed", func() error {
		failed = h.model(ns, "small")
		if c := cond(failed.Status.Conditions, crmv1.ConditionDegraded); c == nil || c.Status != metav1.ConditionTrue {
			return fmt.Errorf("degraded = %+v", c)
		}
		return nil
	})
	if c := cond(failed.Status.Conditions, crmv1.ConditionDegraded); c.Reason != "SourceNotFound" {
		t.Errorf("Degraded reason %q (%s), want SourceNotFound", c.Reason, c.Message)
	}
	if c := cond(failed.Status.Conditions, crmv1.ConditionReady); c.Status != metav1.ConditionTrue {
		t.Errorf("Ready after a failed run with a good previous result = %+v", c)
	}
	if failed.Status.Customers != 3 || failed.Status.ResultConfigMap != "small-result" || len(failed.Status.Segments) != len(good.Status.Segments) {
		t.Errorf("failure lost the previous figures: %+v", failed.Status)
	}
	var res corev1.ConfigMap
	_ = h.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "small-result"}, &res)
	if res.Labels["crmlens.io/run"] != "small-g1" || !strings.Contains(res.Data["result.json"], `"customers":3`) {
		t.Errorf("previous result ConfigMap changed: labels %v", res.Labels)
	}

	// Events: created, succeeded and failed runs, each once.
	// Events are recorded asynchronously by the broadcaster: wait for them.
	h.eventually(20*time.Second, "run events", func() error {
		reasons := h.eventReasons(ns, "small")
		if reasons["RunFailed"] != 1 || reasons[string(crmv1.ReasonSucceeded)] != 1 || reasons[string(crmv1.ReasonJobCreated)] != 2 {
			return fmt.Errorf("events for small: %v", reasons)
		}
		return nil
	})
}

const sampleCSV = `customer_id,order_id,timestamp,amount
c1,o1,2025-01-05T10:00:00Z,10.00
c1,o2,2025-03-05T10:00:00Z,25.50
c2,o3,2025-02-01T09:00:00Z,99.90
c3,o4,2025-03-20T18:30:00Z,5.00
c3,o5,not-a-date,5.00
`

func (h *harness) eventReasons(ns, name string) map[string]int {
	var l eventsv1.EventList
	if err := h.c.List(context.Background(), &l, client.InNamespace(ns)); err != nil {
		h.t.Fatal(err)
	}
	out := map[string]int{}
	for _, e := range l.Items {
		if e.Regarding.Name == name {
			out[e.Reason]++
		}
	}
	return out
}

// eventOccurrences counts how often reason was recorded for name: the
// events/v1 broadcaster folds a repeat into the first Event's series instead
// of a new object, so a count of objects alone cannot see repeats.
func (h *harness) eventOccurrences(ns, name, reason string) int {
	var l eventsv1.EventList
	if err := h.c.List(context.Background(), &l, client.InNamespace(ns)); err != nil {
		h.t.Fatal(err)
	}
	n := 0
	for _, e := range l.Items {
		if e.Regarding.Name != name || e.Reason != reason {
			continue
		}
		if e.Series != nil && e.Series.Count > 1 {
			n += int(e.Series.Count)
		} else {
			n++
		}
	}
	return n
}

func TestRestartCreatesNoDuplicateJob(t *testing.T) {
	h := newHarness(t)
	ns := h.ns("e2e-restart")
	// First manager without executor: the Job is created and stays active.
	stop := h.startManager(false, nil)
	h.create(sampleSource(ns, "shop", 100), rfmModel(ns, "rfm", "shop"))
	h.eventually(30*time.Second, "Job created", func() error {
		if n := len(h.jobs(ns)); n != 1 {
			return fmt.Errorf("%d jobs", n)
		}
		return nil
	})
	stop()
	// A new manager (with the executor) takes over the running Job.
	h.startManager(true, nil)
	m := h.waitModelRun(ns, "rfm", "rfm-g1")
	if c := cond(m.Status.Conditions, crmv1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue {
		t.Fatalf("Ready = %+v", c)
	}
	time.Sleep(time.Second)
	if js := h.jobs(ns); len(js) != 1 {
		t.Errorf("%d Jobs after restart, want 1", len(js))
	}
	// The first manager's JobCreated Event may be lost when it stops; never two.
	h.eventually(20*time.Second, "one Succeeded event", func() error {
		if r := h.eventReasons(ns, "rfm"); r[string(crmv1.ReasonJobCreated)] > 1 || r[string(crmv1.ReasonSucceeded)] != 1 {
			return fmt.Errorf("events = %v", r)
		}
		return nil
	})
}

var _ = json.Marshal

func txSchema() *crmv1.SchemaMapping {
	return &crmv1.SchemaMapping{Transactions: &crmv1.TransactionColumns{CustomerID: "customer_id", OrderID: "order_id", Timestamp: "timestamp", Amount: "amount"}}
}

func TestModelWaitsForSourceRefreshesAndPrunes(t *testing.T) {
	h := newHarness(t)
	ns := h.ns("e2e-extras")
	clock := &fakeClock{}
	clock.Set(time.Now())
	h.startManager(true, clock)
	ctx := context.Background()

	// A model whose DataSource does not exist yet says so, then runs once it appears.
	m := rfmModel(ns, "early", "later")
	m.Spec.RefreshInterval = &metav1.Duration{Duration: time.Minute}
	h.create(m)
	h.eventually(20*time.Second, "SourceNotFound", func() error {
		if c := cond(h.model(ns, "early").Status.Conditions, crmv1.ConditionReady); c == nil || c.Reason != "SourceNotFound" || c.Status != metav1.ConditionFalse {
			return fmt.Errorf("ready %+v", c)
		}
		return nil
	})
	if n := len(h.jobs(ns)); n != 0 {
		t.Fatalf("%d Jobs without a source", n)
	}
	h.create(sampleSource(ns, "later", 60))
	h.waitModelRun(ns, "early", "early-g1")

	// refreshInterval elapsed (on the injected clock): one refresh run.
	clock.Set(time.Now().Add(2 * time.Minute))
	m = h.model(ns, "early")
	patch := client.MergeFrom(m.DeepCopy())
	m.Annotations = map[string]string{"test/poke": "1"}
	if err := h.c.Patch(ctx, m, patch); err != nil {
		t.Fatal(err)
	}
	h.eventually(60*time.Second, "refresh run", func() error {
		for _, j := range h.jobs(ns) {
			if strings.HasPrefix(j.Name, "early-r") && j.Annotations["crmlens.io/trigger"] == "refresh" {
				return nil
			}
		}
		return fmt.Errorf("jobs %d", len(h.jobs(ns)))
	})

	// History limits prune old report Jobs and their result ConfigMaps.
	one := int32(1)
	rs := schedule(ns, "hist", "@yearly", crmv1.ConcurrencyAllow)
	rs.Spec.Sources = []crmv1.SourceRef{{Name: "later"}}
	rs.Spec.SuccessfulRunsHistoryLimit = &one
	rs.Annotations = map[string]string{crmv1.RunNowAnnotation: "a"}
	h.create(rs)
	first := ""
	h.eventually(60*time.Second, "first report run", func() error {
		r := h.rs(ns, "hist")
		if r.Status.LastSuccessfulTime == nil {
			return fmt.Errorf("status %+v", r.Status)
		}
		first = r.Status.LastRunName
		return nil
	})
	r := h.rs(ns, "hist")
	r.Annotations[crmv1.RunNowAnnotation] = "b"
	if err := h.c.Update(ctx, r); err != nil {
		t.Fatal(err)
	}
	h.eventually(60*time.Second, "second run pruned the first", func() error {
		r := h.rs(ns, "hist")
		if r.Status.LastRunName == first {
			return fmt.Errorf("second run not absorbed")
		}
		if names := h.ownedJobNames(ns, "hist"); len(names) != 1 || names[0] != r.Status.LastRunName {
			return fmt.Errorf("jobs %v", names)
		}
		var cm corev1.ConfigMap
		if err := h.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: first}, &cm); err == nil {
			return fmt.Errorf("result ConfigMap %s of the pruned run still exists", first)
		}
		if err := h.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: r.Status.ResultConfigMap}, &cm); err != nil {
			return fmt.Errorf("current result: %v", err)
		}
		return nil
	})
}

// warnings collects API server warnings.
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeader(code int, agent, text string) {
	w.mu.Lock()
	w.msgs = append(w.msgs, text)
	w.mu.Unlock()
}

// TestJobsPassRestrictedPodSecurity re-creates an analysis Job (rendered by
// the reconciler, with spec.job settings) in a namespace whose Pod Security
// admission warns at the restricted level and expects no warning, then
// admits a Pod of the Job's own template under enforce=restricted; a
// privileged copy of each proves the admission check is active.
func TestJobsPassRestrictedPodSecurity(t *testing.T) {
	h := newHarness(t)
	ns := h.ns("e2e-psa-src")
	h.startManager(false, nil)
	m := rfmModel(ns, "rfm", "shop")
	deadline := int64(1200)
	m.Spec.Job = &crmv1.JobSettings{ActiveDeadlineSeconds: &deadline, ServiceAccountName: "analytics",
		Resources:   &corev1.ResourceRequirements{Requests: corev1.ResourceList{corev1.ResourceCPU: resource.MustParse("100m")}},
		Tolerations: []corev1.Toleration{{Key: "batch", Operator: corev1.TolerationOpExists, Effect: corev1.TaintEffectNoSchedule}}}
	h.create(&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "analytics"}}, sampleSource(ns, "shop", 10), m)
	var job batchv1.Job
	h.eventually(20*time.Second, "Job", func() error {
		js := h.jobs(ns)
		if len(js) != 1 {
			return fmt.Errorf("%d jobs", len(js))
		}
		job = js[0]
		return nil
	})
	restricted := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-psa", Labels: map[string]string{
		"pod-security.kubernetes.io/warn": "restricted", "pod-security.kubernetes.io/warn-version": "latest"}}}
	h.create(restricted)
	w := &warnings{}
	cfg := rest.CopyConfig(h.env.Config)
	cfg.WarningHandler = w
	wc, err := client.New(cfg, client.Options{Scheme: h.c.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	clean := func(j *batchv1.Job, name string) *batchv1.Job {
		c := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "e2e-psa", Name: name}, Spec: *j.Spec.DeepCopy()}
		c.Spec.Selector = nil
		c.Spec.Template.Labels = nil
		return c
	}
	if err := wc.Create(context.Background(), clean(&job, "as-rendered")); err != nil {
		t.Fatal(err)
	}
	if len(w.msgs) != 0 {
		t.Errorf("restricted Pod Security warnings for the analysis Job: %v", w.msgs)
	}
	priv := clean(&job, "privileged")
	yes := true
	priv.Spec.Template.Spec.Containers[0].SecurityContext.Privileged = &yes
	priv.Spec.Template.Spec.Containers[0].SecurityContext.AllowPrivilegeEscalation = &yes
	if err := wc.Create(context.Background(), priv); err != nil {
		t.Fatal(err)
	}
	if len(w.msgs) == 0 {
		t.Error("no warning for a privileged Job: Pod Security admission is not active, the check above proves nothing")
	}

	// spec.job reaches the Job the reconciler rendered.
	pod := job.Spec.Template.Spec
	if *job.Spec.ActiveDeadlineSeconds != deadline || pod.ServiceAccountName != "analytics" || len(pod.Tolerations) != 1 || pod.Tolerations[0].Key != "batch" ||
		!pod.Containers[0].Resources.Requests.Cpu().Equal(resource.MustParse("100m")) {
		t.Errorf("spec.job not applied: deadline %v, sa %q, tolerations %+v, resources %+v", *job.Spec.ActiveDeadlineSeconds, pod.ServiceAccountName, pod.Tolerations, pod.Containers[0].Resources)
	}

	// enforce=restricted rejects pods, not Jobs (there is no kubelet or Job
	// controller here): admit a Pod made from the Job's own template there.
	h.create(&corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "e2e-psa-enforce", Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted", "pod-security.kubernetes.io/enforce-version": "latest"}}},
		&corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: "e2e-psa-enforce", Name: "analytics"}})
	asPod := func(name string, spec corev1.PodSpec) *corev1.Pod {
		return &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "e2e-psa-enforce", Name: name}, Spec: spec}
	}
	if err := h.c.Create(context.Background(), asPod("as-rendered", *pod.DeepCopy())); err != nil {
		t.Errorf("enforce=restricted rejects the analysis Job's pod: %v", err)
	}
	bad := pod.DeepCopy()
	bad.Containers[0].SecurityContext.Privileged = &yes
	bad.Containers[0].SecurityContext.AllowPrivilegeEscalation = &yes
	if err := h.c.Create(context.Background(), asPod("privileged", *bad)); err == nil || !strings.Contains(err.Error(), "PodSecurity") {
		t.Errorf("enforce=restricted did not refuse a privileged pod (%v): enforcement is not active, the check above proves nothing", err)
	}
}
