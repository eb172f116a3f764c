package controllers

import (
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/resource"
)

// DefaultJobResources are the analysis container's requests and limits for
// every key spec.job.resources leaves unset, so a namespace ResourceQuota
// that demands requests and limits (cpu, memory, ephemeral-storage) admits
// the Job pods. Documented in docs/operations.md ("Job resources").
//
// Memory grows with the number of customers: RFM and KPI over a million
// customers peaked at 625 MiB RSS (docs/benchmarks.md), under the 1 GiB limit.
var DefaultJobResources = corev1.ResourceRequirements{
	Requests: corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("100m"),
		corev1.ResourceMemory:           resource.MustParse("256Mi"),
		corev1.ResourceEphemeralStorage: resource.MustParse("64Mi"),
	},
	Limits: corev1.ResourceList{
		corev1.ResourceCPU:              resource.MustParse("2"),
		corev1.ResourceMemory:           resource.MustParse("1Gi"),
		corev1.ResourceEphemeralStorage: resource.MustParse("1Gi"),
	},
}

// jobResources merges the user's requirements over the defaults key by key.
// A filled-in default never contradicts what the user set: a default request
// is lowered to the user's limit and a default limit raised to the user's
// request, so the result always passes validation (request ≤ limit).
func jobResources(user *corev1.ResourceRequirements) corev1.ResourceRequirements {
	out := corev1.ResourceRequirements{Requests: corev1.ResourceList{}, Limits: corev1.ResourceList{}}
	if user != nil {
		out.Claims = user.Claims
		for k, v := range user.Requests {
			out.Requests[k] = v.DeepCopy()
		}
		for k, v := range user.Limits {
			out.Limits[k] = v.DeepCopy()
		}
	}
	for k, def := range DefaultJobResources.Requests {
		if _, set := out.Requests[k]; set {
			continue
		}
		v := def.DeepCopy()
		if lim, ok := out.Limits[k]; ok && lim.Cmp(v) < 0 {
			v = lim.DeepCopy()
		}
		out.Requests[k] = v
	}
	for k, def := range DefaultJobResources.Limits {
		if _, set := out.Limits[k]; set {
			continue
		}
		v := def.DeepCopy()
		if req := out.Requests[k]; req.Cmp(v) > 0 {
			v = req.DeepCopy()
		}
		out.Limits[k] = v
	}
	return out
}

func ptrQuantity(q resource.Quantity) *resource.Quantity { return &q }
