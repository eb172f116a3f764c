package deploy_test

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	appsv1 "k8s.io/api/apps/v1"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crmlens/crmlens/internal/testenv"
)

// warnings collects the API server's warning headers (PodSecurity reports
// workload templates that would be refused this way).
type warnings struct {
	mu   sync.Mutex
	msgs []string
}

func (w *warnings) HandleWarningHeaderWithContext(_ context.Context, _ int, _ string, msg string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.msgs = append(w.msgs, msg)
}

// take returns the warnings so far and forgets them.
func (w *warnings) take() []string {
	w.mu.Lock()
	defer w.mu.Unlock()
	m := w.msgs
	w.msgs = nil
	return m
}

// startAPI starts the test API server and returns a client whose warnings
// are collected.
func startAPI(t *testing.T) (client.Client, *warnings) {
	t.Helper()
	env := testenv.Start(t)
	cfg := rest.CopyConfig(env.Config)
	w := &warnings{}
	cfg.WarningHandlerWithContext = w
	c, err := client.New(cfg, client.Options{Scheme: env.Client.Scheme()})
	if err != nil {
		t.Fatal(err)
	}
	return c, w
}

// applyOrder puts kinds that others depend on first.
var applyOrder = map[string]int{"Namespace": 0, "CustomResourceDefinition": 1, "ServiceAccount": 2, "ClusterRole": 3, "Role": 3, "ClusterRoleBinding": 4, "RoleBinding": 4}

