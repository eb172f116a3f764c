package controllers

import (
	"crypto/sha256"
	"encoding/hex"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/util/validation"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/schedule"
)

// Config is what the analysis reconcilers need from the manager.
type Config struct {
	// Image is the operator's own image; Jobs run `crmlens run` from it.
	Image string
	// RunnerServiceAccount is the Jobs' ServiceAccount unless spec.job names one.
	RunnerServiceAccount string
	// Clock tells the time (schedules, refresh); schedule.RealClock{} when nil.
	Clock schedule.Clock
}

func (c Config) now() metav1.Time {
	if c.Clock == nil {
		return metav1.Now()
	}
	return metav1.NewTime(c.Clock.Now())
}

// annotationCreated orders an owner's Jobs precisely.
const annotationCreated = "crmlens.io/created"

// Defaults for Config.
const (
	DefaultImage                = "ghcr.io/crmlens/crmlens:latest"
	DefaultRunnerServiceAccount = "crmlens-runner"
)

// Reasons used in conditions and Events.
const (
	ReasonSucceeded       = "Succeeded"
	ReasonJobRunning      = "JobRunning"
	ReasonJobCreated      = "JobCreated"
	ReasonRunFailed       = "RunFailed"
	ReasonNoResultYet     = "NoResultYet"
	ReasonInvalidSchedule = "InvalidSchedule"
	ReasonScheduled       = "Scheduled"
	ReasonSuspended       = "Suspended"
	ReasonAlertsFiring    = "AlertsFiring"
	ReasonNoAlerts        = "NoAlertsFiring"
	ReasonIdle            = "Idle"
)

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
	annots := map[string]string{runplan.AnnotationTrigger: s.trigger, annotationCreated: time.Now().UTC().Format(time.RFC3339Nano)}
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
	sa := set.ServiceAccountName
	if sa == "" {
		sa = c.RunnerServiceAccount
	}
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
	if set.Resources != nil {
		container.Resources = *set.Resources
	}
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
					Volumes:    []corev1.Volume{{Name: "tmp", VolumeSource: corev1.VolumeSource{EmptyDir: &corev1.EmptyDirVolumeSource{}}}},
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

// setCondition sets a condition with the object's generation.
func setCondition(conds *[]metav1.Condition, gen int64, typ string, status metav1.ConditionStatus, reason, msg string) {
	if len(msg) > 1024 {
		msg = msg[:1021] + "..."
	}
	meta.SetStatusCondition(conds, metav1.Condition{Type: typ, Status: status, Reason: reason, Message: msg, ObservedGeneration: gen})
}

func condTrue(conds []metav1.Condition, typ string) bool {
	return meta.IsStatusConditionTrue(conds, typ)
}

// effects are side effects (Events, notifications, counters) of a status
// change, run only after that status was written.
type effects []func()

func (e *effects) add(f func()) { *e = append(*e, f) }

func (e effects) run() {
	for _, f := range e {
		f()
	}
}

// requeueOnConflict turns an optimistic-lock conflict (a stale cached
// object) into a quiet retry; other errors go to the controller's backoff.
func requeueOnConflict(err error) (ctrl.Result, error) {
	if apierrors.IsConflict(err) {
		return ctrl.Result{Requeue: true}, nil
	}
	return ctrl.Result{}, err
}
