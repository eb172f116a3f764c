// Command demo starts a local control plane (kube-apiserver and etcd built
// into bin/ by hack/build-envtest.sh), installs the crmlens CRDs, runs the
// manager with the local Job executor, applies config/samples with the
// run-now annotation, waits until everything is Ready and prints a
// `kubectl get crm`-style table and the report summary. It keeps running
// until interrupted; the printed KUBECONFIG lets kubectl look around.
package main

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
	"text/tabwriter"
	"time"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/yaml"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"
	"sigs.k8s.io/controller-runtime/pkg/log/zap"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/controllers"
	"github.com/crmlens/crmlens/internal/localexec"
	"github.com/crmlens/crmlens/internal/manager"
)

func main() {
	if err := run(); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func run() error {
	root := flag.String("root", ".", "repository root")
	binary := flag.String("crmlens", "bin/crmlens", "crmlens binary the local executor runs for Jobs")
	ns := flag.String("namespace", "default", "namespace for the samples")
	wait := flag.Duration("timeout", 5*time.Minute, "how long to wait for Ready")
	exit := flag.Bool("exit", false, "stop after printing instead of running until interrupted")
	assets := flag.String("assets", "", "directory with kube-apiserver and etcd (hack/envtest-assets.sh picks it); <root>/bin when empty")
	flag.Parse()
	ctrl.SetLogger(zap.New(zap.WriteTo(io.Discard)))

	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	work, err := os.MkdirTemp("", "crmlens-demo-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(work)
	dir := *assets
	if dir == "" {
		dir = filepath.Join(*root, "bin")
	}
	bin, err := filepath.Abs(dir)
	if err != nil {
		return err
	}
	step("starting kube-apiserver and etcd from %s", bin)
	env := &envtest.Environment{BinaryAssetsDirectory: bin, CRDDirectoryPaths: []string{filepath.Join(*root, "config", "crd", "bases")}, ErrorIfCRDPathMissing: true}
	cfg, err := env.Start()
	if err != nil {
		return fmt.Errorf("start control plane (run `make envtest` first): %w", err)
	}
	defer func() { _ = env.Stop() }()
	kubeconfig := filepath.Join(work, "kubeconfig")
	if err := localexec.WriteKubeconfig(cfg, kubeconfig); err != nil {
		return err
	}
	step("CRDs installed; KUBECONFIG=%s", kubeconfig)

	scheme, err := manager.NewScheme()
	if err != nil {
		return err
	}
	mgr, err := ctrl.NewManager(cfg, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0", Cache: controllers.CacheOptions()})
	if err != nil {
		return err
	}
	if err := controllers.SetupAll(mgr, controllers.Config{Image: "crmlens:demo"}); err != nil {
		return err
	}
	crm, err := filepath.Abs(*binary)
	if err != nil {
		return err
	}
	logs := filepath.Join(work, "job-logs")
	if err := os.MkdirAll(logs, 0o755); err != nil {
		return fmt.Errorf("job log folder: %w", err)
	}
	ex := &localexec.Executor{Binary: crm, Env: []string{"KUBECONFIG=" + kubeconfig}, LogDir: logs}
	if err := ex.SetupWithManager(mgr); err != nil {
		return err
	}
	mctx, mcancel := context.WithCancel(ctx)
	defer mcancel()
	go func() {
		if err := mgr.Start(mctx); err != nil {
			fmt.Fprintln(os.Stderr, "manager:", err)
		}
	}()
	step("manager running with the local Job executor (Job logs in %s)", logs)

	c, err := client.New(cfg, client.Options{Scheme: scheme})
	if err != nil {
		return err
	}
	objs, err := loadSamples(filepath.Join(*root, "config", "samples"))
	if err != nil {
		return err
	}
	stamp := time.Now().UTC().Format(time.RFC3339)
	for _, o := range objs {
		o.SetNamespace(*ns)
		switch o.(type) {
		case *crmv1.SegmentationModel, *crmv1.ReportSchedule:
			a := o.GetAnnotations()
			if a == nil {
				a = map[string]string{}
			}
			a[crmv1.RunNowAnnotation] = stamp
			o.SetAnnotations(a)
		}
		if err := c.Create(ctx, o); err != nil {
			return fmt.Errorf("apply %s %s: %w", o.GetObjectKind().GroupVersionKind().Kind, o.GetName(), err)
		}
	}
	step("applied %d samples from config/samples (with %s)", len(objs), crmv1.RunNowAnnotation)

	step("waiting for Ready (like kubectl wait --for=condition=Ready crm --all)")
	deadline := time.Now().Add(*wait)
	for {
		pending := notReady(ctx, c, *ns)
		if len(pending) == 0 {
			break
		}
		if time.Now().After(deadline) || ctx.Err() != nil {
			printTable(ctx, c, *ns)
			return fmt.Errorf("not Ready after %s: %s", *wait, strings.Join(pending, ", "))
		}
		time.Sleep(time.Second)
	}
	// Let the last report run's status land.
	time.Sleep(2 * time.Second)
	fmt.Println()
	printTable(ctx, c, *ns)
	fmt.Println()
	printSummary(ctx, c, *ns)
	if *exit {
		step("done (-exit): stopping the manager and the control plane")
		return nil
	}
	fmt.Printf("\nThe control plane keeps running. In another shell:\n  export KUBECONFIG=%s\n  kubectl get crm -A\n  kubectl describe segmentationmodel shop-rfm\nStop with Ctrl-C.\n", kubeconfig)
	<-ctx.Done()
	step("stopping")
	return nil
}

func step(format string, a ...any) {
	fmt.Printf("==> "+format+"\n", a...)
}

func loadSamples(dir string) ([]client.Object, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		return nil, err
	}
	sort.Strings(files)
	var out []client.Object
	for _, f := range files {
		if filepath.Base(f) == "kustomization.yaml" {
			continue
		}
		b, err := os.ReadFile(f)
		if err != nil {
			return nil, err
		}
		d := yaml.NewYAMLOrJSONDecoder(bufio.NewReader(bytes.NewReader(b)), 4096)
		for {
			raw := map[string]any{}
			if err := d.Decode(&raw); err != nil {
				if errors.Is(err, io.EOF) {
					break
				}
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if len(raw) == 0 {
				continue
			}
			kind, _ := raw["kind"].(string)
			var obj client.Object
			switch kind {
			case "ConfigMap": // inline data of the Campaigns and Customers samples
				obj = &corev1.ConfigMap{}
			case "DataSource":
				obj = &crmv1.DataSource{}
			case "SegmentationModel":
				obj = &crmv1.SegmentationModel{}
			case "ReportSchedule":
				obj = &crmv1.ReportSchedule{}
			default:
				continue // Secrets and others of later samples are skipped here
			}
			j, err := json.Marshal(raw)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			if err := json.Unmarshal(j, obj); err != nil {
				return nil, fmt.Errorf("%s: %w", f, err)
			}
			out = append(out, obj)
		}
	}
	// Their data first, then DataSources, models and schedules.
	rank := func(o client.Object) int {
		switch o.(type) {
		case *corev1.ConfigMap:
			return -1
		case *crmv1.DataSource:
			return 0
		case *crmv1.SegmentationModel:
			return 1
		}
		return 2
	}
	sort.SliceStable(out, func(i, j int) bool { return rank(out[i]) < rank(out[j]) })
	return out, nil
}

func notReady(ctx context.Context, c client.Client, ns string) []string {
	var pending []string
	check := func(kind, name string, conds []metav1.Condition, done bool) {
		cnd := meta.FindStatusCondition(conds, crmv1.ConditionReady)
		if cnd == nil || cnd.Status != metav1.ConditionTrue || !done {
			pending = append(pending, kind+"/"+name)
		}
	}
	var ds crmv1.DataSourceList
	var ms crmv1.SegmentationModelList
	var rs crmv1.ReportScheduleList
	_ = c.List(ctx, &ds, client.InNamespace(ns))
	_ = c.List(ctx, &ms, client.InNamespace(ns))
	_ = c.List(ctx, &rs, client.InNamespace(ns))
	for _, o := range ds.Items {
		check("datasource", o.Name, o.Status.Conditions, true)
	}
	for _, o := range ms.Items {
		if meta.IsStatusConditionTrue(o.Status.Conditions, crmv1.ConditionDegraded) && o.Status.LastRunName != "" {
			continue // failed for good; shown in the table
		}
		check("segmentationmodel", o.Name, o.Status.Conditions, o.Status.LastRunName != "")
	}
	for _, o := range rs.Items {
		if meta.IsStatusConditionTrue(o.Status.Conditions, crmv1.ConditionDegraded) && o.Status.LastRunName != "" {
			continue
		}
		check("reportschedule", o.Name, o.Status.Conditions, o.Status.LastRunName != "")
	}
	return pending
}

func condInfo(conds []metav1.Condition) (string, string) {
	c := meta.FindStatusCondition(conds, crmv1.ConditionReady)
	if c == nil {
		return "Unknown", ""
	}
	return string(c.Status), c.Reason
}

func age(t metav1.Time) string { return time.Since(t.Time).Round(time.Second).String() }

func printTable(ctx context.Context, c client.Client, ns string) {
	var ds crmv1.DataSourceList
	var ms crmv1.SegmentationModelList
	var rs crmv1.ReportScheduleList
	_ = c.List(ctx, &ds, client.InNamespace(ns))
	_ = c.List(ctx, &ms, client.InNamespace(ns))
	_ = c.List(ctx, &rs, client.InNamespace(ns))
	w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(w, "NAME\tREADY\tREASON\tDETAIL\tAGE")
	for _, o := range ds.Items {
		s, r := condInfo(o.Status.Conditions)
		rows := int64(0)
		if o.Status.LastRead != nil {
			rows = o.Status.LastRead.Rows
		}
		fmt.Fprintf(w, "datasource/%s\t%s\t%s\trows read by the last run: %d\t%s\n", o.Name, s, r, rows, age(o.CreationTimestamp))
	}
	for _, o := range ms.Items {
		s, r := condInfo(o.Status.Conditions)
		d := fmt.Sprintf("%s, %d customers, %d segments", o.Spec.Method.Type, o.Status.Customers, len(o.Status.Segments))
		if c := meta.FindStatusCondition(o.Status.Conditions, crmv1.ConditionDegraded); c != nil && c.Status == metav1.ConditionTrue {
			d = "Degraded: " + c.Reason + ": " + firstLine(c.Message)
		}
		fmt.Fprintf(w, "segmentationmodel/%s\t%s\t%s\t%s\t%s\n", o.Name, s, r, d, age(o.CreationTimestamp))
	}
	for _, o := range rs.Items {
		s, r := condInfo(o.Status.Conditions)
		next := "-"
		if o.Status.NextScheduleTime != nil {
			next = o.Status.NextScheduleTime.UTC().Format(time.RFC3339)
		}
		d := fmt.Sprintf("next run %s, %d alert(s) firing", next, o.Status.FiringAlerts)
		if c := meta.FindStatusCondition(o.Status.Conditions, crmv1.ConditionDegraded); c != nil && c.Status == metav1.ConditionTrue {
			d += "; Degraded: " + c.Reason + ": " + firstLine(c.Message)
		}
		fmt.Fprintf(w, "reportschedule/%s\t%s\t%s\t%s\t%s\n", o.Name, s, r, d, age(o.CreationTimestamp))
	}
	w.Flush()
}

func firstLine(s string) string {
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	if len(s) > 70 {
		s = s[:70] + "…"
	}
	return s
}

func printSummary(ctx context.Context, c client.Client, ns string) {
	var ms crmv1.SegmentationModelList
	var rs crmv1.ReportScheduleList
	_ = c.List(ctx, &ms, client.InNamespace(ns))
	_ = c.List(ctx, &rs, client.InNamespace(ns))
	for _, m := range ms.Items {
		if len(m.Status.Segments) == 0 {
			continue
		}
		fmt.Printf("Model %s (%s): %d customers, %d transactions, result in ConfigMap %s\n", m.Name, m.Spec.Method.Type, m.Status.Customers, m.Status.Transactions, m.Status.ResultConfigMap)
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		fmt.Fprintln(w, "  SEGMENT\tCUSTOMERS\tREVENUE SHARE")
		for _, s := range m.Status.Segments {
			fmt.Fprintf(w, "  %s\t%d\t%s\n", s.Name, s.Customers, s.RevenueShare)
		}
		w.Flush()
		var rej []string
		for _, r := range m.Status.Rejected {
			rej = append(rej, fmt.Sprintf("%s=%d", r.Reason, r.Rows))
		}
		if len(rej) > 0 {
			fmt.Printf("  rows rejected: %s\n", strings.Join(rej, ", "))
		}
		fmt.Println()
	}
	for _, r := range rs.Items {
		fmt.Printf("Report %s: last run %s\n", r.Name, r.Status.LastRunName)
		keys := make([]string, 0, len(r.Status.KPIs))
		for k := range r.Status.KPIs {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		w := tabwriter.NewWriter(os.Stdout, 0, 4, 2, ' ', 0)
		for _, k := range keys {
			fmt.Fprintf(w, "  %s\t%s\n", k, r.Status.KPIs[k])
		}
		w.Flush()
		for _, a := range r.Status.Alerts {
			fmt.Printf("  ALERT %s (%s): %s\n", a.Name, a.Severity, a.Message)
		}
		if len(r.Status.Alerts) == 0 {
			fmt.Println("  no alert fires")
		}
	}
}
