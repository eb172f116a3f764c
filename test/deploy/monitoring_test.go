package deploy_test

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"

	"github.com/crmlens/crmlens/internal/metrics"
)

// exported returns each crmlens metric name with its label names, read from
// the collectors the manager registers (histograms add _bucket, _sum,
// _count), plus the controller-runtime metrics the rules and dashboard use.
func exported(t *testing.T) map[string][]string {
	t.Helper()
	out := map[string][]string{
		// controller-runtime's reconcile metrics (pkg/internal/controller/metrics).
		"controller_runtime_reconcile_total":        {"controller", "result"},
		"controller_runtime_reconcile_errors_total": {"controller"},
	}
	fq := regexp.MustCompile(`fqName: "([a-z_:]+)"`)
	vl := regexp.MustCompile(`variableLabels: \{([^}]*)\}`)
	collectors := map[prometheus.Collector]bool{
		metrics.SegmentCustomers: false, metrics.SegmentRevenueShare: false, metrics.KPICount: false, metrics.KPIRatio: false, metrics.KPIMoney: false,
		metrics.RunDuration: true, metrics.Runs: false, metrics.LastSuccess: false,
		metrics.AlertFiring: false, metrics.DataSourceReady: false,
		metrics.BuildInfo: false, metrics.StaleAfter: false,
	}
	for c, histogram := range collectors {
		ch := make(chan *prometheus.Desc, 4)
		c.Describe(ch)
		close(ch)
		for d := range ch {
			s := d.String()
			m := fq.FindStringSubmatch(s)
			if m == nil {
				t.Fatalf("cannot read the metric name from %s", s)
			}
			var labels []string
			if l := vl.FindStringSubmatch(s); l != nil && l[1] != "" {
				labels = strings.Split(l[1], ",")
			}
			out[m[1]] = labels
			if histogram {
				out[m[1]+"_bucket"] = append(append([]string(nil), labels...), "le")
				out[m[1]+"_sum"], out[m[1]+"_count"] = labels, labels
			}
		}
	}
	if _, ok := out["crmlens_alert_firing"]; !ok {
		t.Fatal("crmlens_alert_firing is not exported by internal/metrics")
	}
	return out
}

var (
	metricRef = regexp.MustCompile(`\b((?:crmlens|controller_runtime)_[a-z_]+)\b(\{[^}]*\})?`)
	labelKey  = regexp.MustCompile(`([a-zA-Z_]+)\s*(?:=~|!~|!=|=)`)
	byClause  = regexp.MustCompile(`\bby\s*\(([^)]*)\)`)
)

// exprProblems lists metrics an expression uses that the manager does not
// export, and labels it selects or groups by that those metrics lack.
func exprProblems(where, expr string, known map[string][]string) []string {
	var p []string
	refs := metricRef.FindAllStringSubmatch(expr, -1)
	if len(refs) == 0 {
		p = append(p, fmt.Sprintf("%s: %q uses no crmlens or controller-runtime metric", where, expr))
	}
	labels := map[string]bool{"le": true}
	for _, r := range refs {
		ls, ok := known[r[1]]
		if !ok {
			p = append(p, fmt.Sprintf("%s: metric %s is not exported by the manager", where, r[1]))
			continue
		}
		for _, l := range ls {
			labels[l] = true
		}
		for _, k := range labelKey.FindAllStringSubmatch(r[2], -1) {
			if !slices.Contains(ls, k[1]) {
				p = append(p, fmt.Sprintf("%s: %s has no label %q", where, r[1], k[1]))
			}
		}
	}
	for _, b := range byClause.FindAllStringSubmatch(expr, -1) {
		for _, l := range splitList(b[1]) {
			if !labels[l] {
				p = append(p, fmt.Sprintf("%s: groups by %q, which its metrics do not carry", where, l))
			}
		}
	}
	if strings.Count(expr, "(") != strings.Count(expr, ")") || strings.Count(expr, "{") != strings.Count(expr, "}") {
		p = append(p, fmt.Sprintf("%s: unbalanced brackets in %q", where, expr))
	}
	return p
}

// checkExpr fails t for every problem of expr.
func checkExpr(t *testing.T, where, expr string, known map[string][]string) {
	t.Helper()
	for _, p := range exprProblems(where, expr, known) {
		t.Error(p)
	}
}

