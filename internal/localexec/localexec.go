// Package localexec is a development-only Job executor: it watches the
// operator's batch/v1 Jobs and runs each Job's first container as a local
// process, then records the outcome in the Job's status the way the Job
// controller would. It lets envtest-based tests and `make demo` exercise the
// same Job path as a cluster, without a kubelet. It is enabled by a manager
// flag and is never on by default.
//
// What it honours: the container's command and args (the image is ignored; a
// command "crmlens", or none at all, runs Binary — the current executable),
// env with value, secretKeyRef, configMapKeyRef and fieldRef
// (metadata.name/namespace/uid, spec.serviceAccountName), envFrom, a fresh
// temporary working directory per attempt, activeDeadlineSeconds (reason
// DeadlineExceeded) and backoffLimit (reason BackoffLimitExceeded).
//
// Exactly-once: attempts in flight are tracked in memory. A Job found with
// status.startTime and active > 0 that this process is not running was lost
// by an earlier executor (a manager restart): like a pod that vanished with
// its node, the lost attempt is counted as failed and the Job is retried only
// while failed ≤ backoffLimit. A finished Job (Complete or Failed) is never
// run again.
package localexec

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/go-logr/logr"
	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/util/retry"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
)

// DefaultSelector picks the Jobs the operator creates.
const DefaultSelector = "app.kubernetes.io/managed-by=crmlens"

// Job condition reasons, as the Job controller uses them.
const (
	ReasonCompleted            = "CompletionsReached"
	ReasonBackoffLimitExceeded = "BackoffLimitExceeded"
	ReasonDeadlineExceeded     = "DeadlineExceeded"
)

// Executor runs Jobs locally. Register it with SetupWithManager.
type Executor struct {
	// Client writes Job status; Reader reads Secrets and ConfigMaps straight
	// from the API (so the manager need not cache every Secret).
	Client client.Client
	Reader client.Reader
	// Binary replaces the command "crmlens" (and an empty command); default
	// os.Executable().
	Binary string
	// Env is added to every process after the container's env, e.g. the
	// KUBECONFIG the runner should use outside a pod.
	Env []string
	// Selector restricts which Jobs run (default DefaultSelector).
	Selector labels.Selector
	// RetryDelay is the wait before a retry (default 1 s; the Job controller
	// waits 10 s doubling, which only slows tests and demos down).
	RetryDelay time.Duration
	// MaxParallel bounds concurrently running processes (default 2).
	MaxParallel int
	// LogDir keeps each attempt's combined output as <ns>_<job>_<n>.log when set.
	LogDir string
	// Now is the clock for status timestamps (default time.Now).
	Now func() time.Time

	mu       sync.Mutex
	inflight map[types.UID]bool
	slots    chan struct{}
	wg       sync.WaitGroup
}

// SetupWithManager registers the executor as a controller on batch/v1 Jobs.
func (e *Executor) SetupWithManager(mgr ctrl.Manager) error {
	if e.Client == nil {
		e.Client = mgr.GetClient()
	}
	if e.Reader == nil {
		e.Reader = mgr.GetAPIReader()
	}
	if e.Selector == nil {
		sel, err := labels.Parse(DefaultSelector)
		if err != nil {
			return fmt.Errorf("local executor selector: %w", err)
		}
		e.Selector = sel
	}
	if err := e.init(); err != nil {
		return err
	}
	sel := e.Selector
	return ctrl.NewControllerManagedBy(mgr).
		Named("localexec").
		For(&batchv1.Job{}, builder.WithPredicates(predicate.NewPredicateFuncs(func(o client.Object) bool {
			return sel.Matches(labels.Set(o.GetLabels()))
		}))).
		Complete(e)
}

