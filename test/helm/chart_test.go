package helm

import (
	"bytes"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"

	"helm.sh/helm/v4/pkg/chart/common"
	"helm.sh/helm/v4/pkg/chart/common/util"
	chart "helm.sh/helm/v4/pkg/chart/v2"
	"helm.sh/helm/v4/pkg/chart/v2/loader"
	"helm.sh/helm/v4/pkg/engine"
	"sigs.k8s.io/yaml"
)

const (
	root      = "../.."
	namespace = "crmlens-system"
	image     = "ghcr.io/crmlens/crmlens:1.2.3"
)

type object = map[string]any

func key(o object) string {
	md, _ := o["metadata"].(map[string]any)
	return fmt.Sprintf("%v/%v/%v", o["kind"], md["namespace"], md["name"])
}

// splitYAML parses a multi-document YAML stream, skipping empty documents.
func splitYAML(t *testing.T, where, s string) []object {
	t.Helper()
	var out []object
	for _, doc := range strings.Split("\n"+s, "\n---") {
		var o object
		if err := yaml.Unmarshal([]byte(doc), &o); err != nil {
			t.Fatalf("%s: %v\n%s", where, err, doc)
		}
		if len(o) > 0 {
			out = append(out, o)
		}
	}
	return out
}

// helmRender renders charts/crmlens with the Helm SDK (chart loader, values
// coalescing, template engine) as `helm template` does, CRDs from crds/ included.
func helmRender(t *testing.T, vals map[string]any) (*chart.Chart, map[string]object) {
	t.Helper()
	ch, err := loader.Load(filepath.Join(root, "charts", "crmlens"))
	if err != nil {
		t.Fatalf("loading the chart: %v", err)
	}
	if err := ch.Validate(); err != nil {
		t.Fatalf("chart metadata: %v", err)
	}
	rv, err := util.ToRenderValues(ch, vals, common.ReleaseOptions{Name: "crmlens", Namespace: namespace, IsInstall: true}, common.DefaultCapabilities)
	if err != nil {
		t.Fatalf("values: %v", err)
	}
	files, err := engine.Render(ch, rv)
	if err != nil {
		t.Fatalf("rendering the chart: %v", err)
	}
	out := map[string]object{}
	names := make([]string, 0, len(files))
	for n := range files {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		if strings.HasSuffix(n, ".tpl") || strings.HasSuffix(n, "NOTES.txt") {
			continue
		}
		for _, o := range splitYAML(t, n, files[n]) {
			if _, dup := out[key(o)]; dup {
				t.Errorf("%s renders %s twice", n, key(o))
			}
			out[key(o)] = o
		}
	}
	for _, crd := range ch.CRDObjects() {
		for _, o := range splitYAML(t, crd.Filename, string(crd.File.Data)) {
			out[key(o)] = o
		}
	}
	return ch, out
}

// kustomize renders a kustomization of the repository with hack/kustomize,
// as make build-installer does.
func kustomize(t *testing.T, dir string, args ...string) map[string]object {
	t.Helper()
	cmd := exec.Command("go", append(append([]string{"run", "./hack/kustomize"}, args...), dir)...)
	cmd.Dir = root
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	b, err := cmd.Output()
	if err != nil {
		t.Fatalf("kustomize %s: %v\n%s", dir, err, stderr.String())
	}
	out := map[string]object{}
	for _, o := range splitYAML(t, dir, string(b)) {
		out[key(o)] = o
	}
	return out
}

// compare reports objects only one side has and objects that differ.
func compare(t *testing.T, helm, kust map[string]object, skip func(string) bool) {
	t.Helper()
	for k, ko := range kust {
		if skip != nil && skip(k) {
			continue
		}
		ho, ok := helm[k]
		if !ok {
			t.Errorf("kustomize has %s, the chart does not", k)
			continue
		}
		if !reflect.DeepEqual(ho, ko) {
			hb, _ := yaml.Marshal(ho)
			kb, _ := yaml.Marshal(ko)
			t.Errorf("%s differs:\n--- chart\n%s\n--- kustomize\n%s", k, hb, kb)
		}
	}
	for k := range helm {
		if _, ok := kust[k]; !ok {
			t.Errorf("the chart has %s, kustomize does not", k)
		}
	}
}

// With an image tag set, the chart renders exactly config/default's objects
// (the Namespace aside: Helm installs into --namespace, see the chart README).
func TestChartMatchesKustomizeDefault(t *testing.T) {
	_, helm := helmRender(t, map[string]any{"image": map[string]any{"tag": "1.2.3"}})
	kust := kustomize(t, "config/default", "--image", image)
	if _, ok := kust["Namespace/<nil>/"+namespace]; !ok {
		t.Fatalf("kustomize render has no Namespace %s; update this test", namespace)
	}
	compare(t, helm, kust, func(k string) bool { return strings.HasPrefix(k, "Namespace/") })
}

