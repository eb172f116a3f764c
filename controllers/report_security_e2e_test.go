package controllers_test

import (
	"bytes"
	"context"
	"crypto/hmac"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"go.uber.org/zap/zapcore"
	"golang.org/x/net/html"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/controllers"
	"github.com/crmlens/crmlens/internal/localexec"
	"github.com/crmlens/crmlens/internal/manager"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/s3test"
)

// syncBuffer is a log sink shared by the manager's goroutines.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startLoggedManager is startManager(true, nil) with the manager's log (at
// every verbosity) written to mgrLog and each Job attempt's output kept in
// jobLogs.
func (h *harness) startLoggedManager(mgrLog io.Writer, jobLogs string) {
	t := h.t
	scheme, err := manager.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	skip := true
	logger := zap.New(zap.WriteTo(mgrLog), zap.UseDevMode(true), zap.Level(zapcore.Level(-10)))
	mgr, err := ctrl.NewManager(h.env.Config, ctrl.Options{Scheme: scheme, Logger: logger, Metrics: metricsserver.Options{BindAddress: "0"},
		HealthProbeBindAddress: "0", Controller: ctrlconfig.Controller{SkipNameValidation: &skip}, Cache: controllers.CacheOptions()})
	if err != nil {
		t.Fatal(err)
	}
	if err := controllers.SetupAll(mgr, controllers.Config{Image: "crmlens:test"}); err != nil {
		t.Fatal(err)
	}
	bin, _ := os.Executable()
	ex := &localexec.Executor{Binary: bin, Env: []string{runnerEnv + "=1", "KUBECONFIG=" + h.kcfg}, RetryDelay: 100 * time.Millisecond, MaxParallel: 2, LogDir: jobLogs}
	if err := ex.SetupWithManager(mgr); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("manager: %v", err)
		}
	}()
	t.Cleanup(func() {
		cancel()
		<-done
		ex.Wait()
	})
}

// chartTitles returns the titles of the SVG charts of an HTML page.
func chartTitles(t *testing.T, page string) []string {
	t.Helper()
	root, err := html.Parse(strings.NewReader(page))
	if err != nil {
		t.Fatalf("report does not parse: %v", err)
	}
	var out []string
	var walk func(n *html.Node, inSVG bool)
	walk = func(n *html.Node, inSVG bool) {
		if n.Type == html.ElementNode && n.Data == "svg" {
			inSVG = true
		}
		if inSVG && n.Type == html.ElementNode && n.Data == "title" && n.FirstChild != nil {
			for _, a := range n.Attr {
				if a.Key == "id" {
					out = append(out, n.FirstChild.Data)
				}
			}
		}
		for c := n.FirstChild; c != nil; c = c.NextSibling {
			walk(c, inSVG)
		}
	}
	walk(root, false)
	return out
}

// TestRunReportInResultConfigMap: a sample model run leaves its HTML report
// next to the result, and the outcome says where it is.
func TestRunReportInResultConfigMap(t *testing.T) {
	h := newHarness(t)
	ns := h.ns("e2e-report")
	h.startManager(true, nil)
	h.create(sampleSource(ns, "shop", 300), rfmModel(ns, "rfm", "shop"))
	m := h.waitModelRun(ns, "rfm", "rfm-g1")
	if c := cond(m.Status.Conditions, crmv1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue {
		t.Fatalf("Ready = %+v", c)
	}
	var cm corev1.ConfigMap
	if err := h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: m.Status.ResultConfigMap}, &cm); err != nil {
		t.Fatal(err)
	}
	page, ok := cm.Data[runplan.KeyReport]
	if !ok {
		t.Fatalf("result ConfigMap keys %v: no %s", keysOf(cm.Data), runplan.KeyReport)
	}
	titles := chartTitles(t, page)
	if !strings.Contains(strings.Join(titles, "|"), "Segment size") {
		t.Errorf("report charts %v: no segment chart", titles)
	}
	for _, s := range m.Status.Segments {
		if s.Customers > 0 && !strings.Contains(html.UnescapeString(page), s.Name) {
			t.Errorf("segment %q of the status is not in the report", s.Name)
		}
	}
	var out runplan.Outcome
	if err := json.Unmarshal([]byte(cm.Data[runplan.KeyOutcome]), &out); err != nil {
		t.Fatal(err)
	}
	if len(out.Reports) != 1 || !strings.Contains(out.Reports[0], "report.html") {
		t.Errorf("outcome reports %v note %q", out.Reports, out.ReportNote)
	}

	// A schedule's run report lists the alerts that run fires, as status will.
	rs := schedule(ns, "weekly", "@yearly", crmv1.ConcurrencyForbid)
	rs.Spec.Alerts = []crmv1.AlertRule{
		{Name: "churn-high", Metric: "churnRate", Operator: crmv1.OpGreaterThan, Threshold: "0.01", Severity: crmv1.SeverityCritical},
		{Name: "never-fires", Metric: "churnRate", Operator: crmv1.OpLessThan, Threshold: "0"},
	}
	rs.Annotations = map[string]string{crmv1.RunNowAnnotation: "1"}
	h.create(rs)
	var got *crmv1.ReportSchedule
	h.eventually(90*time.Second, "schedule run absorbed", func() error {
		got = h.rs(ns, "weekly")
		if got.Status.LastSuccessfulTime == nil || len(got.Status.Alerts) == 0 {
			return fmt.Errorf("status %+v", got.Status)
		}
		return nil
	})
	if err := h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: got.Status.ResultConfigMap}, &cm); err != nil {
		t.Fatal(err)
	}
	page = cm.Data[runplan.KeyReport]
	if !strings.Contains(page, "churn-high") || strings.Contains(page, "never-fires") {
		t.Errorf("schedule report must list exactly the firing alert churn-high (status alerts %+v)", got.Status.Alerts)
	}
}