func TestPrometheusConfig(t *testing.T) {
	known := exported(t)
	objs := render(t, "config/prometheus")

	mons := byKind(objs, "ServiceMonitor")
	if len(mons) != 1 {
		t.Fatalf("%d ServiceMonitors, want 1", len(mons))
	}
	eps, _, _ := unstructured.NestedSlice(mons[0].Object, "spec", "endpoints")
	if len(eps) != 1 {
		t.Fatalf("ServiceMonitor endpoints %v", eps)
	}
	ep, _ := eps[0].(map[string]any)
	// The scrape must keep the series' own namespace label (the resource's),
	// or Prometheus renames it exported_namespace and the rules below break.
	if ep["honorLabels"] != true {
		t.Error("ServiceMonitor endpoint must set honorLabels: true")
	}
	var svcPort string
	for _, s := range byKind(render(t, "config/default"), "Service") {
		ports, _, _ := unstructured.NestedSlice(s.Object, "spec", "ports")
		p, _ := ports[0].(map[string]any)
		svcPort, _ = p["name"].(string)
	}
	// authorization from the scraper's token Secret, not the deprecated bearerTokenFile.
	if _, ok := ep["bearerTokenFile"]; ok {
		t.Error("ServiceMonitor uses the deprecated bearerTokenFile")
	}
	authType, _, _ := unstructured.NestedString(ep, "authorization", "type")
	secretName, _, _ := unstructured.NestedString(ep, "authorization", "credentials", "name")
	secretKey, _, _ := unstructured.NestedString(ep, "authorization", "credentials", "key")
	checkScraper(t, objs, authType, secretName, secretKey)
	if ep["port"] != svcPort || ep["scheme"] != "https" {
		t.Errorf("ServiceMonitor scrapes port %v (%v), the metrics Service names %q (https)", ep["port"], ep["scheme"], svcPort)
	}

	rules := byKind(objs, "PrometheusRule")
	if len(rules) != 1 {
		t.Fatalf("%d PrometheusRules, want 1", len(rules))
	}
	groups, _, _ := unstructured.NestedSlice(rules[0].Object, "spec", "groups")
	anchors := docAnchors(t, repoPath(t, "docs", "operations.md"))
	var alerts []string
	for _, g := range groups {
		rs, _, _ := unstructured.NestedSlice(g.(map[string]any), "rules")
		for _, r := range rs {
			rule := r.(map[string]any)
			name, _ := rule["alert"].(string)
			expr, _ := rule["expr"].(string)
			alerts = append(alerts, name)
			checkExpr(t, "rule "+name, expr, known)
			runbook, _, _ := unstructured.NestedString(rule, "annotations", "runbook_url")
			checkRunbook(t, name, runbook, anchors)
			if name == "CrmlensResultsStale" && !strings.Contains(expr, "crmlens_results_stale_after_seconds") {
				t.Errorf("CrmlensResultsStale ignores each object's own schedule: %s", expr)
			}
			sev, _, _ := unstructured.NestedString(rule, "labels", "severity")
			sum, _, _ := unstructured.NestedString(rule, "annotations", "summary")
			if sev == "" || sum == "" {
				t.Errorf("rule %s needs a severity label and a summary", name)
			}
		}
	}
	for _, want := range []string{"CrmlensReportAlertFiring", "CrmlensOperatorDown", "CrmlensResultsStale"} {
		if !slices.Contains(alerts, want) {
			t.Errorf("no %s rule (rules: %v)", want, alerts)
		}
	}
}

func TestPrometheusCheckCatchesUnknownMetrics(t *testing.T) {
	known := exported(t)
	tests := []struct{ expr, want string }{
		{`crmlens_alert_fireing{namespace="a"} == 1`, "crmlens_alert_fireing is not exported"},
		{`sum by (segment) (crmlens_runs_total)`, `groups by "segment"`},
		{`crmlens_kpi_ratio{segment="x"}`, `crmlens_kpi_ratio has no label "segment"`},
		{`max by (namespace, name, alert) (crmlens_alert_firing) == 1`, ""},
	}
	for _, tt := range tests {
		p := strings.Join(exprProblems("x", tt.expr, known), "; ")
		if (tt.want == "") != (p == "") || !strings.Contains(p, tt.want) {
			t.Errorf("%s: problems %q, want %q", tt.expr, p, tt.want)
		}
	}
}

