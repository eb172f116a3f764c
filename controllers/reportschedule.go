package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/event"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/alerts"
	"github.com/crmlens/crmlens/internal/metrics"
	"github.com/crmlens/crmlens/internal/schedule"
)

const (
	kindSchedule = "ReportSchedule"
	// annotationAlertStreaks keeps, per alert rule, how many consecutive runs
	// its comparison held (for forRuns); status shows only firing alerts.
	annotationAlertStreaks = "crmlens.io/alert-streaks"
	// vipDropAlert names the VIP activity-drop alert.
	vipDropAlert = "vip-activity-drop"
)

// ReportScheduleReconciler runs report Jobs on a cron schedule with the
// semantics of a Kubernetes CronJob, and evaluates alerts after each run.
type ReportScheduleReconciler struct {
	client.Client
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  events.EventRecorder
	Notifier  *alerts.Notifier
	Config
	// memo keeps Events that describe one occurrence (a schedule slot, a
	// run that could not start) from repeating on every reconcile.
	memo     eventMemo
	accounts seenAccounts
}

// Reconcile implements the schedule: absorb finished runs, prune history,
// start the due run (or the retry of a failed one), and write a status that
// describes this generation.
func (r *ReportScheduleReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var rs crmv1.ReportSchedule
	if err := r.Get(ctx, req.NamespacedName, &rs); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.Forget(metrics.KindSchedule, req.Namespace, req.Name)
			r.memo.forget(req.NamespacedName)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if rs.DeletionTimestamp != nil {
		metrics.Forget(metrics.KindSchedule, rs.Namespace, rs.Name)
		return ctrl.Result{}, nil
	}
	orig := rs.Status.DeepCopy()
	origAnnots := rs.GetAnnotations()[annotationAlertStreaks]
	now := r.clock().Now()
	gen := rs.Generation

	jobs, err := ownedJobs(ctx, r.Client, &rs)
	if err != nil {
		return ctrl.Result{}, err
	}
	// Events, notifications and counters of finished runs happen only once
	// the status recording them is written, so a conflict never repeats them.
	var fx effects
	streaks := map[string]int{}
	_ = json.Unmarshal([]byte(rs.GetAnnotations()[annotationAlertStreaks]), &streaks)

	// 1. Active list and newly finished runs, oldest first.
	wasActive := map[string]bool{}
	for _, a := range rs.Status.Active {
		wasActive[a.Name] = true
	}
	var active []corev1.ObjectReference
	for i := range jobs {
		j := &jobs[i]
		st, cond := stateOf(j)
		if st == jobActive {
			active = append(active, corev1.ObjectReference{APIVersion: "batch/v1", Kind: "Job", Namespace: j.Namespace, Name: j.Name, UID: j.UID})
			continue
		}
		if wasActive[j.Name] {
			r.absorb(ctx, &rs, j, st, cond, streaks, now, &fx)
		}
	}
	rs.Status.Active = active

	// 2. Prune history (Jobs and their result ConfigMaps).
	r.prune(ctx, &rs, jobs)

	// 3. Schedule.
	result := ctrl.Result{}
	tz := ""
	if rs.Spec.TimeZone != nil {
		tz = *rs.Spec.TimeZone
	}
	sched, err := schedule.Parse(rs.Spec.Schedule, tz)
	var d schedule.Decision
	if err == nil {
		d, err = sched.Evaluate(schedule.State{Created: rs.CreationTimestamp.Time, LastScheduleTime: timePtr(rs.Status.LastScheduleTime), StartingDeadlineSeconds: rs.Spec.StartingDeadlineSeconds}, now)
	}
	// A schedule whose model, sources or store are missing cannot produce
	// reports: it is not Ready, whether or not a run is due right now.
	missing, refErr := r.checkRefs(ctx, &rs, now)
	if refErr != nil {
		return ctrl.Result{}, refErr
	}
	switch {
	case err != nil:
		// Users fix the spec; its watch event brings us back. No polling.
		setCondition(&rs.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionFalse, crmv1.ReasonInvalidSchedule, err.Error())
		rs.Status.NextScheduleTime = nil
	case rs.Spec.Suspend:
		setCondition(&rs.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionTrue, crmv1.ReasonSuspended, "the schedule is suspended; no new runs start")
		rs.Status.NextScheduleTime = nil
	default:
		m, err := r.scheduleRun(ctx, &rs, d)
		if err != nil {
			return ctrl.Result{}, err
		}
		if missing == nil {
			missing = m
		}
		next := metav1.NewTime(d.Next)
		rs.Status.NextScheduleTime = &next
		result.RequeueAfter = d.RequeueAfter
	}
	if err == nil && missing == nil {
		// A run-now that cannot start stays pending (not marked handled) and
		// starts once the missing object exists.
		m, err := r.runNow(ctx, &rs)
		if err != nil {
			return requeueOnConflict(err)
		}
		missing = m
	}
	if err == nil && missing == nil && !rs.Spec.Suspend {
		m, after, err := r.retry(ctx, &rs, now, &fx)
		if err != nil {
			return ctrl.Result{}, err
		}
		missing = m
		if after > 0 && (result.RequeueAfter == 0 || after < result.RequeueAfter) {
			result.RequeueAfter = after
		}
	}
	if err == nil && !rs.Spec.Suspend {
		if missing != nil {
			setCondition(&rs.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionFalse, missing.Reason, missing.Msg)
		} else {
			setCondition(&rs.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionTrue, crmv1.ReasonScheduled, "the schedule is valid and runs are scheduled")
		}
	}
	if missing != nil {
		setCondition(&rs.Status.Conditions, gen, crmv1.ConditionDegraded, metav1.ConditionTrue, missing.Reason, missing.Msg)
		if missing.Reason == crmv1.ReasonServiceAccountNotFound && (result.RequeueAfter == 0 || result.RequeueAfter > serviceAccountRetry) {
			// Not watched: look again after a while.
			result.RequeueAfter = serviceAccountRetry
		}
	} else if c := meta.FindStatusCondition(rs.Status.Conditions, crmv1.ConditionDegraded); c != nil && c.Status == metav1.ConditionTrue && setByMissingRef(c, rs.Status.Retry) {
		setCondition(&rs.Status.Conditions, gen, crmv1.ConditionDegraded, metav1.ConditionFalse, crmv1.ReasonReferencesFound, "the objects the schedule references exist; runs can start")
	}
	running := ""
	if len(rs.Status.Active) > 0 {
		running = rs.Status.Active[len(rs.Status.Active)-1].Name
		setCondition(&rs.Status.Conditions, gen, crmv1.ConditionProgressing, metav1.ConditionTrue, crmv1.ReasonJobRunning, fmt.Sprintf("%d report Job(s) running", len(rs.Status.Active)))
	} else {
		setCondition(&rs.Status.Conditions, gen, crmv1.ConditionProgressing, metav1.ConditionFalse, crmv1.ReasonIdle, "no report Job is running")
	}
	blocked := missing
	if err != nil {
		blocked = &MissingRefError{Reason: crmv1.ReasonInvalidSchedule, Msg: err.Error()}
	}
	// A scheduled run in flight is routine, not a spec being reconciled:
	// only a retry (or a block) shows in the kstatus conditions.
	p := progress{Blocked: blocked, Retry: rs.Status.Retry}
	if rs.Spec.Suspend {
		p.Retry = nil // a suspended schedule retries nothing
	}
	if p.Retry != nil && p.Retry.NextRetryTime == nil {
		p.Running = running // the retry itself runs
	}
	setKstatus(&rs.Status.Conditions, gen, p, now)
	rs.Status.ObservedGeneration = gen

	if b, _ := json.Marshal(streaks); string(b) != origAnnots && (len(streaks) != 0 || origAnnots != "") {
		if err := r.saveStreaks(ctx, &rs, string(b)); err != nil {
			return requeueOnConflict(err)
		}
	}
	if err := writeStatus(ctx, r.Client, &rs, orig, &rs.Status); err != nil {
		return requeueOnConflict(err)
	}
	publishScheduleGauges(&rs, r.currencyOf(ctx, &rs))
	if orig.ObservedGeneration != gen {
		warnInsecureStore(r.Recorder, &rs, "spec.output.store", rs.Spec.Output.Store)
	}
	fx.run()
	// Retention by age (output.retention.maxAge; controllers/retention.go).
	if d := ageRetainer.apply(ctx, r.Client, r.APIReader, now, &rs, kindSchedule, outputOf(target{obj: &rs}), jobs, true, rs.Status.ResultConfigMap); d > 0 && (result.RequeueAfter == 0 || d < result.RequeueAfter) {
		result.RequeueAfter = d
	}
	return result, nil
}