// The monitoring options render config/prometheus's objects and the Grafana
// dashboard of config/grafana, byte for byte.
func TestChartMonitoringOptions(t *testing.T) {
	on := map[string]any{"enabled": true}
	_, helm := helmRender(t, map[string]any{"image": map[string]any{"tag": "1.2.3"},
		"monitoring": map[string]any{"serviceMonitor": on, "prometheusRule": on, "grafanaDashboard": on}})
	want := kustomize(t, "config/default", "--image", image)
	for k, v := range kustomize(t, "config/prometheus") {
		want[k] = v
	}
	dash := "ConfigMap/" + namespace + "/crmlens-grafana-dashboard"
	cm, ok := helm[dash]
	if !ok {
		t.Fatalf("no %s", dash)
	}
	delete(helm, dash)
	file, err := os.ReadFile(filepath.Join(root, "config", "grafana", "crmlens-dashboard.json"))
	if err != nil {
		t.Fatal(err)
	}
	data, _ := cm["data"].(map[string]any)
	if got := data["crmlens-dashboard.json"]; got != strings.TrimRight(string(file), "\n") {
		t.Errorf("dashboard ConfigMap differs from config/grafana/crmlens-dashboard.json")
	}
	if l, _ := cm["metadata"].(map[string]any)["labels"].(map[string]any); l["grafana_dashboard"] != "1" {
		t.Errorf("dashboard labels %v lack grafana_dashboard=1", l)
	}
	compare(t, helm, want, func(k string) bool { return strings.HasPrefix(k, "Namespace/") })
}

// Defaults: the chart's appVersion as the image tag (never latest), no
// monitoring objects; networkPolicy.enabled=false drops the NetworkPolicy.
func TestChartDefaults(t *testing.T) {
	ch, helm := helmRender(t, nil)
	dep := helm["Deployment/"+namespace+"/crmlens-controller-manager"]
	if dep == nil {
		t.Fatal("no manager Deployment")
	}
	b, _ := yaml.Marshal(dep)
	want := "image: ghcr.io/crmlens/crmlens:" + ch.Metadata.AppVersion + "\n"
	if !strings.Contains(string(b), want) || strings.Contains(string(b), ":latest") {
		t.Errorf("manager image: want %q (appVersion), never :latest\n%s", want, b)
	}
	for k := range helm {
		for _, kind := range []string{"ServiceMonitor/", "PrometheusRule/", "ConfigMap/"} {
			if strings.HasPrefix(k, kind) {
				t.Errorf("%s rendered with monitoring off", k)
			}
		}
	}
	if _, ok := helm["NetworkPolicy/"+namespace+"/crmlens-controller-manager"]; !ok {
		t.Error("no NetworkPolicy by default")
	}
	_, off := helmRender(t, map[string]any{"networkPolicy": map[string]any{"enabled": false}})
	if _, ok := off["NetworkPolicy/"+namespace+"/crmlens-controller-manager"]; ok {
		t.Error("networkPolicy.enabled=false still renders the NetworkPolicy")
	}
	_, dig := helmRender(t, map[string]any{"image": map[string]any{"digest": "sha256:" + strings.Repeat("ab", 32)}})
	if b, _ := yaml.Marshal(dig["Deployment/"+namespace+"/crmlens-controller-manager"]); !strings.Contains(string(b), "image: ghcr.io/crmlens/crmlens@sha256:abab") {
		t.Errorf("image.digest not used:\n%s", b)
	}
}

// Every value in values.yaml is in the README's values table.
func TestChartReadmeDocumentsEveryValue(t *testing.T) {
	ch, _ := helmRender(t, nil)
	readme, err := os.ReadFile(filepath.Join(root, "charts", "crmlens", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var leaves []string
	var walk func(prefix string, v any)
	walk = func(prefix string, v any) {
		m, ok := v.(map[string]any)
		if !ok || len(m) == 0 || prefix == "monitoring.grafanaDashboard.labels" || prefix == "resources" {
			leaves = append(leaves, prefix)
			return
		}
		for k, sub := range m {
			p := k
			if prefix != "" {
				p = prefix + "." + k
			}
			walk(p, sub)
		}
	}
	walk("", ch.Values)
	slices.Sort(leaves)
	for _, l := range leaves {
		if !strings.Contains(string(readme), "| `"+l+"` |") {
			t.Errorf("values.yaml key %s is not in the README's values table", l)
		}
	}
}