func (e *Executor) init() error {
	if e.Binary == "" {
		b, err := os.Executable()
		if err != nil {
			return fmt.Errorf("local executor: find own executable: %w", err)
		}
		e.Binary = b
	}
	if e.RetryDelay <= 0 {
		e.RetryDelay = time.Second
	}
	if e.MaxParallel <= 0 {
		e.MaxParallel = 2
	}
	if e.Now == nil {
		e.Now = time.Now
	}
	e.inflight = map[types.UID]bool{}
	e.slots = make(chan struct{}, e.MaxParallel)
	return nil
}

// Wait blocks until every attempt started by the executor has finished.
func (e *Executor) Wait() { e.wg.Wait() }

// Reconcile starts a Job that is neither finished nor already running here.
func (e *Executor) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var job batchv1.Job
	if err := e.Client.Get(ctx, req.NamespacedName, &job); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if finished(&job) || job.DeletionTimestamp != nil || (job.Spec.Suspend != nil && *job.Spec.Suspend) {
		return ctrl.Result{}, nil
	}
	e.mu.Lock()
	if e.inflight[job.UID] {
		e.mu.Unlock()
		return ctrl.Result{}, nil
	}
	e.inflight[job.UID] = true
	e.mu.Unlock()

	logger := log.FromContext(ctx).WithValues("job", req.NamespacedName)
	// Runs outlive the reconcile; they stop with the manager's context.
	runCtx := logr.NewContext(context.WithoutCancel(ctx), logger)
	e.wg.Add(1)
	go func() {
		defer e.wg.Done()
		defer func() {
			e.mu.Lock()
			delete(e.inflight, job.UID)
			e.mu.Unlock()
		}()
		if err := e.run(runCtx, req.NamespacedName); err != nil {
			logger.Error(err, "local job execution")
		}
	}()
	return ctrl.Result{}, nil
}

func finished(j *batchv1.Job) bool {
	for _, c := range j.Status.Conditions {
		if (c.Type == batchv1.JobComplete || c.Type == batchv1.JobFailed) && c.Status == corev1.ConditionTrue {
			return true
		}
	}
	return false
}

// run executes attempts until success, backoff exhaustion or the deadline.
func (e *Executor) run(ctx context.Context, key types.NamespacedName) error {
	logger := logr.FromContextOrDiscard(ctx)
	var job batchv1.Job
	if err := e.Client.Get(ctx, key, &job); err != nil {
		return client.IgnoreNotFound(err)
	}
	backoffLimit := int32(6)
	if job.Spec.BackoffLimit != nil {
		backoffLimit = *job.Spec.BackoffLimit
	}
	// Start (or take over after a restart) under conflict retry.
	var start time.Time
	var lostAttempt bool
	err := e.updateStatus(ctx, key, func(j *batchv1.Job) (bool, error) {
		if finished(j) {
			return false, errDone
		}
		if j.Status.StartTime == nil {
			j.Status.StartTime = &metav1.Time{Time: e.Now()}
		} else if j.Status.Active > 0 {
			// An earlier executor was running this attempt and is gone.
			j.Status.Failed++
			lostAttempt = true
		}
		j.Status.Active = 1
		start = j.Status.StartTime.Time
		return true, nil
	})
	if errors.Is(err, errDone) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("mark job started: %w", err)
	}
	if lostAttempt {
		logger.Info("attempt lost by an earlier executor counted as failed")
	}

	var deadline time.Time
	if job.Spec.ActiveDeadlineSeconds != nil {
		deadline = start.Add(time.Duration(*job.Spec.ActiveDeadlineSeconds) * time.Second)
	}
	for {
		// Read from the API, not the cache: the counts just written must count.
		if err := e.Reader.Get(ctx, key, &job); err != nil {
			return client.IgnoreNotFound(err)
		}
		if finished(&job) {
			return nil
		}
		if job.Status.Failed > backoffLimit {
			return e.fail(ctx, key, ReasonBackoffLimitExceeded, "Job has reached the specified backoff limit")
		}
		if !deadline.IsZero() && !e.Now().Before(deadline) {
			return e.fail(ctx, key, ReasonDeadlineExceeded, "Job was active longer than specified deadline")
		}
		attempt := int(job.Status.Failed) + 1
		code, runErr := e.attempt(ctx, &job, attempt, deadline)
		if runErr == nil && code == 0 {
			return e.succeed(ctx, key)
		}
		logger.Info("attempt failed", "attempt", attempt, "exitCode", code, "error", errString(runErr))
		if err := e.updateStatus(ctx, key, func(j *batchv1.Job) (bool, error) {
			if finished(j) {
				return false, errDone
			}
			j.Status.Failed++
			return true, nil
		}); err != nil {
			if errors.Is(err, errDone) {
				return nil
			}
			return fmt.Errorf("count failed attempt: %w", err)
		}
		if errors.Is(runErr, context.DeadlineExceeded) {
			return e.fail(ctx, key, ReasonDeadlineExceeded, "Job was active longer than specified deadline")
		}
		if job.Status.Failed+1 > backoffLimit {
			continue // the loop head records BackoffLimitExceeded
		}
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(e.RetryDelay):
		}
	}
}

