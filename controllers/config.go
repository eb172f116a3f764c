package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/utils/clock"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// Config is what the analysis reconcilers need from the manager.
type Config struct {
	// Image is the operator's own image; Jobs run `crmlens run` from it.
	Image string
	// RunnerServiceAccount is the Jobs' ServiceAccount unless spec.job names one.
	RunnerServiceAccount string
	// Clock tells the time everywhere a reconciler reads it (schedules,
	// refresh, retry backoff, probe intervals, Job creation order); the
	// wall clock when nil. Tests pass k8s.io/utils/clock/testing's FakeClock.
	Clock clock.PassiveClock
}

// clock returns the configured clock or the wall clock.
func (c Config) clock() clock.PassiveClock {
	if c.Clock == nil {
		return clock.RealClock{}
	}
	return c.Clock
}

// Defaults for Config.
const (
	DefaultImage                = "ghcr.io/crmlens/crmlens:latest"
	DefaultRunnerServiceAccount = "crmlens-runner"
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
			return &MissingRefError{Reason: crmv1.ReasonServiceAccountNotFound, Msg: fmt.Sprintf(
				"ServiceAccount %q not found in namespace %s: the analysis Job cannot start. Apply config/runner in this namespace (set its namespace in config/runner/kustomization.yaml, then kubectl apply -k config/runner), or set spec.job.serviceAccountName to an existing ServiceAccount", name, ns)}
		}
		return fmt.Errorf("get ServiceAccount %q: %w", name, err)
	}
	s.found(key, now)
	return nil
}