func apply(ctx context.Context, t *testing.T, c client.Client, objs []*unstructured.Unstructured) {
	t.Helper()
	sort.SliceStable(objs, func(i, j int) bool {
		oi, ok := applyOrder[objs[i].GetKind()]
		if !ok {
			oi = 9
		}
		oj, ok := applyOrder[objs[j].GetKind()]
		if !ok {
			oj = 9
		}
		return oi < oj
	})
	for _, o := range objs {
		if err := c.Apply(ctx, client.ApplyConfigurationFromUnstructured(o), client.FieldOwner("crmlens-install-test"), client.ForceOwnership); err != nil {
			t.Fatalf("server-side apply %s %s/%s: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}
}

// TestDefaultInstallOnAPIServer applies every object of config/default to a
// real kube-apiserver with server-side apply, reads each back, and checks the
// manager Deployment's operability and hardening.
func TestDefaultInstallOnAPIServer(t *testing.T) {
	c, warn := startAPI(t)
	ctx := context.Background()
	objs := render(t, "config/default")
	apply(ctx, t, c, objs)
	if w := warn.take(); len(w) > 0 {
		t.Errorf("the API server warned while applying the install (PodSecurity or deprecations):\n%s", strings.Join(w, "\n"))
	}

	for _, o := range objs {
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(o.GroupVersionKind())
		if err := c.Get(ctx, client.ObjectKeyFromObject(o), got); err != nil {
			t.Errorf("%s %s/%s not stored: %v", o.GetKind(), o.GetNamespace(), o.GetName(), err)
		}
	}

	var ns corev1.Namespace
	if err := c.Get(ctx, client.ObjectKey{Name: "crmlens-system"}, &ns); err != nil {
		t.Fatal(err)
	}
	for _, mode := range []string{"enforce", "warn", "audit"} {
		if ns.Labels["pod-security.kubernetes.io/"+mode] != "restricted" {
			t.Errorf("namespace crmlens-system: pod-security %s = %q, want restricted", mode, ns.Labels["pod-security.kubernetes.io/"+mode])
		}
	}

	var dep appsv1.Deployment
	if err := c.Get(ctx, client.ObjectKey{Namespace: "crmlens-system", Name: "crmlens-controller-manager"}, &dep); err != nil {
		t.Fatal(err)
	}
	checkManager(t, &dep)

	// The ServiceAccount it names exists; the metrics Service selects its pods.
	var sa corev1.ServiceAccount
	if err := c.Get(ctx, client.ObjectKey{Namespace: "crmlens-system", Name: dep.Spec.Template.Spec.ServiceAccountName}, &sa); err != nil {
		t.Errorf("ServiceAccount %q of the manager: %v", dep.Spec.Template.Spec.ServiceAccountName, err)
	}
	var svc corev1.Service
	if err := c.Get(ctx, client.ObjectKey{Namespace: "crmlens-system", Name: "crmlens-controller-manager-metrics-service"}, &svc); err != nil {
		t.Fatal(err)
	}
	for k, v := range svc.Spec.Selector {
		if dep.Spec.Template.Labels[k] != v {
			t.Errorf("metrics Service selects %s=%s, the manager pods have %q", k, v, dep.Spec.Template.Labels[k])
		}
	}
	if len(svc.Spec.Ports) != 1 || svc.Spec.Ports[0].Name != "https" || svc.Spec.Ports[0].TargetPort.IntValue() != 8443 {
		t.Errorf("metrics Service ports %+v, want https → 8443", svc.Spec.Ports)
	}

	// A pod made from the Deployment's template is admitted under enforce=restricted.
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "crmlens-system", Name: "manager-template-check"}, Spec: dep.Spec.Template.Spec}
	if err := c.Create(ctx, pod); err != nil {
		t.Errorf("a pod of the manager's template is refused in crmlens-system: %v", err)
	}

	// Applying the same install again changes nothing (GitOps re-sync).
	before := map[string]string{}
	for _, o := range objs {
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(o.GroupVersionKind())
		_ = c.Get(ctx, client.ObjectKeyFromObject(o), got)
		before[o.GetKind()+"/"+o.GetName()] = got.GetResourceVersion()
	}
	apply(ctx, t, c, render(t, "config/default"))
	for _, o := range objs {
		got := &unstructured.Unstructured{}
		got.SetGroupVersionKind(o.GroupVersionKind())
		_ = c.Get(ctx, client.ObjectKeyFromObject(o), got)
		if rv := got.GetResourceVersion(); rv != before[o.GetKind()+"/"+o.GetName()] {
			t.Errorf("re-applying the install changed %s %s", o.GetKind(), o.GetName())
		}
	}
}

func checkManager(t *testing.T, dep *appsv1.Deployment) {
	t.Helper()
	spec := dep.Spec.Template.Spec
	if len(spec.Containers) != 1 {
		t.Fatalf("manager pod has %d containers, want 1", len(spec.Containers))
	}
	m := spec.Containers[0]
	for name, p := range map[string]*corev1.Probe{"liveness": m.LivenessProbe, "readiness": m.ReadinessProbe} {
		if p == nil || p.HTTPGet == nil || p.HTTPGet.Port.IntValue() != 8081 {
			t.Errorf("%s probe %+v, want an HTTP probe on the health port 8081", name, p)
		}
	}
	if m.LivenessProbe != nil && m.LivenessProbe.HTTPGet != nil && m.LivenessProbe.HTTPGet.Path != "/healthz" {
		t.Errorf("liveness path %q, want /healthz", m.LivenessProbe.HTTPGet.Path)
	}
	if m.ReadinessProbe != nil && m.ReadinessProbe.HTTPGet != nil && m.ReadinessProbe.HTTPGet.Path != "/readyz" {
		t.Errorf("readiness path %q, want /readyz", m.ReadinessProbe.HTTPGet.Path)
	}
	if m.Resources.Requests.Cpu().IsZero() || m.Resources.Requests.Memory().IsZero() || m.Resources.Limits.Memory().IsZero() {
		t.Errorf("resources %+v: want cpu and memory requests and a memory limit", m.Resources)
	}
	if !slices.Contains(m.Args, "--leader-elect") && !slices.Contains(m.Args, "--leader-elect=true") {
		t.Errorf("manager args %v lack --leader-elect", m.Args)
	}
	psc := spec.SecurityContext
	if psc == nil || psc.RunAsNonRoot == nil || !*psc.RunAsNonRoot || psc.SeccompProfile == nil || psc.SeccompProfile.Type != corev1.SeccompProfileTypeRuntimeDefault {
		t.Errorf("pod security context %+v: want runAsNonRoot and RuntimeDefault seccomp", psc)
	}
	sc := m.SecurityContext
	if sc == nil || sc.AllowPrivilegeEscalation == nil || *sc.AllowPrivilegeEscalation ||
		sc.ReadOnlyRootFilesystem == nil || !*sc.ReadOnlyRootFilesystem ||
		sc.Capabilities == nil || !slices.Equal(sc.Capabilities.Drop, []corev1.Capability{"ALL"}) || len(sc.Capabilities.Add) > 0 {
		t.Errorf("container security context %+v: want no privilege escalation, read-only root, drop ALL", sc)
	}
	image := ""
	for _, e := range m.Env {
		if e.Name == "CRMLENS_IMAGE" {
			image = e.Value
		}
	}
	if image != m.Image {
		t.Errorf("CRMLENS_IMAGE %q differs from the manager image %q: Jobs would run another build", image, m.Image)
	}
	if strings.HasSuffix(m.Image, ":latest") && !strings.HasPrefix(m.Image, "ghcr.io/crmlens/crmlens") {
		t.Errorf("unexpected image %q", m.Image)
	}
}

// jobPodSpec is the pod shape of analysis Jobs (controllers' buildJob):
// non-root UID 65532, read-only root filesystem, no capabilities, no
// privilege escalation, RuntimeDefault seccomp, /tmp as an emptyDir.
func jobPodSpec() corev1.PodSpec {
	yes, no := true, false
	uid := int64(65532)
	return corev1.PodSpec{
		RestartPolicy:      corev1.RestartPolicyNever,
		ServiceAccountName: "crmlens-runner",
		SecurityContext: &corev1.PodSecurityContext{
			RunAsNonRoot: &yes, RunAsUser: &uid, RunAsGroup: &uid,
			SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		Containers: []corev1.Container{{
			Name: "run", Image: "ghcr.io/crmlens/crmlens:latest", Args: []string{"run"},
			SecurityContext: &corev1.SecurityContext{
				AllowPrivilegeEscalation: &no, ReadOnlyRootFilesystem: &yes, RunAsNonRoot: &yes,
				Capabilities:   &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
				SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
			},
			VolumeMounts: []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}},
		}},
		Volumes: []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
	}
}

