package manager

import (
	"bytes"
	"context"
	"crypto/tls"
	"flag"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crmlens/crmlens/analytics/engine"
	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/testenv"
)

func TestFlags(t *testing.T) {
	cases := []struct {
		name string
		args []string
		want Options
	}{
		{"defaults are secure, local execution off", nil, Options{MetricsAddr: ":8443", SecureMetrics: true, ProbeAddr: ":8081", RunnerServiceAccount: "crmlens-runner"}},
		{"plain metrics for local runs", []string{"--metrics-bind-address=:8080", "--metrics-secure=false"},
			Options{MetricsAddr: ":8080", SecureMetrics: false, ProbeAddr: ":8081", RunnerServiceAccount: "crmlens-runner"}},
		{"leader election", []string{"--leader-elect", "--leader-election-namespace=crmlens-system", "--health-probe-bind-address=0"},
			Options{MetricsAddr: ":8443", SecureMetrics: true, ProbeAddr: "0", LeaderElect: true, LeaderElectionNamespace: "crmlens-system", RunnerServiceAccount: "crmlens-runner"}},
		{"runner", []string{"--runner-image=reg/crmlens:1", "--runner-service-account=analytics"},
			Options{MetricsAddr: ":8443", SecureMetrics: true, ProbeAddr: ":8081", RunnerImage: "reg/crmlens:1", RunnerServiceAccount: "analytics"}},
		{"client-side rate limit", []string{"--kube-api-qps=50", "--kube-api-burst=100"},
			Options{MetricsAddr: ":8443", SecureMetrics: true, ProbeAddr: ":8081", RunnerServiceAccount: "crmlens-runner", KubeAPIQPS: 50, KubeAPIBurst: 100}},
		{"namespaced install", []string{"--watch-namespaces=crm-a, crm-b,"},
			Options{MetricsAddr: ":8443", SecureMetrics: true, ProbeAddr: ":8081", RunnerServiceAccount: "crmlens-runner", WatchNamespaces: []string{"crm-a", "crm-b"}}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			t.Setenv("CRMLENS_IMAGE", "")
			fs := flag.NewFlagSet("test", flag.ContinueOnError)
			o := DefaultOptions()
			o.BindFlags(fs)
			if err := fs.Parse(c.args); err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(o, c.want) {
				t.Errorf("got %+v, want %+v", o, c.want)
			}
		})
	}
}

// A kubeconfig-loaded config must not fall back to client-go's 5 requests
// per second: that limit, not the API server, would then set reconcile
// latency once a few hundred objects exist.
func TestRestConfigRateLimit(t *testing.T) {
	kc := filepath.Join(t.TempDir(), "kubeconfig")
	if err := os.WriteFile(kc, []byte(`apiVersion: v1
kind: Config
clusters: [{name: c, cluster: {server: "https://127.0.0.1:6443"}}]
users: [{name: u, user: {token: t}}]
contexts: [{name: x, context: {cluster: c, user: u}}]
current-context: x
`), 0o600); err != nil {
		t.Fatal(err)
	}
	cases := []struct {
		name      string
		qps       float64
		burst     int
		wantQPS   float32
		wantBurst int
	}{
		{"no limit by default", 0, 0, -1, 0},
		{"limit when asked", 50, 100, 50, 100},
		{"burst at least one", 5, 0, 5, 1},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			cfg, err := restConfig(kc, c.qps, c.burst)
			if err != nil {
				t.Fatal(err)
			}
			if cfg.QPS != c.wantQPS || cfg.Burst != c.wantBurst {
				t.Errorf("QPS %v burst %d, want %v and %d", cfg.QPS, cfg.Burst, c.wantQPS, c.wantBurst)
			}
			if cfg.Host != "https://127.0.0.1:6443" {
				t.Errorf("host %q: the kubeconfig was not read", cfg.Host)
			}
		})
	}
	if _, err := restConfig(filepath.Join(t.TempDir(), "missing"), 0, 0); err == nil || !strings.Contains(err.Error(), "missing") {
		t.Errorf("a missing kubeconfig: %v, want an error naming it", err)
	}
}

