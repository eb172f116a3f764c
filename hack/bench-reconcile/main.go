// Command bench-reconcile measures the reconcilers against a local control
// plane: it creates N SegmentationModels (on a small built-in sample source,
// run by the local Job executor) and N ReportSchedules (yearly, so they only
// schedule), then reports the time until all are Ready, reconcile latency
// p50/p99 per controller from controller-runtime's own histogram, and writes
// per second in steady state. Targets: p99 < 50 ms, zero steady-state writes.
//
// To see where reconcile time goes it also prints the manager's API requests
// by verb and resource (count, p50, p99), and writes CPU profiles of itself
// (-cpuprofile) and of the kube-apiserver (-apiserver-cpuprofile). On a
// loaded machine the figures vary by ±20 ms between runs: compare several.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"math"
	"net/http"
	"os"
	"path/filepath"
	"runtime/pprof"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	dto "github.com/prometheus/client_model/go"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/watch"
	"k8s.io/client-go/rest"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	crmetrics "sigs.k8s.io/controller-runtime/pkg/metrics"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/controllers"
	"github.com/crmlens/crmlens/internal/localexec"
	"github.com/crmlens/crmlens/internal/manager"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

func run() error {
	root := flag.String("root", ".", "repository root")
	binary := flag.String("crmlens", "bin/crmlens", "crmlens binary for the local executor")
	n := flag.Int("n", 1000, "models and schedules to create (each)")
	steady := flag.Duration("steady", 30*time.Second, "steady-state observation window")
	parallel := flag.Int("parallel", 4, "local Job processes at a time")
	exec := flag.Bool("exec", true, "run the models' Jobs with the local executor; false measures the reconcilers alone (a model then counts once its Job exists)")
	cpuProfile := flag.String("cpuprofile", "", "write a CPU profile of this process (manager and driver) from creation until all are reconciled")
	apiProfile := flag.String("apiserver-cpuprofile", "", "write a CPU profile of the kube-apiserver (its /debug/pprof) over the same interval as -cpuprofile")
	createParallel := flag.Int("create-parallel", 16, "objects the driver creates at a time (16: a burst that saturates a 2-core API server; kubectl apply creates one at a time)")
	pollList := flag.Bool("poll-list", false, "count progress by listing from the API server every 500 ms instead of from a watch cache")
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))
	ctx := context.Background()

	bin, _ := filepath.Abs(filepath.Join(*root, "bin"))
	env := &envtest.Environment{BinaryAssetsDirectory: bin, CRDDirectoryPaths: []string{filepath.Join(*root, "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		return fmt.Errorf("start control plane: %w", err)
	}
	defer func() { _ = env.Stop() }()
	cfg.QPS, cfg.Burst = 500, 1000
	work, _ := os.MkdirTemp("", "crmlens-bench-")
	defer os.RemoveAll(work)
	kc := filepath.Join(work, "kubeconfig")
	if err := localexec.WriteKubeconfig(cfg, kc); err != nil {
		return err
	}
	scheme, _ := manager.NewScheme()
	// The manager's requests are timed per verb and resource, to show where
	// reconcile time goes (the driver's own requests use cfg unwrapped).
	mcfg := rest.CopyConfig(cfg)
	mcfg.Wrap(func(rt http.RoundTripper) http.RoundTripper { return &timedTransport{next: rt} })
	mgr, err := ctrl.NewManager(mcfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0", Cache: controllers.CacheOptions()})
	if err != nil {
		return err
	}
	if err := controllers.SetupAll(mgr, controllers.Config{Image: "crmlens:bench", RunnerServiceAccount: controllers.DefaultRunnerServiceAccount}); err != nil {
		return err
	}
	crm, _ := filepath.Abs(*binary)
	if *exec {
		ex := &localexec.Executor{Binary: crm, Env: []string{"KUBECONFIG=" + kc}, MaxParallel: *parallel}
		if err := ex.SetupWithManager(mgr); err != nil {
			return err
		}
	}
	mctx, cancel := context.WithCancel(ctx)
	defer cancel()
	go func() { _ = mgr.Start(mctx) }()

	c, _ := client.New(cfg, client.Options{Scheme: scheme})
	watchClient, err = client.NewWithWatch(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	// Progress is read from the manager's own informer cache: listing 2N
	// objects from the API server every half second, or a second informer
	// decoding every event again, would load the machine whose latency the
	// reconcilers are measured by (-poll-list lists from the API server).
	var progress client.Reader = c
	if !*pollList {
		if !mgr.GetCache().WaitForCacheSync(ctx) {
			return fmt.Errorf("manager cache did not sync")
		}
		progress = mgr.GetCache()
	}
	ns := "bench"
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		return err
	}
	// Jobs run as the runner ServiceAccount, as in a cluster, so the
	// reconcilers check it exists before creating a Job.
	if err := c.Create(ctx, &corev1.ServiceAccount{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: controllers.DefaultRunnerServiceAccount}}); err != nil {
		return err
	}
	if err := c.Create(ctx, &crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "shop"},
		Spec: crmv1.DataSourceSpec{Sample: &crmv1.SampleSource{Customers: 20, Seed: 1, Months: 12}}}); err != nil {
		return err
	}
	stopProfile := func() {}
	if *cpuProfile != "" {
		f, err := os.Create(*cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		stopProfile = func() { pprof.StopCPUProfile(); f.Close() }
	}
	apiDone := make(chan error, 1)
	if *apiProfile != "" {
		// The server profiles for a fixed time: long enough for the
		// creation burst and the reconciles after it (-n 1000: about 20 s).
		go func() { apiDone <- apiserverProfile(cfg, *apiProfile, 20) }()
	} else {
		apiDone <- nil
	}
	start := time.Now()
	var wg sync.WaitGroup
	sem := make(chan struct{}, *createParallel)
	var createErr atomic.Value
	for i := 0; i < *n; i++ {
		wg.Add(1)
		sem <- struct{}{}
		go func(i int) {
			defer wg.Done()
			defer func() { <-sem }()
			m := &crmv1.SegmentationModel{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("m%04d", i)},
				Spec: crmv1.SegmentationModelSpec{Sources: []crmv1.SourceRef{{Name: "shop"}}, Method: crmv1.Method{Type: crmv1.MethodRFM}}}
			s := &crmv1.ReportSchedule{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: fmt.Sprintf("s%04d", i)},
				Spec: crmv1.ReportScheduleSpec{Schedule: "@yearly", Sources: []crmv1.SourceRef{{Name: "shop"}}, Reports: []crmv1.Report{{Type: crmv1.ReportKPI}}}}
			for _, o := range []client.Object{m, s} {
				if err := c.Create(ctx, o); err != nil {
					createErr.Store(err)
				}
			}
		}(i)
	}
	wg.Wait()
	if e := createErr.Load(); e != nil {
		return e.(error)
	}
	created := time.Now()
	fmt.Printf("created %d models and %d schedules in %s\n", *n, *n, created.Sub(start).Round(time.Millisecond))
	for {
		ready := countReady(ctx, progress, ns, *exec)
		if ready == 2**n {
			break
		}
		if time.Since(start) > 30*time.Minute {
			return fmt.Errorf("only %d of %d Ready after 30 minutes", ready, 2**n)
		}
		time.Sleep(500 * time.Millisecond)
	}
	if *exec {
		fmt.Printf("all %d Ready after %s (models ran %d local analysis Jobs)\n", 2**n, time.Since(start).Round(time.Millisecond), *n)
	} else {
		fmt.Printf("all %d reconciled after %s (schedules Ready, models' Jobs created, no Job run)\n", 2**n, time.Since(start).Round(time.Millisecond))
	}
	stopProfile()
	if err := <-apiDone; err != nil {
		fmt.Println("apiserver profile:", err)
	}
	printLatency()
	printRequests()
	printBurstShare(created, 40*time.Millisecond)

	time.Sleep(3 * time.Second)
	writes, err := watchWrites(ctx, ns, *steady)
	if err != nil {
		return err
	}
	fmt.Printf("steady state: %d writes in %s (%.2f/s)\n", writes, *steady, float64(writes)/steady.Seconds())
	return nil
}

