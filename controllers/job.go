package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"sort"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/runplan"
)

// annotationCreated orders an owner's Jobs precisely.
const annotationCreated = "crmlens.io/created"

// jobName builds a DNS-1123 name of at most 63 characters from the owner
// name and a run suffix, hashing long owner names so names stay
// deterministic and unique.
func jobName(owner, suffix string) string {
	name := owner + "-" + suffix
	if len(name) <= validation.DNS1123LabelMaxLength {
		return name
	}
	h := sha256.Sum256([]byte(owner))
	keep := validation.DNS1123LabelMaxLength - len(suffix) - 1 - 9
	return strings.TrimRight(owner[:keep], "-.") + "-" + hex.EncodeToString(h[:])[:8] + "-" + suffix
}

func shortHash(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])[:10]
}

func ownerLabels(kind, name string) map[string]string {
	if len(name) > 63 {
		name = strings.TrimRight(name[:63], "-.")
	}
	return map[string]string{
		runplan.LabelManagedBy: runplan.ManagedByValue,
		runplan.LabelOwnerKind: kind,
		runplan.LabelOwnerName: name,
	}
}

// jobSpec holds what a Job needs besides its plan.
type jobSpec struct {
	owner    client.Object
	kind     string
	name     string
	plan     string
	secrets  []secretUse
	settings *crmv1.JobSettings
	trigger  string
	annots   map[string]string
}

// buildJob renders the analysis Job: `crmlens run` from the operator image,
// the plan in an environment variable, credentials only through
// secretKeyRef, restricted pod security.
func (c Config) buildJob(s jobSpec) *batchv1.Job {
	labels := ownerLabels(s.kind, s.owner.GetName())
	labels[runplan.LabelRun] = s.name
	// Creation order at sub-second precision: creationTimestamp has whole
	// seconds, and two runs of one owner may start within the same second.
	// This orders Jobs that exist, so it is the wall clock even when the
	// reconcilers run on a test clock (a frozen one would tie every Job).
	annots := map[string]string{runplan.AnnotationTrigger: s.trigger, annotationCreated: clock.RealClock{}.Now().UTC().Format(time.RFC3339Nano)}
	for k, v := range s.annots {
		annots[k] = v
	}
	set := s.settings
	if set == nil {
		set = &crmv1.JobSettings{}
	}
	backoff := int32(2)
	if set.BackoffLimit != nil {
		backoff = *set.BackoffLimit
	}
	deadline := int64(3600)
	if set.ActiveDeadlineSeconds != nil {
		deadline = *set.ActiveDeadlineSeconds
	}
	sa := c.serviceAccount(set)
	image := c.Image
	if image == "" {
		image = DefaultImage
	}
	yes, no := true, false
	env := []corev1.EnvVar{
		{Name: runplan.EnvVar, Value: s.plan},
		{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
	}
	env = append(env, secretEnv(s.secrets)...)
	container := corev1.Container{
		Name:  "run",
		Image: image,
		// The image's entrypoint is the crmlens binary.
		Args: []string{"run"},
		Env:  env,
		SecurityContext: &corev1.SecurityContext{
			AllowPrivilegeEscalation: &no,
			ReadOnlyRootFilesystem:   &yes,
			RunAsNonRoot:             &yes,
			Capabilities:             &corev1.Capabilities{Drop: []corev1.Capability{"ALL"}},
			SeccompProfile:           &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
		},
		VolumeMounts:             []corev1.VolumeMount{{Name: "tmp", MountPath: "/tmp"}},
		TerminationMessagePolicy: corev1.TerminationMessageReadFile,
	}
	container.Resources = jobResources(set.Resources)
	uid := int64(65532)
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: s.owner.GetNamespace(), Name: s.name, Labels: labels, Annotations: annots},
		Spec: batchv1.JobSpec{
			BackoffLimit:            &backoff,
			ActiveDeadlineSeconds:   &deadline,
			TTLSecondsAfterFinished: set.TTLSecondsAfterFinished,
			Template: corev1.PodTemplateSpec{
				ObjectMeta: metav1.ObjectMeta{Labels: labels},
				Spec: corev1.PodSpec{
					RestartPolicy:      corev1.RestartPolicyNever,
					ServiceAccountName: sa,
					NodeSelector:       set.NodeSelector,
					Tolerations:        set.Tolerations,
					SecurityContext: &corev1.PodSecurityContext{
						RunAsNonRoot:   &yes,
						RunAsUser:      &uid,
						RunAsGroup:     &uid,
						SeccompProfile: &corev1.SeccompProfile{Type: corev1.SeccompProfileTypeRuntimeDefault},
					},
					Containers: []corev1.Container{container},
					Volumes: []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{
						// Bounded by the container's ephemeral-storage limit too.
						SizeLimit: ptrQuantity(container.Resources.Limits[corev1.ResourceEphemeralStorage]),
					}}}},
				},
			},
		},
	}
	return job
}