var errDone = errors.New("job already finished")

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

// attempt runs the container once and returns its exit code.
func (e *Executor) attempt(ctx context.Context, job *batchv1.Job, n int, deadline time.Time) (int, error) {
	select {
	case e.slots <- struct{}{}:
	case <-ctx.Done():
		return -1, ctx.Err()
	}
	defer func() { <-e.slots }()

	if len(job.Spec.Template.Spec.Containers) == 0 {
		return -1, errors.New("pod template has no container")
	}
	c := job.Spec.Template.Spec.Containers[0]
	argv := append(append([]string{}, c.Command...), c.Args...)
	if len(c.Command) == 0 || filepath.Base(c.Command[0]) == "crmlens" {
		rest := argv
		if len(c.Command) > 0 {
			rest = argv[1:]
		}
		argv = append([]string{e.Binary}, rest...)
	}
	if len(argv) == 0 {
		return -1, errors.New("container has neither command nor args")
	}
	env, err := e.resolveEnv(ctx, job, &c)
	if err != nil {
		// A pod whose env cannot be resolved never starts (CreateContainerConfigError);
		// count it as a failed attempt so backoffLimit ends it.
		return -1, fmt.Errorf("resolve container env: %w", err)
	}
	dir, err := os.MkdirTemp("", "crmlens-job-")
	if err != nil {
		return -1, fmt.Errorf("working directory: %w", err)
	}
	defer os.RemoveAll(dir)

	runCtx := ctx
	if !deadline.IsZero() {
		var cancel context.CancelFunc
		runCtx, cancel = context.WithDeadline(ctx, deadline)
		defer cancel()
	}
	cmd := exec.CommandContext(runCtx, argv[0], argv[1:]...)
	cmd.Dir = dir
	cmd.Env = append(append([]string{"HOME=" + dir, "TMPDIR=" + dir, "PATH=" + os.Getenv("PATH")}, env...), e.Env...)
	cmd.WaitDelay = 5 * time.Second
	var out bytes.Buffer
	var sink io.Writer = &out
	if e.LogDir != "" {
		f, err := os.Create(filepath.Join(e.LogDir, fmt.Sprintf("%s_%s_%d.log", job.Namespace, job.Name, n)))
		if err == nil {
			defer f.Close()
			sink = io.MultiWriter(&out, f)
		}
	}
	cmd.Stdout, cmd.Stderr = sink, sink
	err = cmd.Run()
	if runCtx.Err() == context.DeadlineExceeded {
		return -1, context.DeadlineExceeded
	}
	if err != nil {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			logr.FromContextOrDiscard(ctx).Info("process output (tail)", "output", tail(out.String(), 2000))
			return ee.ExitCode(), nil
		}
		return -1, fmt.Errorf("start %s: %w", filepath.Base(argv[0]), err)
	}
	return 0, nil
}

func tail(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[len(s)-n:]
}

