package deploy_test

import (
	"slices"
	"strings"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	networkingv1 "k8s.io/api/networking/v1"
	"k8s.io/apimachinery/pkg/runtime"
)

// The default install admits ingress to the manager on the metrics and health
// ports only, selects exactly the manager's pods, runs them with explicit IDs
// ≥ 10000, and names no :latest or untagged image.
func TestDefaultInstallHardened(t *testing.T) {
	objs := render(t, "config/default")
	deps := byKind(objs, "Deployment")
	nps := byKind(objs, "NetworkPolicy")
	if len(deps) != 1 || len(nps) != 1 {
		t.Fatalf("%d Deployments and %d NetworkPolicies, want 1 and 1", len(deps), len(nps))
	}
	var dep appsv1.Deployment
	var np networkingv1.NetworkPolicy
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(deps[0].Object, &dep); err != nil {
		t.Fatal(err)
	}
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(nps[0].Object, &np); err != nil {
		t.Fatal(err)
	}
	if np.Namespace != dep.Namespace {
		t.Errorf("NetworkPolicy in %q, manager in %q", np.Namespace, dep.Namespace)
	}
	for k, v := range np.Spec.PodSelector.MatchLabels {
		if dep.Spec.Template.Labels[k] != v {
			t.Errorf("NetworkPolicy selects %s=%s; manager pods have %q", k, v, dep.Spec.Template.Labels[k])
		}
	}
	if len(np.Spec.PodSelector.MatchLabels) == 0 {
		t.Error("NetworkPolicy selects every pod of the namespace")
	}
	if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}) {
		t.Errorf("policyTypes %v, want [Ingress]", np.Spec.PolicyTypes)
	}
	var ports []string
	for _, r := range np.Spec.Ingress {
		for _, p := range r.Ports {
			ports = append(ports, string(*p.Protocol)+"/"+p.Port.String())
		}
		if len(r.Ports) == 0 {
			t.Error("an ingress rule without ports admits every port")
		}
	}
	slices.Sort(ports)
	if want := []string{"TCP/8081", "TCP/8443"}; !slices.Equal(ports, want) {
		t.Errorf("ingress ports %v, want %v (health, metrics)", ports, want)
	}
	// The ports the policy opens are the ones the manager serves.
	m := dep.Spec.Template.Spec.Containers[0]
	if m.LivenessProbe.HTTPGet.Port.IntValue() != 8081 || m.Ports[0].ContainerPort != 8443 {
		t.Errorf("manager serves health on %v and metrics on %d", m.LivenessProbe.HTTPGet.Port, m.Ports[0].ContainerPort)
	}

	psc := dep.Spec.Template.Spec.SecurityContext
	if psc.RunAsUser == nil || *psc.RunAsUser < 10000 || psc.RunAsGroup == nil || *psc.RunAsGroup < 10000 {
		t.Errorf("manager runAsUser/runAsGroup %v/%v, want explicit IDs ≥ 10000", psc.RunAsUser, psc.RunAsGroup)
	}
	for _, c := range dep.Spec.Template.Spec.Containers {
		if strings.HasSuffix(c.Image, ":latest") || !strings.Contains(c.Image[strings.LastIndex(c.Image, "/")+1:], ":") {
			t.Errorf("container %s image %q: want a version tag, never :latest", c.Name, c.Image)
		}
	}
}

// config/runner denies all ingress to the analysis Job pods of its namespace,
// selected by the label every Job pod carries (controllers' ownerLabels;
// TestJobPodHardenedByDefault checks the pods have it).
func TestRunnerDeniesIngress(t *testing.T) {
	nps := byKind(render(t, "config/runner"), "NetworkPolicy")
	if len(nps) != 1 {
		t.Fatalf("%d NetworkPolicies in config/runner, want 1", len(nps))
	}
	var np networkingv1.NetworkPolicy
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(nps[0].Object, &np); err != nil {
		t.Fatal(err)
	}
	if np.Spec.PodSelector.MatchLabels["app.kubernetes.io/managed-by"] != "crmlens" || len(np.Spec.PodSelector.MatchLabels) != 1 {
		t.Errorf("selector %v, want app.kubernetes.io/managed-by=crmlens only", np.Spec.PodSelector.MatchLabels)
	}
	if !slices.Equal(np.Spec.PolicyTypes, []networkingv1.PolicyType{networkingv1.PolicyTypeIngress}) || len(np.Spec.Ingress) != 0 {
		t.Errorf("policyTypes %v ingress %v, want Ingress with no rules (deny all)", np.Spec.PolicyTypes, np.Spec.Ingress)
	}
}