// TestJobPodsPassRestrictedPodSecurity creates the Job pod shape in a
// namespace labelled pod-security.kubernetes.io/enforce=restricted: it must
// be admitted, and each weakening of it must be refused, which proves the
// API server really enforces the profile.
func TestJobPodsPassRestrictedPodSecurity(t *testing.T) {
	c, warn := startAPI(t)
	ctx := context.Background()
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: "crm-jobs", Labels: map[string]string{
		"pod-security.kubernetes.io/enforce": "restricted",
		"pod-security.kubernetes.io/warn":    "restricted",
	}}}
	if err := c.Create(ctx, ns); err != nil {
		t.Fatal(err)
	}

	job := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "crm-jobs", Name: "model-run-1"},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: jobPodSpec()}}}
	if err := c.Create(ctx, job); err != nil {
		t.Fatalf("Job refused: %v", err)
	}
	if w := warn.take(); len(w) > 0 {
		t.Errorf("PodSecurity warned about the Job template: %v", w)
	}
	pod := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "crm-jobs", Name: "model-run-1-pod"}, Spec: jobPodSpec()}
	if err := c.Create(ctx, pod); err != nil {
		t.Fatalf("the Job's pod is refused under enforce=restricted: %v", err)
	}

	weaken := []struct {
		name string
		mut  func(*corev1.PodSpec)
	}{
		{"runs as root", func(s *corev1.PodSpec) {
			root, no := int64(0), false
			s.SecurityContext.RunAsUser, s.SecurityContext.RunAsNonRoot = &root, &no
			s.Containers[0].SecurityContext.RunAsNonRoot = &no
		}},
		{"keeps capabilities", func(s *corev1.PodSpec) { s.Containers[0].SecurityContext.Capabilities = nil }},
		{"adds NET_RAW", func(s *corev1.PodSpec) {
			s.Containers[0].SecurityContext.Capabilities.Add = []corev1.Capability{"NET_RAW"}
		}},
		{"allows privilege escalation", func(s *corev1.PodSpec) {
			yes := true
			s.Containers[0].SecurityContext.AllowPrivilegeEscalation = &yes
		}},
		{"no seccomp profile", func(s *corev1.PodSpec) {
			s.SecurityContext.SeccompProfile, s.Containers[0].SecurityContext.SeccompProfile = nil, nil
		}},
		{"host path volume", func(s *corev1.PodSpec) {
			s.Volumes[0].VolumeSource = corev1.VolumeSource{HostPath: &corev1.HostPathVolumeSource{Path: "/var"}}
		}},
	}
	for i, tt := range weaken {
		t.Run(tt.name, func(t *testing.T) {
			spec := jobPodSpec()
			tt.mut(&spec)
			p := &corev1.Pod{ObjectMeta: metav1.ObjectMeta{Namespace: "crm-jobs", Name: fmt.Sprintf("weak-%d", i)}, Spec: spec}
			err := c.Create(ctx, p)
			if err == nil || !apierrors.IsForbidden(err) || !strings.Contains(err.Error(), `violates PodSecurity "restricted`) {
				t.Errorf("weakened pod: err = %v, want a PodSecurity refusal", err)
			}
			j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: "crm-jobs", Name: fmt.Sprintf("weak-%d", i)},
				Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: spec}}}
			if err := c.Create(ctx, j); err != nil {
				t.Fatalf("weakened Job: %v", err)
			}
			w := strings.Join(warn.take(), "\n")
			if !strings.Contains(w, `would violate PodSecurity "restricted`) {
				t.Errorf("weakened Job template drew no PodSecurity warning (got %q)", w)
			}
		})
	}
}
