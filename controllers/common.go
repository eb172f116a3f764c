package controllers

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
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
	// ReasonServiceAccountNotFound: the runner ServiceAccount a Job would
	// run as does not exist in the namespace.
	ReasonServiceAccountNotFound = "ServiceAccountNotFound"
	// ReasonReferencesFound clears a schedule's Degraded once the objects
	// it names exist again.
	ReasonReferencesFound = "ReferencesFound"
)

// serviceAccountRetry is how often a run blocked on a missing ServiceAccount
// looks again (ServiceAccounts are not watched: the manager may only get them).
const serviceAccountRetry = time.Minute

// serviceAccount is the ServiceAccount a Job with these settings runs as
// ("" = the namespace's default, which Kubernetes itself maintains).
func (c Config) serviceAccount(set *crmv1.JobSettings) string {
	if set != nil && set.ServiceAccountName != "" {
		return set.ServiceAccountName
	}
	return c.RunnerServiceAccount
}

// check fails with a MissingRefError when the runner
// ServiceAccount is absent: a Job would otherwise create no pod and sit
// until its deadline. One uncached GET before creating a Job, unless the
// ServiceAccount was found within serviceAccountTTL.
func (s *seenAccounts) check(ctx context.Context, r client.Reader, ns, name string, now time.Time) error {
	if name == "" || r == nil {
		return nil
	}
	key := types.NamespacedName{Namespace: ns, Name: name}
	if s.recent(key, now) {
		return nil
	}
	var sa corev1.ServiceAccount
	if err := r.Get(ctx, key, &sa); err != nil {
		if apierrors.IsNotFound(err) {
			return &MissingRefError{Reason: ReasonServiceAccountNotFound, Msg: fmt.Sprintf(
				"ServiceAccount %q not found in namespace %s: the analysis Job cannot start. Apply config/runner in this namespace (set its namespace in config/runner/kustomization.yaml, then kubectl apply -k config/runner), or set spec.job.serviceAccountName to an existing ServiceAccount", name, ns)}
		}
		return fmt.Errorf("get ServiceAccount %q: %w", name, err)
	}
	s.found(key, now)
	return nil
}

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

// eventMemo remembers, per object and kind of Event, the last occurrence
// an Event was emitted for, so an Event that describes one occurrence (a
// schedule slot) is emitted once however often the object is reconciled. It
// lives in memory: a new manager process may emit one of them once more.
type eventMemo struct {
	mu   sync.Mutex
	last map[types.NamespacedName]map[string]string
}

// first reports whether occurrence is new for (obj, kind), and records it.
func (e *eventMemo) first(obj types.NamespacedName, kind, occurrence string) bool {
	e.mu.Lock()
	defer e.mu.Unlock()
	if e.last == nil {
		e.last = map[types.NamespacedName]map[string]string{}
	}
	m := e.last[obj]
	if m == nil {
		m = map[string]string{}
		e.last[obj] = m
	}
	if prev, ok := m[kind]; ok && prev == occurrence {
		return false
	}
	m[kind] = occurrence
	return true
}

// forget drops what is remembered of a deleted object.
func (e *eventMemo) forget(obj types.NamespacedName) {
	e.mu.Lock()
	delete(e.last, obj)
	e.mu.Unlock()
}
