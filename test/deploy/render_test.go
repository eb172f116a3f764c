// Package deploy_test checks the install: the kustomizations under config/
// render, apply to a real kube-apiserver, pass the restricted Pod Security
// Standard, grant only the documented RBAC, and their Prometheus rules and
// Grafana dashboard use metrics the manager really exports.
package deploy_test

import (
	"path/filepath"
	"strings"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"

	"github.com/crmlens/crmlens/internal/testenv"
)

// repoPath returns a path inside the repository.
func repoPath(t *testing.T, rel ...string) string {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	return filepath.Join(append([]string{root}, rel...)...)
}

// render builds the kustomization in dir (relative to the repository) with
// kustomize's Go API, as `make build-installer` does.
func render(t *testing.T, dir string) []*unstructured.Unstructured {
	t.Helper()
	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), repoPath(t, dir))
	if err != nil {
		t.Fatalf("kustomize %s: %v", dir, err)
	}
	var out []*unstructured.Unstructured
	for _, r := range m.Resources() {
		// Through JSON, so numbers are int64/float64 as unstructured expects.
		b, err := r.MarshalJSON()
		if err != nil {
			t.Fatalf("kustomize %s: %v", dir, err)
		}
		u := &unstructured.Unstructured{}
		if err := u.UnmarshalJSON(b); err != nil {
			t.Fatalf("kustomize %s: %s %s: %v", dir, r.GetKind(), r.GetName(), err)
		}
		out = append(out, u)
	}
	return out
}

// byKind returns the objects of one kind.
func byKind(objs []*unstructured.Unstructured, kind string) []*unstructured.Unstructured {
	var out []*unstructured.Unstructured
	for _, o := range objs {
		if o.GetKind() == kind {
			out = append(out, o)
		}
	}
	return out
}

func TestKustomizationsRender(t *testing.T) {
	tests := []struct {
		dir   string
		kinds map[string]int // kind → count expected
	}{
		{"config/default", map[string]int{"Namespace": 1, "CustomResourceDefinition": 4, "Deployment": 1, "Service": 1, "ServiceAccount": 1}},
		{"config/crd", map[string]int{"CustomResourceDefinition": 4}},
		{"config/rbac", map[string]int{"ServiceAccount": 1}},
		{"config/prometheus", map[string]int{"ServiceMonitor": 1, "PrometheusRule": 1, "ServiceAccount": 1, "Secret": 1, "ClusterRoleBinding": 1}},
		{"config/runner", map[string]int{"ServiceAccount": 1, "RoleBinding": 1}},
		{"config/samples", nil},
	}
	for _, tt := range tests {
		t.Run(strings.ReplaceAll(tt.dir, "/", "_"), func(t *testing.T) {
			objs := render(t, tt.dir)
			if len(objs) == 0 {
				t.Fatalf("%s renders nothing", tt.dir)
			}
			for kind, n := range tt.kinds {
				if got := len(byKind(objs, kind)); got != n {
					t.Errorf("%s: %d %s, want %d", tt.dir, got, kind, n)
				}
			}
		})
	}
}

func TestDefaultIsOneNamespace(t *testing.T) {
	for _, o := range render(t, "config/default") {
		ns := o.GetNamespace()
		switch o.GetKind() {
		case "Namespace", "CustomResourceDefinition", "ClusterRole", "ClusterRoleBinding":
			if ns != "" {
				t.Errorf("cluster-scoped %s %s has namespace %q", o.GetKind(), o.GetName(), ns)
			}
		default:
			if ns != "crmlens-system" {
				t.Errorf("%s %s in namespace %q, want crmlens-system", o.GetKind(), o.GetName(), ns)
			}
		}
		if o.GetKind() != "CustomResourceDefinition" && !strings.HasPrefix(o.GetName(), "crmlens-") {
			t.Errorf("%s %s lacks the crmlens- prefix", o.GetKind(), o.GetName())
		}
		if o.GetLabels()["app.kubernetes.io/part-of"] != "crmlens" {
			t.Errorf("%s %s lacks app.kubernetes.io/part-of=crmlens", o.GetKind(), o.GetName())
		}
	}
}