// prune deletes finished Jobs beyond the history limits, and their result
// ConfigMaps (never the current result's).
func (r *ReportScheduleReconciler) prune(ctx context.Context, rs *crmv1.ReportSchedule, jobs []batchv1.Job) {
	okLimit, failLimit := 3, 1
	if rs.Spec.SuccessfulRunsHistoryLimit != nil {
		okLimit = int(*rs.Spec.SuccessfulRunsHistoryLimit)
	}
	if rs.Spec.FailedRunsHistoryLimit != nil {
		failLimit = int(*rs.Spec.FailedRunsHistoryLimit)
	}
	for _, name := range pruneJobs(ctx, r.Client, jobs, okLimit, failLimit) {
		if name == rs.Status.ResultConfigMap {
			continue // the current result stays readable
		}
		cm := &corev1.ConfigMap{ObjectMeta: metav1.ObjectMeta{Namespace: rs.Namespace, Name: name}}
		if err := r.Delete(ctx, cm); err != nil && !apierrors.IsNotFound(err) {
			log.FromContext(ctx).Error(err, "prune result ConfigMap", "configMap", name)
		}
	}
}

// scheduleRetryDue decides whether a failed report run is retried now: not
// when the next scheduled run comes first (it is the better retry), nor
// while a run is active. It returns the wait until the retry otherwise.
func scheduleRetryDue(retry *crmv1.RetryStatus, next *time.Time, activeRuns int, readySince []time.Time, now time.Time) (bool, string, time.Duration) {
	if retry == nil || retry.NextRetryTime == nil || activeRuns > 0 {
		return false, "", 0
	}
	if next != nil && !retry.NextRetryTime.Time.Before(*next) {
		return false, "", 0
	}
	if due, why := retryDue(retry, readySince, now); due {
		return true, why, 0
	}
	return false, "", retry.NextRetryTime.Sub(now) + schedule.NextDelta
}