func TestGrafanaDashboard(t *testing.T) {
	known := exported(t)
	b, err := os.ReadFile(repoPath(t, "config", "grafana", "crmlens-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Contains(string(b), "http://") || strings.Contains(string(b), "https://") {
		t.Error("the dashboard links outside (no external references wanted)")
	}
	var d struct {
		UID, Title string
		Panels     []struct {
			Title, Type string
			Datasource  *struct{ Type, UID string }
			Targets     []struct{ Expr string }
		}
		Templating struct {
			List []struct {
				Name, Type string
				Definition string
			}
		}
	}
	if err := json.Unmarshal(b, &d); err != nil {
		t.Fatalf("dashboard JSON: %v", err)
	}
	if d.UID == "" || d.Title == "" {
		t.Error("dashboard needs a uid and a title")
	}
	vars := map[string]bool{}
	for _, v := range d.Templating.List {
		vars[v.Name] = true
		if v.Definition != "" {
			checkExpr(t, "variable "+v.Name, v.Definition, known)
		}
	}
	if !vars["datasource"] {
		t.Error("dashboard needs a datasource variable, so it imports into any Grafana")
	}
	panels, firing := 0, false
	for _, p := range d.Panels {
		if p.Type == "row" {
			continue
		}
		panels++
		if p.Title == "" || p.Datasource == nil || p.Datasource.UID != "${datasource}" {
			t.Errorf("panel %q: want a title and datasource ${datasource}", p.Title)
		}
		if len(p.Targets) == 0 {
			t.Errorf("panel %q has no query", p.Title)
		}
		for _, tg := range p.Targets {
			checkExpr(t, "panel "+p.Title, tg.Expr, known)
			firing = firing || strings.Contains(tg.Expr, "crmlens_alert_firing")
		}
	}
	if panels < 8 || !firing {
		t.Errorf("%d panels (want ≥ 8), alert panel present: %v", panels, firing)
	}
}

// TestLintDockerfile runs hack/lint-dockerfile.sh on the real Dockerfile
// and on weakened copies, which it must refuse.
func TestLintDockerfile(t *testing.T) {
	script := repoPath(t, "hack", "lint-dockerfile.sh")
	orig, err := os.ReadFile(repoPath(t, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, from, to, want string
	}{
		{"as committed", "", "", ""},
		{"root user", "USER 65532:65532", "USER root", "USER 65532"},
		{"cgo build", "CGO_ENABLED=0 ", "", "static"},
		{"full OS base", "gcr.io/distroless/static-debian12:nonroot", "debian:12", "distroless"},
		{"single stage", "FROM gcr.io/distroless/static-debian12:nonroot\nCOPY --from=build /out/crmlens /crmlens", "", "multi-stage"},
		{"shell entrypoint", `ENTRYPOINT ["/crmlens"]`, "ENTRYPOINT /crmlens", "exec form"},
		{"version not stamped", "-X github.com/crmlens/crmlens/analytics/engine.Version=${VERSION} ", "", "engine.Version"},
		{"revision not stamped", " -X github.com/crmlens/crmlens/internal/buildinfo.Revision=${REVISION}", "", "buildinfo.Revision"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			content := string(orig)
			if tt.from != "" {
				if !strings.Contains(content, tt.from) {
					t.Fatalf("the Dockerfile no longer contains %q; update this test", tt.from)
				}
				content = strings.Replace(content, tt.from, tt.to, 1)
			}
			df := filepath.Join(t.TempDir(), "Dockerfile")
			if err := os.WriteFile(df, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
			cmd := exec.Command("bash", script)
			cmd.Env = append(os.Environ(), "DOCKERFILE="+df)
			out, err := cmd.CombinedOutput()
			if tt.want == "" {
				if err != nil {
					t.Errorf("lint refused the committed Dockerfile: %v\n%s", err, out)
				}
				return
			}
			if err == nil || !strings.Contains(string(out), tt.want) {
				t.Errorf("lint: err %v, output %q; want a refusal mentioning %q", err, out, tt.want)
			}
		})
	}
}
