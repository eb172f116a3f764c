package controllers

import (
	"context"
	"errors"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/metrics"
)

// RBAC of the analysis reconcilers (Jobs, the result ConfigMaps they read and
// prune, the Secrets a DataSource probe reads, the runner ServiceAccount a
// Job will run as).
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=core,resources=configmaps,verbs=get;delete
// +kubebuilder:rbac:groups=core,resources=secrets,verbs=get
// +kubebuilder:rbac:groups=core,resources=serviceaccounts,verbs=get

const (
	kindModel = "SegmentationModel"
	// keepModelJobs is how many finished Jobs of a model are kept for inspection.
	keepModelJobs = 3
	// sourcesIndex indexes models and schedules by referenced DataSource name.
	sourcesIndex = ".spec.sources.name"
	// annotationGeneration records the spec generation a Job ran with.
	annotationGeneration = "crmlens.io/generation"
)

// SegmentationModelReconciler runs a model's analysis Jobs and reflects
// their results in status.
type SegmentationModelReconciler struct {
	client.Client
	// APIReader reads result ConfigMaps straight from the API (they are not cached).
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  events.EventRecorder
	Config
	accounts seenAccounts
	// memo keeps the Warning Event of a run that cannot start to one per
	// generation and reason.
	memo eventMemo
}

// Reconcile implements the model's run lifecycle: reflect the newest Job,
// decide which run is due (decideModelRun), start it, and write a status
// that describes this generation (observedGeneration, Reconciling/Stalled)
// in the same reconcile.
func (r *SegmentationModelReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	logger := log.FromContext(ctx)
	var m crmv1.SegmentationModel
	if err := r.Get(ctx, req.NamespacedName, &m); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.Forget(metrics.KindModel, req.Namespace, req.Name)
			r.memo.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if m.DeletionTimestamp != nil {
		metrics.Forget(metrics.KindModel, m.Namespace, m.Name)
		return ctrl.Result{}, nil
	}
	orig := m.Status.DeepCopy()
	now := r.clock().Now()
	gen := m.Generation
	// Events and counters of a finished run happen once its status is written.
	var fx effects

	jobs, err := ownedJobs(ctx, r.Client, &m)
	if err != nil {
		return ctrl.Result{}, err
	}
	var latest *batchv1.Job
	if len(jobs) > 0 {
		latest = &jobs[len(jobs)-1]
	}
	// Status written before lastRunGeneration existed: observedGeneration
	// was the generation of the last run.
	if m.Status.LastRunGeneration == 0 && m.Status.LastRunName != "" {
		m.Status.LastRunGeneration = m.Status.ObservedGeneration
	}

	// 1. Reflect the newest Job.
	running := ""
	if latest != nil {
		m.Status.LastRunGeneration = max(m.Status.LastRunGeneration, jobGeneration(latest, 0))
		st, cond := stateOf(latest)
		switch {
		case st == jobActive:
			running = latest.Name
		case latest.Name != m.Status.LastRunName:
			r.absorb(ctx, &m, latest, st, cond, now, &fx)
		}
	}
	if latest == nil && m.Status.LastRunName == "" && m.Status.ResultConfigMap == "" {
		setCondition(&m.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionFalse, crmv1.ReasonNoResultYet, "no analysis has run yet")
	}

	// 2. Decide whether a run is due, and start it.
	d := decideModelRun(r.modelState(ctx, &m, latest, now))
	var missing *MissingRefError
	requeue := d.Requeue
	if d.Name != "" {
		created, err := r.startRun(ctx, &m, d.Name, d.Trigger, jobs)
		switch {
		case errors.As(err, &missing):
			// ServiceAccounts are not watched (the manager may only get
			// them): look again after a while. DataSources and Secrets
			// bring a reconcile by themselves (watched, or re-probed).
			if missing.Reason == crmv1.ReasonServiceAccountNotFound {
				requeue = serviceAccountRetry
			}
		case err != nil:
			return ctrl.Result{}, err
		default:
			m.Status.LastRunGeneration = gen
			if created {
				logger.Info("analysis Job created", "job", d.Name, "trigger", d.Trigger)
				if d.Trigger == triggerRetry {
					attempt := m.Status.Retry.Attempts + 1
					fx.add(func() {
						r.Recorder.Eventf(&m, nil, corev1.EventTypeNormal, string(crmv1.ReasonRetryStarted), "Analyze", "retry %d of run %s started as %s: %s", attempt, m.Status.LastRunName, d.Name, d.Why)
					})
				}
			}
			if j := findJob(jobs, d.Name); j == nil || !isFinished(j) {
				running = d.Name
			}
			if m.Status.Retry != nil {
				// The attempt is under way: the next retry time is set
				// again if it fails.
				m.Status.Retry.NextRetryTime = nil
			}
			if d.RunNow != "" {
				if err := r.markRunNow(ctx, &m, d.RunNow); err != nil {
					return requeueOnConflict(err)
				}
			}
		}
	}
	m.Status.NextRunTime = nil
	if d.NextRefresh != nil && !m.Spec.Suspend {
		t := metav1.NewTime(*d.NextRefresh)
		m.Status.NextRunTime = &t
	}

	// 3. Conditions of this generation.
	r.setRunConditions(&m, running, missing, now, &fx)

	// 4. Prune old finished Jobs.
	pruneJobs(ctx, r.Client, jobs, keepModelJobs, keepModelJobs)

	if err := writeStatus(ctx, r.Client, &m, orig, &m.Status); err != nil {
		return requeueOnConflict(err)
	}
	publishModelGauges(&m)
	if orig.ObservedGeneration != gen {
		warnInsecureStore(r.Recorder, &m, "spec.output.store", m.Spec.Output.Store)
	}
	fx.run()
	// Retention by age (output.retention.maxAge; controllers/retention.go).
	if d := ageRetainer.apply(ctx, r.Client, r.APIReader, now, &m, kindModel, outputOf(target{obj: &m}), jobs, false, ""); d > 0 && (requeue == 0 || d < requeue) {
		requeue = d
	}
	return ctrl.Result{RequeueAfter: requeue}, nil
}