// retry starts the retry of a failed run when scheduleRetryDue says so.
func (r *ReportScheduleReconciler) retry(ctx context.Context, rs *crmv1.ReportSchedule, now time.Time, fx *effects) (*MissingRefError, time.Duration, error) {
	var readySince []time.Time
	if rs.Status.Retry != nil {
		readySince = sourcesReadySince(ctx, r.Client, rs.Namespace, r.sourceRefs(ctx, rs))
	}
	due, why, after := scheduleRetryDue(rs.Status.Retry, timePtr(rs.Status.NextScheduleTime), len(rs.Status.Active), readySince, now)
	if !due {
		return nil, after, nil
	}
	name := jobName(rs.Name, "a"+shortHash(rs.Status.LastRunName))
	job, missing, err := r.start(ctx, rs, name, triggerRetry, nil)
	if err != nil || missing != nil {
		return missing, 0, err
	}
	rs.Status.Active = append(rs.Status.Active, corev1.ObjectReference{APIVersion: "batch/v1", Kind: "Job", Namespace: job.Namespace, Name: job.Name, UID: job.UID})
	attempt, failed := rs.Status.Retry.Attempts+1, rs.Status.LastRunName
	rs.Status.Retry.NextRetryTime = nil
	obj := rs.DeepCopy()
	fx.add(func() {
		r.Recorder.Eventf(obj, nil, corev1.EventTypeNormal, string(crmv1.ReasonRetryStarted), "Report", "retry %d of run %s started as %s: %s", attempt, failed, name, why)
	})
	return nil, 0, nil
}