func TestRunExitCodes(t *testing.T) {
	cases := []struct {
		args []string
		code int
	}{
		{[]string{"-h"}, 0},
		{[]string{"--no-such-flag"}, 2},
	}
	for _, c := range cases {
		var stderr bytes.Buffer
		if got := run(context.Background(), c.args, &stderr); got != c.code {
			t.Errorf("run(%v) = %d, want %d; stderr:\n%s", c.args, got, c.code, stderr.String())
		}
	}
}

// The first log line of a start names the build, even when the start then
// fails (here: no kubeconfig), so a crash-looping pod still says what it runs.
func TestRunLogsVersionFirst(t *testing.T) {
	old := engine.Version
	engine.Version = "7.8.9"
	defer func() { engine.Version = old }()
	var stderr bytes.Buffer
	if got := run(context.Background(), []string{"--kubeconfig=" + filepath.Join(t.TempDir(), "missing")}, &stderr); got != 1 {
		t.Fatalf("exit %d, want 1", got)
	}
	first, _, _ := strings.Cut(stderr.String(), "\n")
	for _, want := range []string{`"msg":"crmlens manager"`, `"version":"7.8.9"`, `"revision":`, `"goVersion":"go`} {
		if !strings.Contains(first, want) {
			t.Errorf("first log line %s lacks %s", first, want)
		}
	}
}

// freeAddr returns a loopback address nobody listens on right now.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// get polls url until it answers, and returns the status code.
func get(ctx context.Context, t *testing.T, hc *http.Client, url string) int {
	t.Helper()
	for {
		req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
		if err != nil {
			t.Fatal(err)
		}
		resp, err := hc.Do(req)
		if err == nil {
			resp.Body.Close()
			return resp.StatusCode
		}
		select {
		case <-ctx.Done():
			t.Fatalf("GET %s: no answer: %v", url, err)
		case <-time.After(100 * time.Millisecond):
		}
	}
}

// TestManagerAgainstAPIServer starts the real manager against a test API
// server: its reconcilers probe a new sample DataSource (Ready=True, Connected),
// the probes answer, and metrics refuse an unauthenticated scrape.
func TestManagerAgainstAPIServer(t *testing.T) {
	e := testenv.Start(t)
	o := DefaultOptions()
	o.MetricsAddr, o.ProbeAddr = freeAddr(t), freeAddr(t)
	mgr, err := New(e.Config, o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	done := make(chan error, 1)
	go func() { done <- mgr.Start(ctx) }()
	t.Cleanup(func() {
		cancel()
		if err := <-done; err != nil {
			t.Errorf("manager stopped with an error: %v", err)
		}
	})

	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "mgr"}}
	if err := e.Client.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	ds := &crmv1.DataSource{
		ObjectMeta: metav1.ObjectMeta{Name: "shop", Namespace: ns.Name},
		Spec:       crmv1.DataSourceSpec{Sample: &crmv1.SampleSource{}},
	}
	if err := e.Client.Create(ctx, ds); err != nil {
		t.Fatal(err)
	}
	for {
		if err := e.Client.Get(ctx, client.ObjectKeyFromObject(ds), ds); err != nil {
			t.Fatal(err)
		}
		c := meta.FindStatusCondition(ds.Status.Conditions, crmv1.ConditionReady)
		if c != nil && c.Status == metav1.ConditionTrue && c.Reason == "Connected" && ds.Status.ObservedGeneration == ds.Generation {
			break
		}
		select {
		case <-ctx.Done():
			t.Fatalf("the manager never probed the DataSource; status %+v", ds.Status)
		case <-time.After(100 * time.Millisecond):
		}
	}

	hc := &http.Client{Timeout: 5 * time.Second, Transport: &http.Transport{
		// The metrics certificate is self-signed; authentication is what is tested.
		TLSClientConfig: &tls.Config{InsecureSkipVerify: true}, //nolint:gosec // test only
	}}
	for _, p := range []string{"/healthz", "/readyz"} {
		if code := get(ctx, t, hc, fmt.Sprintf("http://%s%s", o.ProbeAddr, p)); code != http.StatusOK {
			t.Errorf("%s = %d, want 200", p, code)
		}
	}
	if code := get(ctx, t, hc, fmt.Sprintf("https://%s/metrics", o.MetricsAddr)); code != http.StatusUnauthorized && code != http.StatusForbidden {
		t.Errorf("unauthenticated metrics scrape = %d, want 401 or 403", code)
	}
}