// setRunConditions sets Progressing, the missing-reference outcome, and the
// kstatus conditions, and marks this generation observed.
func (r *SegmentationModelReconciler) setRunConditions(m *crmv1.SegmentationModel, running string, missing *MissingRefError, now time.Time, fx *effects) {
	gen := m.Generation
	conds := &m.Status.Conditions
	if running != "" {
		setCondition(conds, gen, crmv1.ConditionProgressing, metav1.ConditionTrue, crmv1.ReasonJobRunning, fmt.Sprintf("analysis Job %s is running", running))
	} else if c := meta.FindStatusCondition(*conds, crmv1.ConditionProgressing); c == nil || c.Status == metav1.ConditionTrue {
		setCondition(conds, gen, crmv1.ConditionProgressing, metav1.ConditionFalse, crmv1.ReasonIdle, "no analysis Job is running")
	}
	switch {
	case missing != nil:
		// A bad edit: this generation cannot run until someone acts.
		// Not Ready (the declared spec is not served), Degraded, Stalled;
		// a previous result stays in status and its ConfigMap.
		msg := missing.Msg
		if m.Status.ResultConfigMap != "" {
			msg += fmt.Sprintf("; the result of generation %d is still served", m.Status.ResultGeneration)
		}
		setCondition(conds, gen, crmv1.ConditionProgressing, metav1.ConditionFalse, missing.Reason, missing.Msg)
		setCondition(conds, gen, crmv1.ConditionDegraded, metav1.ConditionTrue, missing.Reason, msg)
		setCondition(conds, gen, crmv1.ConditionReady, metav1.ConditionFalse, missing.Reason, msg)
		key := types.NamespacedName{Namespace: m.Namespace, Name: m.Name}
		if r.memo.first(key, "NotStarted", fmt.Sprintf("%d/%s", gen, missing.Reason)) {
			obj := m.DeepCopy()
			fx.add(func() {
				r.Recorder.Eventf(obj, nil, corev1.EventTypeWarning, string(missing.Reason), "Analyze", "the run of generation %d cannot start: %s", gen, missing.Msg)
			})
		}
	default:
		// References resolve again: clear what a missing one set.
		if c := meta.FindStatusCondition(*conds, crmv1.ConditionReady); c != nil && missingRefReasons[crmv1.Reason(c.Reason)] {
			if m.Status.ResultConfigMap != "" {
				setCondition(conds, gen, crmv1.ConditionReady, metav1.ConditionTrue, crmv1.ReasonSucceeded, fmt.Sprintf("serving the result of generation %d while the current one runs", m.Status.ResultGeneration))
			} else {
				setCondition(conds, gen, crmv1.ConditionReady, metav1.ConditionFalse, crmv1.ReasonNoResultYet, "no analysis has finished yet")
			}
		}
		if c := meta.FindStatusCondition(*conds, crmv1.ConditionDegraded); c != nil && c.Status == metav1.ConditionTrue && setByMissingRef(c, m.Status.Retry) {
			setCondition(conds, gen, crmv1.ConditionDegraded, metav1.ConditionFalse, crmv1.ReasonReferencesFound, "the objects the model references exist; its run can start")
		}
	}
	retry := m.Status.Retry
	if m.Spec.Suspend {
		retry = nil // a suspended model retries nothing: not reconciling (Degraded still says what failed)
	}
	setKstatus(conds, gen, progress{Blocked: missing, Running: running, Retry: retry,
		Pending: m.Status.LastRunGeneration < gen}, now)
	m.Status.ObservedGeneration = gen
}

