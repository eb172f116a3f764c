package localexec_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"
	ctrlconfig "sigs.k8s.io/controller-runtime/pkg/config"
	metricsserver "sigs.k8s.io/controller-runtime/pkg/metrics/server"

	"github.com/crmlens/crmlens/internal/localexec"
	"github.com/crmlens/crmlens/internal/manager"
	"github.com/crmlens/crmlens/internal/testenv"
)

// The test binary doubles as the "crmlens" process the executor starts: with
// helperEnv set, TestMain runs a tiny command instead of the tests.
const helperEnv = "LOCALEXEC_TEST_HELPER"

func TestMain(m *testing.M) {
	if os.Getenv(helperEnv) == "1" {
		os.Exit(helper(os.Args[1:]))
	}
	os.Exit(m.Run())
}

// helper commands: record <file> (append env + cwd, exit 0), exit <code>, sleep <seconds>.
func helper(args []string) int {
	if len(args) < 2 {
		return 99
	}
	switch args[0] {
	case "record":
		f, err := os.OpenFile(args[1], os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return 98
		}
		defer f.Close()
		wd, _ := os.Getwd()
		fmt.Fprintf(f, "RUN cwd=%s\n", wd)
		for _, kv := range os.Environ() {
			fmt.Fprintln(f, kv)
		}
		return 0
	case "exit":
		n, _ := strconv.Atoi(args[1])
		return n
	case "sleep":
		n, _ := strconv.Atoi(args[1])
		time.Sleep(time.Duration(n) * time.Second)
		return 0
	}
	return 97
}

func startExecutor(t *testing.T, env *testenv.Env) (*localexec.Executor, context.CancelFunc) {
	t.Helper()
	scheme, err := manager.NewScheme()
	if err != nil {
		t.Fatal(err)
	}
	mgr, err := ctrl.NewManager(env.Config, ctrl.Options{Scheme: scheme, Metrics: metricsserver.Options{BindAddress: "0"}, HealthProbeBindAddress: "0",
		Controller: ctrlConfigSkipNameValidation()})
	if err != nil {
		t.Fatal(err)
	}
	bin, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	ex := &localexec.Executor{Binary: bin, Env: []string{helperEnv + "=1"}, RetryDelay: 50 * time.Millisecond}
	if err := ex.SetupWithManager(mgr); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() {
		defer close(done)
		if err := mgr.Start(ctx); err != nil {
			t.Errorf("manager: %v", err)
		}
	}()
	stop := func() {
		cancel()
		<-done
		ex.Wait()
	}
	return ex, stop
}

func newJob(ns, name string, args []string, mutate func(*batchv1.Job)) *batchv1.Job {
	j := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name, Labels: map[string]string{"app.kubernetes.io/managed-by": "crmlens"}},
		Spec: batchv1.JobSpec{
			BackoffLimit: ptr(int32(0)),
			Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
				RestartPolicy: corev1.RestartPolicyNever,
				Containers:    []corev1.Container{{Name: "run", Image: "ignored:latest", Command: []string{"crmlens"}, Args: args}},
			}},
		},
	}
	if mutate != nil {
		mutate(j)
	}
	return j
}

func ptr[T any](v T) *T { return &v }

