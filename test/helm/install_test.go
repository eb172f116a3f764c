package helm

import (
	"context"
	"sort"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crmlens/crmlens/internal/testenv"
)

// The chart's default render installs into a real kube-apiserver (envtest):
// server-side apply validates every object against the API server's schemas
// (CRDs first, then RBAC, then the rest), and each is read back. The
// namespace is created as `helm install --create-namespace` would, with the
// restricted Pod Security labels the chart README asks for, so the manager's
// pod template is admitted under enforce=restricted too.
func TestChartInstallsIntoAPIServer(t *testing.T) {
	_, objs := helmRender(t, map[string]any{"image": map[string]any{"tag": "1.2.3"}})
	env := testenv.Start(t)
	c := env.Client
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: namespace, Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted"}}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}
	rank := map[string]int{"CustomResourceDefinition": 0, "ServiceAccount": 1, "ClusterRole": 2, "Role": 2, "ClusterRoleBinding": 3, "RoleBinding": 3}
	var list []*unstructured.Unstructured
	for _, o := range objs {
		list = append(list, &unstructured.Unstructured{Object: o})
	}
	order := func(u *unstructured.Unstructured) int {
		if r, ok := rank[u.GetKind()]; ok {
			return r
		}
		return 9
	}
	sort.SliceStable(list, func(i, j int) bool {
		if order(list[i]) != order(list[j]) {
			return order(list[i]) < order(list[j])
		}
		return key(list[i].Object) < key(list[j].Object)
	})
	for _, u := range list {
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(u), client.FieldOwner("helm-install-test"), client.ForceOwnership); err != nil {
			t.Fatalf("server-side apply %s: %v", key(u.Object), err)
		}
	}
	for _, u := range list {
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(u.GroupVersionKind())
		if err := c.Get(ctx, client.ObjectKeyFromObject(u), got); err != nil {
			t.Errorf("%s not stored: %v", key(u.Object), err)
		}
	}
	dep := objs["Deployment/"+namespace+"/crmlens-controller-manager"]
	tmpl, _, _ := unstructured.NestedMap(dep, "spec", "template", "spec")
	pod := &unstructured.Unstructured{Object: map[string]any{"apiVersion": "v1", "kind": "Pod",
		"metadata": map[string]any{"name": "manager-template-check", "namespace": namespace}, "spec": tmpl}}
	if err := c.Create(ctx, pod); err != nil {
		t.Errorf("a pod of the chart's manager template is refused under enforce=restricted: %v", err)
	}
}
