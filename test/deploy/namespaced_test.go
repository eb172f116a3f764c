package deploy_test

import (
	"slices"
	"testing"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
)

// TestNamespacedInstall: config/namespaced grants manager-role only through
// RoleBindings (no ClusterRoleBinding grants it cluster-wide), and the
// manager is told to watch exactly the bound namespaces.
func TestNamespacedInstall(t *testing.T) {
	objs := render(t, "config/namespaced")
	for _, crb := range byKind(objs, "ClusterRoleBinding") {
		// TokenReview and SubjectAccessReview (metrics auth) are cluster-scoped by nature.
		ref, _, _ := unstructured.NestedString(crb.Object, "roleRef", "name")
		if ref == "crmlens-manager-role" {
			t.Errorf("ClusterRoleBinding %s still grants manager-role cluster-wide", crb.GetName())
		}
	}
	var bound []string
	for _, rb := range byKind(objs, "RoleBinding") {
		ref, _, _ := unstructured.NestedString(rb.Object, "roleRef", "name")
		if ref == "crmlens-manager-role" && slices.Contains(subjects(rb), "crmlens-controller-manager") {
			bound = append(bound, rb.GetNamespace())
		}
	}
	if len(bound) != 1 || bound[0] != "crm-apps" {
		t.Errorf("manager-role bound in %v, want [crm-apps]", bound)
	}
	deps := byKind(objs, "Deployment")
	if len(deps) != 1 {
		t.Fatalf("%d Deployments", len(deps))
	}
	cs, _, _ := unstructured.NestedSlice(deps[0].Object, "spec", "template", "spec", "containers")
	args, _, _ := unstructured.NestedStringSlice(cs[0].(map[string]any), "args")
	if !slices.Contains(args, "--watch-namespaces=crm-apps") {
		t.Errorf("manager args %v lack --watch-namespaces=crm-apps", args)
	}
}

func subjects(o *unstructured.Unstructured) []string {
	ss, _, _ := unstructured.NestedSlice(o.Object, "subjects")
	var out []string
	for _, s := range ss {
		if m, ok := s.(map[string]any); ok {
			if n, ok := m["name"].(string); ok {
				out = append(out, n)
			}
		}
	}
	return out
}