// resolveEnv builds NAME=value pairs the way the kubelet does: envFrom first,
// then env (later entries win), $(VAR) references expanded from earlier ones.
func (e *Executor) resolveEnv(ctx context.Context, job *batchv1.Job, c *corev1.Container) ([]string, error) {
	vals := map[string]string{}
	var order []string
	set := func(k, v string) {
		if _, ok := vals[k]; !ok {
			order = append(order, k)
		}
		vals[k] = v
	}
	ns := job.Namespace
	for _, src := range c.EnvFrom {
		var data map[string]string
		switch {
		case src.SecretRef != nil:
			var s corev1.Secret
			if err := e.Reader.Get(ctx, client.ObjectKey{Namespace: ns, Name: src.SecretRef.Name}, &s); err != nil {
				if apierrors.IsNotFound(err) && src.SecretRef.Optional != nil && *src.SecretRef.Optional {
					continue
				}
				return nil, fmt.Errorf("envFrom secret %q: %w", src.SecretRef.Name, err)
			}
			data = map[string]string{}
			for k, v := range s.Data {
				data[k] = string(v)
			}
		case src.ConfigMapRef != nil:
			var cm corev1.ConfigMap
			if err := e.Reader.Get(ctx, client.ObjectKey{Namespace: ns, Name: src.ConfigMapRef.Name}, &cm); err != nil {
				if apierrors.IsNotFound(err) && src.ConfigMapRef.Optional != nil && *src.ConfigMapRef.Optional {
					continue
				}
				return nil, fmt.Errorf("envFrom configMap %q: %w", src.ConfigMapRef.Name, err)
			}
			data = cm.Data
		}
		keys := make([]string, 0, len(data))
		for k := range data {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			set(src.Prefix+k, data[k])
		}
	}
	for _, ev := range c.Env {
		if ev.ValueFrom == nil {
			set(ev.Name, expand(ev.Value, vals))
			continue
		}
		v, ok, err := e.valueFrom(ctx, job, ev.ValueFrom)
		if err != nil {
			return nil, fmt.Errorf("env %s: %w", ev.Name, err)
		}
		if ok {
			set(ev.Name, v)
		}
	}
	out := make([]string, 0, len(order))
	for _, k := range order {
		out = append(out, k+"="+vals[k])
	}
	return out, nil
}

func (e *Executor) valueFrom(ctx context.Context, job *batchv1.Job, src *corev1.EnvVarSource) (string, bool, error) {
	ns := job.Namespace
	switch {
	case src.SecretKeyRef != nil:
		ref := src.SecretKeyRef
		optional := ref.Optional != nil && *ref.Optional
		var s corev1.Secret
		if err := e.Reader.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.Name}, &s); err != nil {
			if apierrors.IsNotFound(err) && optional {
				return "", false, nil
			}
			return "", false, fmt.Errorf("secret %q: %w", ref.Name, err)
		}
		v, ok := s.Data[ref.Key]
		if !ok {
			if optional {
				return "", false, nil
			}
			return "", false, fmt.Errorf("secret %q has no key %q", ref.Name, ref.Key)
		}
		return string(v), true, nil
	case src.ConfigMapKeyRef != nil:
		ref := src.ConfigMapKeyRef
		optional := ref.Optional != nil && *ref.Optional
		var cm corev1.ConfigMap
		if err := e.Reader.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.Name}, &cm); err != nil {
			if apierrors.IsNotFound(err) && optional {
				return "", false, nil
			}
			return "", false, fmt.Errorf("configMap %q: %w", ref.Name, err)
		}
		v, ok := cm.Data[ref.Key]
		if !ok {
			if optional {
				return "", false, nil
			}
			return "", false, fmt.Errorf("configMap %q has no key %q", ref.Name, ref.Key)
		}
		return v, true, nil
	case src.FieldRef != nil:
		switch src.FieldRef.FieldPath {
		case "metadata.namespace":
			return ns, true, nil
		case "metadata.name":
			return job.Name + "-local", true, nil // the pod name stand-in
		case "metadata.uid":
			return string(job.UID), true, nil
		case "spec.serviceAccountName":
			return job.Spec.Template.Spec.ServiceAccountName, true, nil
		}
		return "", false, fmt.Errorf("fieldRef %q is not supported by the local executor", src.FieldRef.FieldPath)
	}
	return "", false, fmt.Errorf("unsupported valueFrom (resourceFieldRef and others are not available locally)")
}

