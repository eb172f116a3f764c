package controllers

import (
	"context"
	"fmt"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/labels"
	"k8s.io/apimachinery/pkg/types"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/cache"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crmlens/crmlens/internal/runplan"
)

// CacheOptions is the manager cache these reconcilers are written for:
//   - only crmlens's own Jobs (and ConfigMaps, Secrets) are cached, never
//     every one in the cluster;
//   - managedFields are dropped from every cached object. The reconcilers
//     never read them, they are often the larger part of an object, and an
//     update sent without them leaves the server's record as it is — so
//     each status PUT carries less for the API server to decode and compare.
func CacheOptions() cache.Options {
	return cache.Options{
		ByObject: map[client.Object]cache.ByObject{
			&batchv1.Job{}: {Label: labels.SelectorFromSet(labels.Set{runplan.LabelManagedBy: runplan.ManagedByValue})},
			// Least privilege: should a reconciler ever read them through the
			// cache, only crmlens's own ConfigMaps and Secrets are listed and
			// watched (today both are read uncached, by name).
			&corev1.ConfigMap{}: {Label: labels.SelectorFromSet(labels.Set{runplan.LabelManagedBy: runplan.ManagedByValue})},
			&corev1.Secret{}:    {Label: labels.SelectorFromSet(labels.Set{runplan.LabelManagedBy: runplan.ManagedByValue})},
		},
		DefaultTransform: cache.TransformStripManagedFields(),
	}
}

// jobOwnerIndex indexes cached Jobs by the UID of their controller, so an
// owner's Jobs are one map lookup rather than a label match over every Job
// in the namespace (profiled: that match was a sixth of the manager's CPU
// with 1,000 models).
const jobOwnerIndex = ".metadata.controllerUID"

func indexJobOwners(ctx context.Context, mgr ctrl.Manager) error {
	err := mgr.GetFieldIndexer().IndexField(ctx, &batchv1.Job{}, jobOwnerIndex, func(o client.Object) []string {
		if ref := metav1.GetControllerOf(o); ref != nil {
			return []string{string(ref.UID)}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("index Jobs by owner: %w", err)
	}
	return nil
}

// serviceAccountTTL is how long a ServiceAccount seen to exist is trusted
// without another GET. ServiceAccounts are not watched (the manager may only
// get them), and checking before every Job would add a round-trip to each
// run; one that disappears within the TTL leaves a Job without pods, which
// its activeDeadlineSeconds ends — as it would had it vanished a second
// after the check.
const serviceAccountTTL = time.Minute

// seenAccounts remembers when each ServiceAccount was last found.
type seenAccounts struct {
	mu   sync.Mutex
	seen map[types.NamespacedName]time.Time
}

func (s *seenAccounts) recent(key types.NamespacedName, now time.Time) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	t, ok := s.seen[key]
	return ok && now.Sub(t) < serviceAccountTTL
}

func (s *seenAccounts) found(key types.NamespacedName, now time.Time) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.seen == nil {
		s.seen = map[types.NamespacedName]time.Time{}
	}
	s.seen[key] = now
}