func keysOf(m map[string]string) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}

// TestSecretsNeverLeakIncludingLogs runs a model whose source needs a bearer
// token, whose per-customer output goes to an object store with an access
// key, and which pseudonymises customer IDs with a key, all from Secrets.
// The per-customer file must hold the pseudonyms only, and no secret value
// may appear in status, ConfigMaps, Jobs, Events, the manager's log (at
// every verbosity) or the runner's output.
func TestSecretsNeverLeakIncludingLogs(t *testing.T) {
	const token = "tok-Qv8rL2mZ-4711"
	const pseudoKey = "pk-9fJ2xW7aLq3sT6uY"
	const wrongToken = "tok-WRONG-zK5pN8cV"
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "who are you", http.StatusUnauthorized)
			return
		}
		_, _ = io.WriteString(w, sampleCSV)
	}))
	defer srv.Close()
	s3 := s3test.Start(t, s3test.Options{})
	if err := s3.CreateBucket("results"); err != nil {
		t.Fatal(err)
	}

	h := newHarness(t)
	ns := h.ns("e2e-leaklogs")
	var mgrLog syncBuffer
	jobLogs := t.TempDir()
	h.startLoggedManager(&mgrLog, jobLogs)
	model := rfmModel(ns, "web", "web")
	model.Spec.Output.Store = &crmv1.ResultStore{ObjectStore: &crmv1.ObjectStoreSink{Format: crmv1.FileFormat("csv"),
		ObjectStoreConnection: crmv1.ObjectStoreConnection{Endpoint: s3.URL, Region: s3.Region, Bucket: "results", PathStyle: true,
			CredentialsSecretRef: &crmv1.S3CredentialsRef{Name: "s3", AccessKeyIDKey: "id", SecretAccessKeyKey: "secret"}}}}
	model.Spec.Output.Pseudonymize = &crmv1.Pseudonymization{SecretRef: crmv1.SecretKeySelector{Name: "pseudo", Key: "key"}}
	h.create(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api"}, StringData: map[string]string{"headers": "Authorization: Bearer " + token}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "s3"}, StringData: map[string]string{"id": s3.AccessKey, "secret": s3.SecretKey}},
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pseudo"}, StringData: map[string]string{"key": pseudoKey}},
		&crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "web"}, Spec: crmv1.DataSourceSpec{Schema: txSchema(), HTTP: &crmv1.HTTPSource{URL: srv.URL + "/tx.csv",
			HeadersSecretRef: &crmv1.LocalObjectReference{Name: "api"}}}},
		model,
		// A source whose token the server refuses: the failed run's output
		// reaches the manager's log too (the executor logs its tail).
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "api-wrong"}, StringData: map[string]string{"headers": "Authorization: Bearer " + wrongToken}},
		&crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "wrong"}, Spec: crmv1.DataSourceSpec{Schema: txSchema(), HTTP: &crmv1.HTTPSource{URL: srv.URL + "/tx.csv",
			HeadersSecretRef: &crmv1.LocalObjectReference{Name: "api-wrong"}}}},
		rfmModel(ns, "wrong", "wrong"))
	bad := h.waitModelRun(ns, "wrong", "wrong-g1")
	if c := cond(bad.Status.Conditions, crmv1.ConditionReady); c == nil || c.Status != metav1.ConditionFalse {
		t.Fatalf("a run refused by the server: Ready %+v", c)
	}
	m := h.waitModelRun(ns, "web", "web-g1")
	if c := cond(m.Status.Conditions, crmv1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue || m.Status.Customers != 3 {
		t.Fatalf("customers %d, conditions %+v", m.Status.Customers, m.Status.Conditions)
	}

	// The per-customer file holds HMAC-SHA256 pseudonyms, not the IDs.
	mc := s3.Client(t)
	read := func(name string) string {
		o, err := mc.GetObject(context.Background(), "results", ns+"/web/web-g1/"+name, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(o)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		return string(b)
	}
	customers := read("customers.csv")
	for _, id := range []string{"c1", "c2", "c3"} {
		mac := hmac.New(sha256.New, []byte(pseudoKey))
		mac.Write([]byte(id))
		if want := hex.EncodeToString(mac.Sum(nil))[:16]; !strings.Contains(customers, "\n"+want+",") {
			t.Errorf("customers.csv lacks the pseudonym of %s:\n%s", id, customers)
		}
		if strings.Contains(customers, "\n"+id+",") {
			t.Errorf("customers.csv holds the raw ID %s", id)
		}
	}
	if page := read("report.html"); len(chartTitles(t, page)) == 0 {
		t.Error("report.html in the run folder has no chart")
	}

	// Sweep the API objects.
	var dump []any
	for _, l := range []client.ObjectList{&crmv1.DataSourceList{}, &crmv1.SegmentationModelList{}, &corev1.ConfigMapList{}, &batchv1.JobList{}, &corev1.EventList{}, &eventsv1.EventList{}} {
		if err := h.c.List(context.Background(), l, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		dump = append(dump, l)
	}
	objs, _ := json.Marshal(dump)

	// The logs: the manager's, and every Job attempt's output.
	runnerLogs := ""
	files, _ := filepath.Glob(filepath.Join(jobLogs, "*.log"))
	for _, f := range files {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		runnerLogs += string(b)
	}
	// The capture must have worked for the sweep to mean anything.
	if !strings.Contains(runnerLogs, "run finished") || !strings.Contains(runnerLogs, "web-g1") {
		t.Fatalf("runner output not captured (%d files):\n%s", len(files), runnerLogs)
	}
	if ml := mgrLog.String(); !strings.Contains(ml, "web-g1") || !strings.Contains(ml, "Reconcil") || !strings.Contains(ml, "process output") {
		t.Fatalf("manager log not captured:\n%.2000s", ml)
	}
	for name, v := range map[string]string{"bearer token": token, "refused token": wrongToken, "S3 secret key": s3.SecretKey, "pseudonymisation key": pseudoKey} {
		for where, text := range map[string]string{"API objects (status, ConfigMaps, Jobs, Events)": string(objs), "manager log": mgrLog.String(), "runner output": runnerLogs} {
			if strings.Contains(text, v) {
				t.Errorf("the %s appears in the %s", name, where)
			}
		}
	}
	// Nor do the customer IDs appear in what the run published outside the store.
	var res corev1.ConfigMap
	_ = h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: m.Status.ResultConfigMap}, &res)
	for _, v := range res.Data {
		for _, id := range []string{"\"c1\"", ">c1<", "\"c2\"", ">c2<"} {
			if strings.Contains(v, id) {
				t.Errorf("result ConfigMap holds customer ID %s", id)
			}
		}
	}
	j := h.jobs(ns)[0].Spec.Template.Spec.Containers[0]
	byRef := false
	for _, e := range j.Env {
		if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil && e.ValueFrom.SecretKeyRef.Name == "pseudo" && e.ValueFrom.SecretKeyRef.Key == "key" {
			byRef = true
		}
	}
	if !byRef {
		t.Errorf("the pseudonymisation key must reach the Job via secretKeyRef: env %+v", j.Env)
	}
}