func countReady(ctx context.Context, c client.Reader, ns string, exec bool) int {
	var ms crmv1.SegmentationModelList
	var rs crmv1.ReportScheduleList
	_ = c.List(ctx, &ms, client.InNamespace(ns))
	_ = c.List(ctx, &rs, client.InNamespace(ns))
	n := 0
	for _, m := range ms.Items {
		switch {
		case exec && meta.IsStatusConditionTrue(m.Status.Conditions, crmv1.ConditionReady) && m.Status.LastRunName != "":
			n++
		case !exec && meta.IsStatusConditionTrue(m.Status.Conditions, crmv1.ConditionProgressing):
			n++
		}
	}
	for _, r := range rs.Items {
		if meta.IsStatusConditionTrue(r.Status.Conditions, crmv1.ConditionReady) {
			n++
		}
	}
	return n
}

// printLatency reads controller_runtime_reconcile_time_seconds and estimates
// p50/p99 per controller by linear interpolation inside histogram buckets.
func printLatency() {
	mfs, err := crmetrics.Registry.Gather()
	if err != nil {
		fmt.Println("gather metrics:", err)
		return
	}
	for _, mf := range mfs {
		if mf.GetName() != "controller_runtime_reconcile_time_seconds" {
			continue
		}
		var names []string
		byName := map[string]*dto.Histogram{}
		for _, m := range mf.GetMetric() {
			for _, l := range m.GetLabel() {
				if l.GetName() == "controller" {
					byName[l.GetValue()] = m.GetHistogram()
					names = append(names, l.GetValue())
				}
			}
		}
		sort.Strings(names)
		for _, name := range names {
			h := byName[name]
			p99 := quantile(h, 0.99)
			verdict := ""
			if name == "segmentationmodel" || name == "reportschedule" {
				verdict = "  (target p99 < 50ms: met)"
				if !under(p99, 50*time.Millisecond) {
					verdict = "  (target p99 < 50ms: MISSED)"
				}
			}
			fmt.Printf("reconcile latency %-18s n=%-7d p50=%-9s p99=%s%s\n", name, h.GetSampleCount(), quantile(h, 0.5), p99, verdict)
		}
	}
}

