package controllers

import (
	"context"
	"sync"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/types"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"

	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/store/objectstore"
	"github.com/crmlens/crmlens/analytics/store/postgres"
	"github.com/crmlens/crmlens/analytics/store/retention"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/sources"
)

// retentionCheckMax bounds how long a store goes unchecked when nothing in
// it is due: runs written by a Job meanwhile are found within this time.
const retentionCheckMax = time.Hour

// expiredJobs are the finished Jobs older than maxAge at now (by their
// completion, else creation time).
func expiredJobs(jobs []batchv1.Job, maxAge time.Duration, now time.Time) []*batchv1.Job {
	if maxAge <= 0 {
		return nil
	}
	runs := make([]retention.Run, 0, len(jobs))
	byName := map[string]*batchv1.Job{}
	for i := range jobs {
		j := &jobs[i]
		if !isFinished(j) {
			continue
		}
		at := j.CreationTimestamp.Time
		if j.Status.CompletionTime != nil {
			at = j.Status.CompletionTime.Time
		}
		runs = append(runs, retention.Run{ID: j.Name, FinishedAt: at})
		byName[j.Name] = j
	}
	var out []*batchv1.Job
	for _, id := range retention.Expired(runs, retention.Policy{MaxAge: maxAge}, now) {
		out = append(out, byName[id])
	}
	return out
}

// retainer applies output.retention.maxAge between runs: Jobs (and a
// schedule's per-run result ConfigMaps) at every reconcile, stores when
// their next run is due to expire.
type retainer struct {
	mu   sync.Mutex
	next map[types.UID]time.Time // when the owner's store is next checked
}

func (rt *retainer) due(uid types.UID, now time.Time) bool {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	t, ok := rt.next[uid]
	return !ok || !now.Before(t)
}

func (rt *retainer) set(uid types.UID, t time.Time) {
	rt.mu.Lock()
	defer rt.mu.Unlock()
	if rt.next == nil {
		rt.next = map[types.UID]time.Time{}
	}
	rt.next[uid] = t
}

// apply enforces retention for one owner and returns when to look again
// (0: no age limit). keepConfigMap is the result ConfigMap still served.
func (rt *retainer) apply(ctx context.Context, c client.Client, apiReader client.Reader, now time.Time, owner client.Object, kind string,
	out ownerOutput, jobs []batchv1.Job, perRunConfigMaps bool, keepConfigMap string) time.Duration {
	age := maxAge(out.retention)
	if age <= 0 {
		return 0
	}
	logger := log.FromContext(ctx)
	for _, j := range expiredJobs(jobs, age, now) {
		if err := c.Delete(ctx, j, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
			logger.Error(err, "retention: delete Job", "job", j.Name)
			continue
		}
		if perRunConfigMaps && j.Name != keepConfigMap {
			// Only a result ConfigMap this owner's run wrote (by its labels).
			var cm corev1.ConfigMap
			err := apiReader.Get(ctx, client.ObjectKey{Namespace: owner.GetNamespace(), Name: j.Name}, &cm)
			if err == nil && cm.Labels[runplan.LabelManagedBy] == runplan.ManagedByValue && cm.Labels[runplan.LabelOwnerKind] == kind && cm.Labels[runplan.LabelRole] == "result" {
				if err := c.Delete(ctx, &cm); err != nil && !apierrors.IsNotFound(err) {
					logger.Error(err, "retention: delete result ConfigMap", "configMap", j.Name)
				}
			}
		}
	}
	next := now.Add(retentionCheckMax)
	if out.store != nil && rt.due(owner.GetUID(), now) {
		t := target{kind: kind, name: owner.GetName(), obj: owner}
		if n, err := rt.retainStore(ctx, c, apiReader, now, t, out, age); err != nil {
			logger.Info("retention: store not reachable; retrying", "error", err.Error())
			next = now.Add(time.Minute)
		} else if !n.IsZero() && n.Before(next) {
			next = n
		}
		rt.set(owner.GetUID(), next)
	}
	rt.mu.Lock()
	if t, ok := rt.next[owner.GetUID()]; ok && t.Before(next) {
		next = t
	}
	rt.mu.Unlock()
	return max(next.Sub(now), time.Second)
}

// retainStore deletes the runs past age from the owner's store and returns
// when the next one expires.
func (rt *retainer) retainStore(ctx context.Context, c client.Client, apiReader client.Reader, now time.Time, t target, out ownerOutput, age time.Duration) (time.Time, error) {
	er := &ErasureRequestReconciler{Client: c, APIReader: apiReader}
	st, creds, err := er.storeAccess(ctx, t.obj.GetNamespace(), out.store)
	if err != nil {
		return time.Time{}, err
	}
	p := retention.Policy{MaxAge: age}
	var runs []retention.Run
	switch {
	case st.Postgres != nil:
		cfg := sources.PostgresConfig(&st.Postgres.Postgres, creds, input.Options{}, "")
		if _, err := postgres.ApplyRetention(ctx, cfg, st.Postgres.Table, p, now); err != nil {
			return time.Time{}, err
		}
		if runs, err = postgres.Runs(ctx, cfg, st.Postgres.Table); err != nil {
			return time.Time{}, err
		}
	case st.ObjectStore != nil:
		cfg := sinkConfig(st.ObjectStore, creds, t.obj.GetNamespace(), t.name)
		if _, err := objectstore.ApplyRetention(ctx, cfg, p, now); err != nil {
			return time.Time{}, err
		}
		complete, err := objectstore.CompleteRuns(ctx, cfg)
		if err != nil {
			return time.Time{}, err
		}
		for _, r := range complete {
			runs = append(runs, retention.Run{ID: r.ID, FinishedAt: r.FinishedAt})
		}
	}
	return retention.NextExpiry(runs, p, now), nil
}

// ageRetainer is shared by the model and schedule reconcilers (owners are
// keyed by UID).
var ageRetainer retainer