// TestInsecureTLSWarning: every DataSource that weakens TLS gets one
// InsecureTLS Warning per generation — not one per probe — and a verifying
// one none.
func TestInsecureTLSWarning(t *testing.T) {
	h := newHarness(t)
	ns := h.ns("e2e-insecure")
	h.startManager(false, nil)
	every := &metav1.Duration{Duration: 10 * time.Second}
	ds := func(name string, spec crmv1.DataSourceSpec) *crmv1.DataSource {
		spec.Schema = txSchema()
		spec.ProbeInterval = every
		return &crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: spec}
	}
	h.create(
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "pg"}, StringData: map[string]string{"username": "u", "password": "p"}},
		ds("http-insecure", crmv1.DataSourceSpec{HTTP: &crmv1.HTTPSource{URL: "https://127.0.0.1:1/tx.csv", InsecureSkipVerify: true}}),
		ds("s3-insecure", crmv1.DataSourceSpec{ObjectStore: &crmv1.ObjectStoreSource{Key: "tx.csv",
			ObjectStoreConnection: crmv1.ObjectStoreConnection{Endpoint: "https://127.0.0.1:1", Bucket: "shop", PathStyle: true, InsecureSkipVerify: true}}}),
		ds("pg-require", crmv1.DataSourceSpec{Postgres: &crmv1.PostgresSource{Table: "orders", PostgresConnection: crmv1.PostgresConnection{
			SecretRef: crmv1.PostgresSecretRef{Name: "pg"}, Host: "127.0.0.1", Port: 1, Database: "shop", SSLMode: "require"}}}),
		ds("http-verified", crmv1.DataSourceSpec{HTTP: &crmv1.HTTPSource{URL: "https://127.0.0.1:1/tx.csv"}}),
		ds("pg-verified", crmv1.DataSourceSpec{Postgres: &crmv1.PostgresSource{Table: "orders", PostgresConnection: crmv1.PostgresConnection{
			SecretRef: crmv1.PostgresSecretRef{Name: "pg"}, Host: "127.0.0.1", Port: 1, Database: "shop", SSLMode: "verify-full"}}}),
	)
	insecure := []string{"http-insecure", "s3-insecure", "pg-require"}
	warnings := func() map[string][]eventsv1.Event {
		var l eventsv1.EventList
		if err := h.c.List(context.Background(), &l, client.InNamespace(ns)); err != nil {
			t.Fatal(err)
		}
		out := map[string][]eventsv1.Event{}
		for _, e := range l.Items {
			if e.Reason == string(crmv1.ReasonInsecureTLS) {
				out[e.Regarding.Name] = append(out[e.Regarding.Name], e)
			}
		}
		return out
	}
	h.eventually(30*time.Second, "InsecureTLS warnings", func() error {
		w := warnings()
		for _, n := range insecure {
			if len(w[n]) == 0 {
				return fmt.Errorf("none for %s yet (have %v)", n, keysOfEvents(w))
			}
		}
		return nil
	})
	// Wait for a second probe of every source; it must not warn again.
	probed := map[string]time.Time{}
	for _, n := range append(insecure, "http-verified", "pg-verified") {
		var d crmv1.DataSource
		_ = h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: n}, &d)
		if d.Status.LastProbeTime != nil {
			probed[n] = d.Status.LastProbeTime.Time
		}
	}
	h.eventually(40*time.Second, "second probes", func() error {
		for n, at := range probed {
			var d crmv1.DataSource
			_ = h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: n}, &d)
			if d.Status.LastProbeTime == nil || !d.Status.LastProbeTime.After(at) {
				return fmt.Errorf("%s not probed again", n)
			}
		}
		return nil
	})
	time.Sleep(500 * time.Millisecond) // events are recorded asynchronously
	w := warnings()
	for _, n := range insecure {
		if len(w[n]) != 1 || w[n][0].Type != corev1.EventTypeWarning || (w[n][0].Series != nil && w[n][0].Series.Count > 1) {
			t.Errorf("%s: InsecureTLS events %+v, want exactly one Warning", n, w[n])
		}
	}
	for _, n := range []string{"http-verified", "pg-verified"} {
		if len(w[n]) != 0 {
			t.Errorf("%s verifies TLS but got %+v", n, w[n])
		}
	}
	if !strings.Contains(w["pg-require"][0].Note, "verify-full") {
		t.Errorf("note %q does not say what to use instead", w["pg-require"][0].Note)
	}

	// A new generation that is still insecure warns again, once.
	var d crmv1.DataSource
	_ = h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "pg-require"}, &d)
	d.Spec.Postgres.SSLMode = "disable"
	if err := h.c.Update(context.Background(), &d); err != nil {
		t.Fatal(err)
	}
	h.eventually(30*time.Second, "warning for generation 2", func() error {
		if n := len(warnings()["pg-require"]); n != 2 {
			return fmt.Errorf("%d InsecureTLS events", n)
		}
		return nil
	})
}

func keysOfEvents(m map[string][]eventsv1.Event) []string {
	var k []string
	for n := range m {
		k = append(k, n)
	}
	return k
}