// under reports whether a formatted duration is below limit.
func under(formatted string, limit time.Duration) bool {
	d, err := time.ParseDuration(formatted)
	return err == nil && d < limit
}

func quantile(h *dto.Histogram, q float64) string {
	total := float64(h.GetSampleCount())
	if total == 0 {
		return "-"
	}
	if h.Schema != nil {
		return nativeQuantile(h, q)
	}
	rank := q * total
	prevCount, prevBound := 0.0, 0.0
	for _, b := range h.GetBucket() {
		cnt := float64(b.GetCumulativeCount())
		if cnt >= rank {
			frac := 0.0
			if cnt > prevCount {
				frac = (rank - prevCount) / (cnt - prevCount)
			}
			v := prevBound + frac*(b.GetUpperBound()-prevBound)
			return (time.Duration(v * float64(time.Second))).Round(10 * time.Microsecond).String()
		}
		prevCount, prevBound = cnt, b.GetUpperBound()
	}
	return fmt.Sprintf(">%gs", prevBound)
}

var watchClient client.WithWatch

// watchWrites counts every creation, update and deletion of crmlens objects,
// Jobs, ConfigMaps and Events in ns for d. Each kind is listed and watched
// from the list's resourceVersion: a watch without one starts with synthetic
// Added events for what exists, and skipping those would hide real creations.
func watchWrites(ctx context.Context, ns string, d time.Duration) (int, error) {
	if watchClient == nil {
		return 0, fmt.Errorf("no watch client")
	}
	wctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var n atomic.Int64
	var wg sync.WaitGroup
	for _, l := range []client.ObjectList{&crmv1.SegmentationModelList{}, &crmv1.ReportScheduleList{}, &crmv1.DataSourceList{},
		&batchv1.JobList{}, &corev1.ConfigMapList{}, &eventsv1.EventList{}} {
		if err := watchClient.List(wctx, l, client.InNamespace(ns)); err != nil {
			return 0, fmt.Errorf("list %T: %w", l, err)
		}
		w, err := watchClient.Watch(wctx, l, &client.ListOptions{Namespace: ns, Raw: &metav1.ListOptions{ResourceVersion: l.GetResourceVersion()}})
		if err != nil {
			return 0, fmt.Errorf("watch %T: %w", l, err)
		}
		wg.Add(1)
		go func() {
			defer wg.Done()
			defer w.Stop()
			for {
				select {
				case <-wctx.Done():
					return
				case ev, ok := <-w.ResultChan():
					if !ok {
						return
					}
					if ev.Type != watch.Bookmark {
						n.Add(1)
					}
				}
			}
		}()
	}
	wg.Wait()
	return int(n.Load()), nil
}