// expand replaces $(VAR) with earlier values and $$ with $, like the kubelet.
func expand(s string, vals map[string]string) string {
	if !strings.Contains(s, "$") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '$' && i+1 < len(s) {
			if s[i+1] == '$' {
				b.WriteByte('$')
				i++
				continue
			}
			if s[i+1] == '(' {
				if end := strings.IndexByte(s[i+2:], ')'); end >= 0 {
					name := s[i+2 : i+2+end]
					if v, ok := vals[name]; ok {
						b.WriteString(v)
						i += 2 + end
						continue
					}
				}
			}
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

func (e *Executor) succeed(ctx context.Context, key types.NamespacedName) error {
	err := e.updateStatus(ctx, key, func(j *batchv1.Job) (bool, error) {
		if finished(j) {
			return false, errDone
		}
		now := metav1.NewTime(e.Now())
		if j.Status.StartTime != nil && now.Before(j.Status.StartTime) {
			now = *j.Status.StartTime
		}
		j.Status.Active = 0
		j.Status.Ready = ptrInt32(0)
		j.Status.Succeeded = 1
		j.Status.CompletionTime = &now
		// The API server requires SuccessCriteriaMet=True alongside Complete=True.
		setCond(j, batchv1.JobSuccessCriteriaMet, ReasonCompleted, "Reached expected number of succeeded pods", now)
		setCond(j, batchv1.JobComplete, ReasonCompleted, "Reached expected number of succeeded pods", now)
		return true, nil
	})
	if errors.Is(err, errDone) {
		return nil
	}
	return err
}

func (e *Executor) fail(ctx context.Context, key types.NamespacedName, reason, msg string) error {
	err := e.updateStatus(ctx, key, func(j *batchv1.Job) (bool, error) {
		if finished(j) {
			return false, errDone
		}
		now := metav1.NewTime(e.Now())
		j.Status.Active = 0
		j.Status.Ready = ptrInt32(0)
		// The API server requires FailureTarget=True alongside Failed=True.
		setCond(j, batchv1.JobFailureTarget, reason, msg, now)
		setCond(j, batchv1.JobFailed, reason, msg, now)
		return true, nil
	})
	if errors.Is(err, errDone) {
		return nil
	}
	return err
}

func ptrInt32(v int32) *int32 { return &v }

func setCond(j *batchv1.Job, t batchv1.JobConditionType, reason, msg string, now metav1.Time) {
	for i := range j.Status.Conditions {
		if j.Status.Conditions[i].Type == t {
			c := &j.Status.Conditions[i]
			if c.Status != corev1.ConditionTrue {
				c.LastTransitionTime = now
			}
			c.Status, c.Reason, c.Message, c.LastProbeTime = corev1.ConditionTrue, reason, msg, now
			return
		}
	}
	j.Status.Conditions = append(j.Status.Conditions, batchv1.JobCondition{
		Type: t, Status: corev1.ConditionTrue, Reason: reason, Message: msg,
		LastProbeTime: now, LastTransitionTime: now,
	})
}

// updateStatus re-reads the Job and applies mutate under conflict retry.
func (e *Executor) updateStatus(ctx context.Context, key types.NamespacedName, mutate func(*batchv1.Job) (bool, error)) error {
	return retry.RetryOnConflict(retry.DefaultBackoff, func() error {
		var j batchv1.Job
		if err := e.Reader.Get(ctx, key, &j); err != nil {
			return err
		}
		changed, err := mutate(&j)
		if err != nil || !changed {
			return err
		}
		return e.Client.Status().Update(ctx, &j)
	})
}