// jobState classifies a Job.
type jobState int

const (
	jobActive jobState = iota
	jobSucceeded
	jobFailed
)

func stateOf(j *batchv1.Job) (jobState, *batchv1.JobCondition) {
	for i := range j.Status.Conditions {
		c := &j.Status.Conditions[i]
		if c.Status != corev1.ConditionTrue {
			continue
		}
		switch c.Type {
		case batchv1.JobComplete:
			return jobSucceeded, c
		case batchv1.JobFailed:
			return jobFailed, c
		}
	}
	return jobActive, nil
}

func findJob(jobs []batchv1.Job, name string) *batchv1.Job {
	for i := range jobs {
		if jobs[i].Name == name {
			return &jobs[i]
		}
	}
	return nil
}

func isFinished(j *batchv1.Job) bool {
	st, _ := stateOf(j)
	return st != jobActive
}

// ownedJobs lists the Jobs the object controls, oldest first.
func ownedJobs(ctx context.Context, c client.Client, owner client.Object) ([]batchv1.Job, error) {
	var list batchv1.JobList
	if err := c.List(ctx, &list, client.InNamespace(owner.GetNamespace()), client.MatchingFields{jobOwnerIndex: string(owner.GetUID())}); err != nil {
		return nil, fmt.Errorf("list Jobs: %w", err)
	}
	out := list.Items
	created := func(j *batchv1.Job) time.Time {
		if t, err := time.Parse(time.RFC3339Nano, j.Annotations[annotationCreated]); err == nil {
			return t
		}
		return j.CreationTimestamp.Time
	}
	sort.Slice(out, func(i, k int) bool {
		a, b := created(&out[i]), created(&out[k])
		if !a.Equal(b) {
			return a.Before(b)
		}
		return out[i].Name < out[k].Name
	})
	return out, nil
}

// pruneJobs deletes finished Jobs beyond the newest keepOK successful and
// keepFailed failed ones (with their pods).
func pruneJobs(ctx context.Context, c client.Client, jobs []batchv1.Job, keepOK, keepFailed int) []string {
	var ok, failed []*batchv1.Job
	for i := range jobs {
		switch st, _ := stateOf(&jobs[i]); st {
		case jobSucceeded:
			ok = append(ok, &jobs[i])
		case jobFailed:
			failed = append(failed, &jobs[i])
		}
	}
	var deleted []string
	del := func(list []*batchv1.Job, keep int) {
		for i := 0; i < len(list)-keep; i++ {
			if err := c.Delete(ctx, list[i], client.PropagationPolicy(metav1.DeletePropagationBackground)); err == nil || apierrors.IsNotFound(err) {
				deleted = append(deleted, list[i].Name)
			}
		}
	}
	del(ok, keepOK)
	del(failed, keepFailed)
	return deleted
}

// jobDuration is the wall time of a Job, until now while it runs.
func jobDuration(j *batchv1.Job, now time.Time) float64 {
	if j.Status.StartTime == nil {
		return 0
	}
	end := now
	if j.Status.CompletionTime != nil {
		end = j.Status.CompletionTime.Time
	}
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
			end = c.LastTransitionTime.Time
		}
	}
	return end.Sub(j.Status.StartTime.Time).Seconds()
}

// jobFinishTime is when a finished Job completed or failed (now if unknown).
func jobFinishTime(j *batchv1.Job, now time.Time) time.Time {
	if j.Status.CompletionTime != nil {
		return j.Status.CompletionTime.Time
	}
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue && !c.LastTransitionTime.IsZero() {
			return c.LastTransitionTime.Time
		}
	}
	return now
}