// nativeQuantile estimates a quantile from a native (exponential) histogram:
// bucket i holds (base^(i-1), base^i] with base = 2^(2^-schema), about 9 %
// wide for controller-runtime's factor 1.1, far finer than its classic
// buckets (a p99 between 50 and 100 ms reads as "100ms" there). The value is
// interpolated geometrically inside the bucket.
func nativeQuantile(h *dto.Histogram, q float64) string {
	base := math.Pow(2, math.Pow(2, -float64(h.GetSchema())))
	rank := q * float64(h.GetSampleCount())
	seen := float64(h.GetZeroCount())
	if seen >= rank {
		return (time.Duration(h.GetZeroThreshold() * float64(time.Second))).String()
	}
	idx, count := int32(0), int64(0)
	deltas := h.GetPositiveDelta()
	for _, sp := range h.GetPositiveSpan() {
		idx += sp.GetOffset()
		for j := uint32(0); j < sp.GetLength(); j++ {
			count += deltas[0]
			deltas = deltas[1:]
			if seen+float64(count) >= rank && count > 0 {
				lo := math.Pow(base, float64(idx-1))
				frac := (rank - seen) / float64(count)
				v := lo * math.Pow(base, frac)
				return (time.Duration(v * float64(time.Second))).Round(10 * time.Microsecond).String()
			}
			seen += float64(count)
			idx++
		}
	}
	return "-"
}

// timedTransport records the duration of each API request by verb and resource.
type timedTransport struct{ next http.RoundTripper }

var (
	reqMu    sync.Mutex
	reqTimes = map[string][]time.Duration{}
	// reqLog keeps when each request started, to tell the creation burst
	// from what follows it.
	reqLog []timedRequest
)

type timedRequest struct {
	start time.Time
	took  time.Duration
}

func (t *timedTransport) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.URL.Query().Get("watch") == "true" {
		return t.next.RoundTrip(req)
	}
	start := time.Now()
	resp, err := t.next.RoundTrip(req)
	d := time.Since(start)
	key := req.Method + " " + resourceOf(req.URL.Path)
	reqMu.Lock()
	reqTimes[key] = append(reqTimes[key], d)
	reqLog = append(reqLog, timedRequest{start, d})
	reqMu.Unlock()
	return resp, err
}

// resourceOf reduces an API path to its resource (and subresource), e.g.
// /apis/batch/v1/namespaces/x/jobs/y -> jobs; .../models/y/status -> models/status.
func resourceOf(path string) string {
	parts := strings.Split(strings.Trim(path, "/"), "/")
	for i := 0; i < len(parts); i++ {
		if parts[i] == "namespaces" && i+2 < len(parts) {
			rest := parts[i+2:]
			if len(rest) >= 3 {
				return rest[0] + "/" + rest[2]
			}
			return rest[0]
		}
	}
	return parts[len(parts)-1]
}

func printRequests() {
	reqMu.Lock()
	defer reqMu.Unlock()
	keys := make([]string, 0, len(reqTimes))
	for k := range reqTimes {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		ds := reqTimes[k]
		sort.Slice(ds, func(i, j int) bool { return ds[i] < ds[j] })
		pick := func(q float64) time.Duration { return ds[int(q*float64(len(ds)-1))].Round(10 * time.Microsecond) }
		fmt.Printf("manager request %-40s n=%-6d p50=%-9s p99=%s\n", k, len(ds), pick(0.5), pick(0.99))
	}
}

// apiserverProfile fetches a CPU profile of secs seconds from the API
// server's /debug/pprof (on by default; envtest's admin user may read it).
func apiserverProfile(cfg *rest.Config, path string, secs int) error {
	hc, err := rest.HTTPClientFor(cfg)
	if err != nil {
		return err
	}
	hc.Timeout = time.Duration(secs+30) * time.Second
	resp, err := hc.Get(strings.TrimRight(cfg.Host, "/") + fmt.Sprintf("/debug/pprof/profile?seconds=%d", secs))
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("HTTP %d", resp.StatusCode)
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, resp.Body); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// printBurstShare says how many of the manager's slow requests started while
// the driver was still creating objects.
func printBurstShare(created time.Time, slow time.Duration) {
	reqMu.Lock()
	defer reqMu.Unlock()
	var during, after, slowDuring, slowAfter int
	for _, r := range reqLog {
		isSlow := r.took > slow
		if r.start.Before(created) {
			during++
			if isSlow {
				slowDuring++
			}
		} else {
			after++
			if isSlow {
				slowAfter++
			}
		}
	}
	fmt.Printf("manager requests over %s: %d of %d while objects were being created, %d of %d after\n", slow, slowDuring, during, slowAfter, after)
}