// sourceRefs are the transaction sources a schedule's runs read: its own,
// or its model's.
func (r *ReportScheduleReconciler) sourceRefs(ctx context.Context, rs *crmv1.ReportSchedule) []crmv1.SourceRef {
	if len(rs.Spec.Sources) > 0 || rs.Spec.ModelRef == nil {
		return rs.Spec.Sources
	}
	var m crmv1.SegmentationModel
	if err := r.Get(ctx, client.ObjectKey{Namespace: rs.Namespace, Name: rs.Spec.ModelRef.Name}, &m); err != nil {
		return nil
	}
	return m.Spec.Sources
}

// SetupWithManager registers the reconciler.
func (r *ReportScheduleReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := indexSources(mgr, &crmv1.ReportSchedule{}, func(o client.Object) []crmv1.SourceRef {
		rs := o.(*crmv1.ReportSchedule)
		refs := append([]crmv1.SourceRef{}, rs.Spec.Sources...)
		for _, rep := range rs.Spec.Reports {
			if rep.KPI != nil && rep.KPI.CampaignSourceRef != nil {
				refs = append(refs, crmv1.SourceRef{Name: rep.KPI.CampaignSourceRef.Name})
			}
		}
		return append(refs, storeSourceRefs(rs.Spec.Output.Store)...)
	}); err != nil {
		return err
	}
	if err := mgr.GetFieldIndexer().IndexField(context.Background(), &crmv1.ReportSchedule{}, modelIndex, func(o client.Object) []string {
		if ref := o.(*crmv1.ReportSchedule).Spec.ModelRef; ref != nil {
			return []string{ref.Name}
		}
		return nil
	}); err != nil {
		return fmt.Errorf("index schedules by model: %w", err)
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("reportschedule").
		For(&crmv1.ReportSchedule{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Owns(&batchv1.Job{}).
		Watches(&crmv1.DataSource{}, handler.EnqueueRequestsFromMapFunc(mapBySource(mgr.GetClient(), &crmv1.ReportScheduleList{})),
			builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, readyChanged()))).
		// A model appearing or going away changes whether the schedules
		// that name it can run (spec changes reach them with their next run).
		Watches(&crmv1.SegmentationModel{}, handler.EnqueueRequestsFromMapFunc(mapByIndex(mgr.GetClient(), &crmv1.ReportScheduleList{}, modelIndex)),
			builder.WithPredicates(createOrDelete())).
		Complete(r)
}

// modelIndex indexes schedules by spec.modelRef.name.
const modelIndex = ".spec.modelRef.name"

// createOrDelete passes only creations and deletions.
func createOrDelete() predicate.Funcs {
	return predicate.Funcs{
		UpdateFunc:  func(event.UpdateEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}

// readyChanged passes updates in which the object's Ready condition changed
// status: a source that recovers brings the retry of what failed on it.
func readyChanged() predicate.Funcs {
	return predicate.Funcs{
		UpdateFunc: func(e event.UpdateEvent) bool {
			o, ok1 := e.ObjectOld.(*crmv1.DataSource)
			n, ok2 := e.ObjectNew.(*crmv1.DataSource)
			if !ok1 || !ok2 {
				return false
			}
			return meta.IsStatusConditionTrue(o.Status.Conditions, crmv1.ConditionReady) != meta.IsStatusConditionTrue(n.Status.Conditions, crmv1.ConditionReady)
		},
		CreateFunc:  func(event.CreateEvent) bool { return false },
		DeleteFunc:  func(event.DeleteEvent) bool { return false },
		GenericFunc: func(event.GenericEvent) bool { return false },
	}
}