func waitFinished(t *testing.T, c client.Client, key client.ObjectKey) *batchv1.Job {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		var j batchv1.Job
		if err := c.Get(context.Background(), key, &j); err == nil {
			for _, cond := range j.Status.Conditions {
				if (cond.Type == batchv1.JobComplete || cond.Type == batchv1.JobFailed) && cond.Status == corev1.ConditionTrue {
					return &j
				}
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Fatalf("job %s did not finish", key)
	return nil
}

func cond(j *batchv1.Job, typ batchv1.JobConditionType) *batchv1.JobCondition {
	for i := range j.Status.Conditions {
		if j.Status.Conditions[i].Type == typ && j.Status.Conditions[i].Status == corev1.ConditionTrue {
			return &j.Status.Conditions[i]
		}
	}
	return nil
}

func runs(t *testing.T, file string) int {
	b, err := os.ReadFile(file)
	if os.IsNotExist(err) {
		return 0
	}
	if err != nil {
		t.Fatal(err)
	}
	return strings.Count(string(b), "RUN cwd=")
}

func TestLocalExecutor(t *testing.T) {
	env := testenv.Start(t)
	ctx := context.Background()
	c := env.Client
	ns := "localexec"
	if err := c.Create(ctx, &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{Name: ns}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "db"}, Data: map[string][]byte{"password": []byte("s3cret")}}); err != nil {
		t.Fatal(err)
	}
	if err := c.Create(ctx, &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "plan"}, Data: map[string]string{"plan.json": `{"x":1}`, "MODE": "fast"}}); err != nil {
		t.Fatal(err)
	}
	_, stop := startExecutor(t, env)
	out := t.TempDir()

	t.Run("success with resolved env", func(t *testing.T) {
		rec := filepath.Join(out, "ok.txt")
		job := newJob(ns, "ok", []string{"record", rec}, func(j *batchv1.Job) {
			j.Spec.Template.Spec.Containers[0].EnvFrom = []corev1.EnvFromSource{{Prefix: "CM_", ConfigMapRef: &corev1.ConfigMapEnvSource{LocalObjectReference: corev1.LocalObjectReference{Name: "plan"}}}}
			j.Spec.Template.Spec.Containers[0].Env = []corev1.EnvVar{
				{Name: "PLAIN", Value: "v1"},
				{Name: "EXPANDED", Value: "$(PLAIN)-x-$$(PLAIN)"},
				{Name: "DB_PASSWORD", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "password"}}},
				{Name: "PLAN", ValueFrom: &corev1.EnvVarSource{ConfigMapKeyRef: &corev1.ConfigMapKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "plan"}, Key: "plan.json"}}},
				{Name: "POD_NAMESPACE", ValueFrom: &corev1.EnvVarSource{FieldRef: &corev1.ObjectFieldSelector{FieldPath: "metadata.namespace"}}},
				{Name: "OPT", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "absent"}, Key: "k", Optional: ptr(true)}}},
			}
		})
		if err := c.Create(ctx, job); err != nil {
			t.Fatal(err)
		}
		j := waitFinished(t, c, client.ObjectKeyFromObject(job))
		if cond(j, batchv1.JobComplete) == nil || cond(j, batchv1.JobSuccessCriteriaMet) == nil {
			t.Fatalf("conditions = %+v", j.Status.Conditions)
		}
		if j.Status.Succeeded != 1 || j.Status.Active != 0 || j.Status.Failed != 0 || j.Status.StartTime == nil || j.Status.CompletionTime == nil {
			t.Errorf("status = %+v", j.Status)
		}
		b, err := os.ReadFile(rec)
		if err != nil {
			t.Fatal(err)
		}
		got := string(b)
		for _, want := range []string{"PLAIN=v1\n", "EXPANDED=v1-x-$(PLAIN)\n", "DB_PASSWORD=s3cret\n", `PLAN={"x":1}` + "\n", "POD_NAMESPACE=localexec\n", "CM_MODE=fast\n"} {
			if !strings.Contains(got, want) {
				t.Errorf("env lacks %q:\n%s", want, got)
			}
		}
		if strings.Contains(got, "OPT=") {
			t.Error("optional missing secret produced a variable")
		}
		if !strings.Contains(got, "RUN cwd="+os.TempDir()) {
			t.Errorf("not run in a temporary directory: %s", strings.SplitN(got, "\n", 2)[0])
		}
	})

	t.Run("backoff limit", func(t *testing.T) {
		job := newJob(ns, "fails", []string{"exit", "3"}, func(j *batchv1.Job) { j.Spec.BackoffLimit = ptr(int32(2)) })
		if err := c.Create(ctx, job); err != nil {
			t.Fatal(err)
		}
		j := waitFinished(t, c, client.ObjectKeyFromObject(job))
		f := cond(j, batchv1.JobFailed)
		if f == nil || f.Reason != localexec.ReasonBackoffLimitExceeded || cond(j, batchv1.JobFailureTarget) == nil {
			t.Fatalf("conditions = %+v", j.Status.Conditions)
		}
		if j.Status.Failed != 3 || j.Status.Active != 0 || j.Status.CompletionTime != nil {
			t.Errorf("status = %+v, want 3 failed attempts (1 + backoffLimit 2)", j.Status)
		}
	})

	t.Run("active deadline", func(t *testing.T) {
		job := newJob(ns, "slow", []string{"sleep", "30"}, func(j *batchv1.Job) {
			j.Spec.ActiveDeadlineSeconds = ptr(int64(1))
			j.Spec.BackoffLimit = ptr(int32(5))
		})
		start := time.Now()
		if err := c.Create(ctx, job); err != nil {
			t.Fatal(err)
		}
		j := waitFinished(t, c, client.ObjectKeyFromObject(job))
		if f := cond(j, batchv1.JobFailed); f == nil || f.Reason != localexec.ReasonDeadlineExceeded {
			t.Fatalf("conditions = %+v", j.Status.Conditions)
		}
		if time.Since(start) > 20*time.Second {
			t.Errorf("deadline not enforced: took %v", time.Since(start))
		}
	})

	t.Run("missing secret fails the attempt", func(t *testing.T) {
		rec := filepath.Join(out, "nosecret.txt")
		job := newJob(ns, "nosecret", []string{"record", rec}, func(j *batchv1.Job) {
			j.Spec.Template.Spec.Containers[0].Env = []corev1.EnvVar{{Name: "X", ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{LocalObjectReference: corev1.LocalObjectReference{Name: "db"}, Key: "nokey"}}}}
		})
		if err := c.Create(ctx, job); err != nil {
			t.Fatal(err)
		}
		j := waitFinished(t, c, client.ObjectKeyFromObject(job))
		if cond(j, batchv1.JobFailed) == nil || runs(t, rec) != 0 {
			t.Fatalf("status = %+v, runs = %d", j.Status, runs(t, rec))
		}
	})

	stop()

	t.Run("restart: lost attempt counts against backoff, finished jobs never rerun", func(t *testing.T) {
		// Two Jobs an earlier executor had started (startTime, active=1) and lost.
		lostRec := filepath.Join(out, "lost.txt")
		retryRec := filepath.Join(out, "retry.txt")
		for _, tc := range []struct {
			name, rec string
			backoff   int32
		}{{"lost", lostRec, 0}, {"retry", retryRec, 1}} {
			job := newJob(ns, tc.name, []string{"record", tc.rec}, func(j *batchv1.Job) { j.Spec.BackoffLimit = ptr(tc.backoff) })
			if err := c.Create(ctx, job); err != nil {
				t.Fatal(err)
			}
			job.Status.StartTime = &metav1.Time{Time: time.Now().Add(-time.Minute)}
			job.Status.Active = 1
			if err := c.Status().Update(ctx, job); err != nil {
				t.Fatal(err)
			}
		}
		okBefore := runs(t, filepath.Join(out, "ok.txt"))
		_, stop2 := startExecutor(t, env)
		defer stop2()
		lost := waitFinished(t, c, client.ObjectKey{Namespace: ns, Name: "lost"})
		if f := cond(lost, batchv1.JobFailed); f == nil || f.Reason != localexec.ReasonBackoffLimitExceeded || lost.Status.Failed != 1 {
			t.Errorf("lost job status = %+v", lost.Status)
		}
		if n := runs(t, lostRec); n != 0 {
			t.Errorf("lost job with backoffLimit 0 ran %d times after restart", n)
		}
		retried := waitFinished(t, c, client.ObjectKey{Namespace: ns, Name: "retry"})
		if cond(retried, batchv1.JobComplete) == nil || retried.Status.Failed != 1 || runs(t, retryRec) != 1 {
			t.Errorf("retry job status = %+v, runs = %d", retried.Status, runs(t, retryRec))
		}
		// Give the new executor time to (wrongly) pick up the finished "ok" Job.
		time.Sleep(500 * time.Millisecond)
		if n := runs(t, filepath.Join(out, "ok.txt")); n != okBefore || n != 1 {
			t.Errorf("finished job ran again: %d runs", n)
		}
	})
}

// Two managers in one process register the same controller name.
func ctrlConfigSkipNameValidation() ctrlconfig.Controller {
	return ctrlconfig.Controller{SkipNameValidation: ptr(true)}
}