// modelState gathers what decideModelRun reads. The sources' readiness is
// read from the cache, and only while a failed run waits for its retry.
func (r *SegmentationModelReconciler) modelState(ctx context.Context, m *crmv1.SegmentationModel, latest *batchv1.Job, now time.Time) modelState {
	s := modelState{Name: m.Name, Generation: m.Generation, LastRunGeneration: m.Status.LastRunGeneration, Suspend: m.Spec.Suspend,
		RunNow: m.GetAnnotations()[crmv1.RunNowAnnotation], LastRunNow: m.GetAnnotations()[crmv1.LastRunNowAnnotation],
		LastRunName: m.Status.LastRunName, Retry: m.Status.Retry, Now: now}
	if m.Spec.RefreshInterval != nil {
		s.Refresh = m.Spec.RefreshInterval.Duration
	}
	if latest != nil {
		created := latest.CreationTimestamp.Time
		if t, err := time.Parse(time.RFC3339Nano, latest.Annotations[annotationCreated]); err == nil {
			created = t
		}
		s.Latest = &latestJob{Name: latest.Name, Finished: isFinished(latest), Created: created}
	}
	if m.Status.LastRunTime != nil {
		t := m.Status.LastRunTime.Time
		s.LastSuccess = &t
	}
	if m.Status.Retry != nil {
		s.SourcesReadySince = sourcesReadySince(ctx, r.Client, m.Namespace, m.Spec.Sources)
	}
	return s
}

// sourcesReadySince reads, per DataSource, when it last turned Ready (zero
// when it is not Ready or not found).
func sourcesReadySince(ctx context.Context, c client.Reader, ns string, refs []crmv1.SourceRef) []time.Time {
	out := make([]time.Time, 0, len(refs))
	for _, ref := range refs {
		var ds crmv1.DataSource
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.Name}, &ds); err != nil {
			out = append(out, time.Time{})
			continue
		}
		if c := meta.FindStatusCondition(ds.Status.Conditions, crmv1.ConditionReady); c != nil && c.Status == metav1.ConditionTrue {
			out = append(out, c.LastTransitionTime.Time)
		} else {
			out = append(out, time.Time{})
		}
	}
	return out
}

// SetupWithManager registers the reconciler.
func (r *SegmentationModelReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := indexSources(mgr, &crmv1.SegmentationModel{}, func(o client.Object) []crmv1.SourceRef {
		m := o.(*crmv1.SegmentationModel)
		return append(append([]crmv1.SourceRef{}, m.Spec.Sources...), storeSourceRefs(m.Spec.Output.Store)...)
	}); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("segmentationmodel").
		For(&crmv1.SegmentationModel{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Owns(&batchv1.Job{}).
		// A source's spec change, and its Ready turning True or False: a
		// failed run is retried as soon as its source recovers.
		Watches(&crmv1.DataSource{}, handler.EnqueueRequestsFromMapFunc(mapBySource(mgr.GetClient(), &crmv1.SegmentationModelList{})),
			builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, readyChanged()))).
		Complete(r)
}

func indexSources(mgr ctrl.Manager, obj client.Object, refs func(client.Object) []crmv1.SourceRef) error {
	return mgr.GetFieldIndexer().IndexField(context.Background(), obj, sourcesIndex, func(o client.Object) []string {
		var names []string
		for _, s := range refs(o) {
			names = append(names, s.Name)
		}
		return names
	})
}

// storeSourceRefs names the DataSource a postgres result store reuses.
func storeSourceRefs(st *crmv1.ResultStore) []crmv1.SourceRef {
	if st != nil && st.Postgres != nil && st.Postgres.DataSourceRef != nil {
		return []crmv1.SourceRef{{Name: st.Postgres.DataSourceRef.Name}}
	}
	return nil
}

// mapBySource enqueues the objects of list's kind that reference a DataSource.
func mapBySource(c client.Client, list client.ObjectList) handler.MapFunc {
	return mapByIndex(c, list, sourcesIndex)
}

// mapByIndex enqueues the objects of list's kind whose index field names o.
func mapByIndex(c client.Client, list client.ObjectList, index string) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		l := list.DeepCopyObject().(client.ObjectList)
		if err := c.List(ctx, l, client.InNamespace(o.GetNamespace()), client.MatchingFields{index: o.GetName()}); err != nil {
			return nil
		}
		var reqs []reconcile.Request
		_ = forEachItem(l, func(it client.Object) {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: it.GetNamespace(), Name: it.GetName()}})
		})
		return reqs
	}
}

func forEachItem(l client.ObjectList, fn func(client.Object)) error {
	switch v := l.(type) {
	case *crmv1.SegmentationModelList:
		for i := range v.Items {
			fn(&v.Items[i])
		}
	case *crmv1.ReportScheduleList:
		for i := range v.Items {
			fn(&v.Items[i])
		}
	}
	return nil
}
