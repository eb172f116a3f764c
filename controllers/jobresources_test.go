package controllers

import (
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	"k8s.io/apimachinery/pkg/api/resource"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

func rl(kv ...string) corev1.ResourceList {
	out := corev1.ResourceList{}
	for i := 0; i < len(kv); i += 2 {
		out[corev1.ResourceName(kv[i])] = resource.MustParse(kv[i+1])
	}
	return out
}

// Every key the user leaves unset gets the documented default; a default
// never makes a request exceed its limit.
func TestJobResourcesDefaults(t *testing.T) {
	defaults := corev1.ResourceRequirements{
		Requests: rl("cpu", "100m", "memory", "256Mi", "ephemeral-storage", "64Mi"),
		Limits:   rl("cpu", "2", "memory", "1Gi", "ephemeral-storage", "1Gi"),
	}
	cases := []struct {
		name string
		user *corev1.ResourceRequirements
		want corev1.ResourceRequirements
	}{
		{"nothing set: the documented defaults", nil, defaults},
		{"user's keys win", &corev1.ResourceRequirements{Requests: rl("cpu", "500m"), Limits: rl("memory", "4Gi")},
			corev1.ResourceRequirements{Requests: rl("cpu", "500m", "memory", "256Mi", "ephemeral-storage", "64Mi"),
				Limits: rl("cpu", "2", "memory", "4Gi", "ephemeral-storage", "1Gi")}},
		{"big request: default limit raised to it", &corev1.ResourceRequirements{Requests: rl("memory", "8Gi", "cpu", "4")},
			corev1.ResourceRequirements{Requests: rl("cpu", "4", "memory", "8Gi", "ephemeral-storage", "64Mi"),
				Limits: rl("cpu", "4", "memory", "8Gi", "ephemeral-storage", "1Gi")}},
		{"small limit: default request lowered to it", &corev1.ResourceRequirements{Limits: rl("memory", "128Mi", "cpu", "50m", "ephemeral-storage", "32Mi")},
			corev1.ResourceRequirements{Requests: rl("cpu", "50m", "memory", "128Mi", "ephemeral-storage", "32Mi"),
				Limits: rl("cpu", "50m", "memory", "128Mi", "ephemeral-storage", "32Mi")}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			got := jobResources(c.user)
			if !equality.Semantic.DeepEqual(got, c.want) {
				t.Errorf("got\n%v\nwant\n%v", got, c.want)
			}
			for k, req := range got.Requests {
				if lim, ok := got.Limits[k]; ok && req.Cmp(lim) > 0 {
					t.Errorf("%s request %s > limit %s", k, req.String(), lim.String())
				}
			}
		})
	}
}

// The rendered Job pod carries the defaults, a bounded /tmp and explicit
// non-root IDs ≥ 10000 (kube-score's container-security-context-user-group-id).
func TestJobPodHardenedByDefault(t *testing.T) {
	owner := &crmv1.SegmentationModel{}
	owner.Namespace, owner.Name = "shop", "rfm"
	job := Config{Image: "img:1"}.buildJob(jobSpec{owner: owner, kind: kindModel, name: "rfm-g1", plan: "e30=", trigger: "generation"})
	pod := job.Spec.Template.Spec
	res := pod.Containers[0].Resources
	for _, k := range []corev1.ResourceName{corev1.ResourceCPU, corev1.ResourceMemory, corev1.ResourceEphemeralStorage} {
		if _, ok := res.Requests[k]; !ok {
			t.Errorf("no %s request", k)
		}
		if _, ok := res.Limits[k]; !ok {
			t.Errorf("no %s limit", k)
		}
	}
	if sl := pod.Volumes[0].EmptyDir.SizeLimit; sl == nil || sl.Cmp(resource.MustParse("1Gi")) != 0 {
		t.Errorf("/tmp sizeLimit %v, want 1Gi", sl)
	}
	// config/runner's NetworkPolicy selects Job pods by this label.
	if job.Spec.Template.Labels["app.kubernetes.io/managed-by"] != "crmlens" {
		t.Errorf("Job pod labels %v lack app.kubernetes.io/managed-by=crmlens", job.Spec.Template.Labels)
	}
	sc := pod.SecurityContext
	if sc.RunAsUser == nil || *sc.RunAsUser < 10000 || sc.RunAsGroup == nil || *sc.RunAsGroup < 10000 {
		t.Errorf("runAsUser/runAsGroup %v/%v, want ≥ 10000", sc.RunAsUser, sc.RunAsGroup)
	}
}
