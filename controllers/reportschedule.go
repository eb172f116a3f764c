package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
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
	"github.com/crmlens/crmlens/internal/runplan"
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

func (r *ReportScheduleReconciler) clock() schedule.Clock {
	if r.Clock == nil {
		return schedule.RealClock{}
	}
	return r.Clock
}

// Reconcile implements the schedule.
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
	missing, refErr := r.checkRefs(ctx, &rs)
	if refErr != nil {
		return ctrl.Result{}, refErr
	}
	switch {
	case err != nil:
		// Users fix the spec; its watch event brings us back. No polling.
		setCondition(&rs.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionFalse, ReasonInvalidSchedule, err.Error())
		rs.Status.NextScheduleTime = nil
	case rs.Spec.Suspend:
		setCondition(&rs.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionTrue, ReasonSuspended, "the schedule is suspended; no new runs start")
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
	if err == nil && !rs.Spec.Suspend {
		if missing != nil {
			setCondition(&rs.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionFalse, missing.Reason, missing.Msg)
		} else {
			setCondition(&rs.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionTrue, ReasonScheduled, "the schedule is valid and runs are scheduled")
		}
	}
	if missing != nil {
		setCondition(&rs.Status.Conditions, gen, crmv1.ConditionDegraded, metav1.ConditionTrue, missing.Reason, missing.Msg)
		if missing.Reason == ReasonServiceAccountNotFound && (result.RequeueAfter == 0 || result.RequeueAfter > serviceAccountRetry) {
			// Not watched: look again after a while.
			result.RequeueAfter = serviceAccountRetry
		}
	} else if c := meta.FindStatusCondition(rs.Status.Conditions, crmv1.ConditionDegraded); c != nil && c.Status == metav1.ConditionTrue && missingRefReasons[c.Reason] {
		setCondition(&rs.Status.Conditions, gen, crmv1.ConditionDegraded, metav1.ConditionFalse, ReasonReferencesFound, "the objects the schedule references exist; runs can start")
	}
	if len(rs.Status.Active) > 0 {
		setCondition(&rs.Status.Conditions, gen, crmv1.ConditionProgressing, metav1.ConditionTrue, ReasonJobRunning, fmt.Sprintf("%d report Job(s) running", len(rs.Status.Active)))
	} else {
		setCondition(&rs.Status.Conditions, gen, crmv1.ConditionProgressing, metav1.ConditionFalse, ReasonIdle, "no report Job is running")
	}
	rs.Status.ObservedGeneration = gen

	if b, _ := json.Marshal(streaks); string(b) != origAnnots && !(len(streaks) == 0 && origAnnots == "") {
		if err := r.saveStreaks(ctx, &rs, string(b)); err != nil {
			return requeueOnConflict(err)
		}
	}
	if err := writeStatus(ctx, r.Client, &rs, orig, &rs.Status); err != nil {
		if apierrors.IsConflict(err) {
			return ctrl.Result{Requeue: true}, nil
		}
		return ctrl.Result{}, err
	}
	publishScheduleGauges(&rs, r.currencyOf(ctx, &rs))
	if orig.ObservedGeneration != gen {
		warnInsecureStore(r.Recorder, &rs, "spec.output.store", rs.Spec.Output.Store)
	}
	fx.run()
	return result, nil
}

// missingRefReasons are the reasons of MissingRefError: a schedule's
// Degraded with one of them clears once the references resolve.
var missingRefReasons = map[string]bool{
	"SourceNotFound": true, "ModelNotFound": true, "InvalidStore": true, "InvalidCampaignSource": true,
	"SecretNotFound": true, "SecretKeyMissing": true, ReasonServiceAccountNotFound: true,
}

// checkRefs renders the plan from the cache (the model and DataSources are
// watched kinds, so this costs no API call) to find a missing reference. The
// runner ServiceAccount is not cached; it is looked up again only while the
// schedule already reports it missing.
func (r *ReportScheduleReconciler) checkRefs(ctx context.Context, rs *crmv1.ReportSchedule) (*MissingRefError, error) {
	var m *MissingRefError
	_, _, err := r.plan(ctx, rs, rs.Name)
	if errors.As(err, &m) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if c := meta.FindStatusCondition(rs.Status.Conditions, crmv1.ConditionDegraded); c != nil && c.Reason == ReasonServiceAccountNotFound {
		err := r.accounts.check(ctx, r.APIReader, rs.Namespace, r.serviceAccount(rs.Spec.Job), time.Now())
		if errors.As(err, &m) {
			return m, nil
		}
		return nil, err
	}
	return nil, nil
}

func timePtr(t *metav1.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.Time
	return &v
}

// scheduleRun starts the due run, honouring the concurrency policy. A run
// that cannot start for a missing reference is returned as such; its slot
// counts as taken, like a CronJob's missed run.
func (r *ReportScheduleReconciler) scheduleRun(ctx context.Context, rs *crmv1.ReportSchedule, d schedule.Decision) (*MissingRefError, error) {
	if d.Due == nil {
		return nil, nil
	}
	if rs.Status.LastScheduleTime != nil && rs.Status.LastScheduleTime.Time.Equal(*d.Due) {
		return nil, nil
	}
	name := jobName(rs.Name, schedule.JobSuffix(*d.Due))
	due := metav1.NewTime(*d.Due)
	for _, a := range rs.Status.Active {
		if a.Name == name {
			// Started before a status write was lost (e.g. a conflict).
			rs.Status.LastScheduleTime = &due
			return nil, nil
		}
	}
	key := client.ObjectKeyFromObject(rs)
	slot := d.Due.UTC().Format(time.RFC3339)
	// Both Events describe this slot: once per slot, however often the
	// schedule is reconciled before the slot is taken (Forbid waits for the
	// active run; Job updates reconcile it meanwhile).
	if d.Missed == schedule.ManyMissed && r.memo.first(key, "TooManyMissedTimes", slot) {
		r.Recorder.Eventf(rs, nil, corev1.EventTypeWarning, "TooManyMissedTimes", "Schedule",
			"too many missed start times (> %d); starting only the most recent. Set or decrease .spec.startingDeadlineSeconds or check clock skew", schedule.MaxMissed)
	}
	switch rs.Spec.ConcurrencyPolicy {
	case crmv1.ConcurrencyForbid:
		if len(rs.Status.Active) > 0 {
			if r.memo.first(key, "JobAlreadyActive", slot) {
				r.Recorder.Eventf(rs, nil, corev1.EventTypeNormal, "JobAlreadyActive", "Schedule", "not starting the run of %s: the previous run is still active and concurrencyPolicy is Forbid", slot)
			}
			return nil, nil
		}
	case crmv1.ConcurrencyReplace:
		for _, a := range rs.Status.Active {
			j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: a.Namespace, Name: a.Name}}
			if err := r.Delete(ctx, j, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("replace Job %s: %w", a.Name, err)
			}
			r.Recorder.Eventf(rs, j, corev1.EventTypeNormal, "SuccessfulDelete", "Schedule", "deleted Job %s to replace it (concurrencyPolicy Replace)", a.Name)
		}
		rs.Status.Active = nil
	}
	job, missing, err := r.start(ctx, rs, name, "schedule", map[string]string{runplan.AnnotationScheduledTime: slot})
	if err != nil {
		return nil, err
	}
	if job != nil {
		rs.Status.Active = append(rs.Status.Active, corev1.ObjectReference{APIVersion: "batch/v1", Kind: "Job", Namespace: job.Namespace, Name: job.Name, UID: job.UID})
	}
	rs.Status.LastScheduleTime = &due
	return missing, nil
}

// runNow starts a run for a new crmlens.io/run-now value. A run that cannot
// start is returned as missing and the value is not marked handled.
func (r *ReportScheduleReconciler) runNow(ctx context.Context, rs *crmv1.ReportSchedule) (*MissingRefError, error) {
	v := rs.GetAnnotations()[crmv1.RunNowAnnotation]
	if v == "" || v == rs.GetAnnotations()[crmv1.LastRunNowAnnotation] {
		return nil, nil
	}
	name := jobName(rs.Name, "n"+shortHash(v))
	job, missing, err := r.start(ctx, rs, name, "run-now", nil)
	if err != nil || missing != nil {
		return missing, err
	}
	rs.Status.Active = append(rs.Status.Active, corev1.ObjectReference{APIVersion: "batch/v1", Kind: "Job", Namespace: job.Namespace, Name: job.Name, UID: job.UID})
	patch := client.MergeFromWithOptions(rs.DeepCopy(), client.MergeFromWithOptimisticLock{})
	rs.Annotations[crmv1.LastRunNowAnnotation] = v
	status := rs.Status.DeepCopy()
	if err := r.Patch(ctx, rs, patch); err != nil {
		return nil, fmt.Errorf("record %s: %w", crmv1.LastRunNowAnnotation, err)
	}
	rs.Status = *status
	return nil, nil
}

func (r *ReportScheduleReconciler) saveStreaks(ctx context.Context, rs *crmv1.ReportSchedule, v string) error {
	patch := client.MergeFromWithOptions(rs.DeepCopy(), client.MergeFromWithOptimisticLock{})
	if rs.Annotations == nil {
		rs.Annotations = map[string]string{}
	}
	rs.Annotations[annotationAlertStreaks] = v
	status := rs.Status.DeepCopy()
	if err := r.Patch(ctx, rs, patch); err != nil {
		return fmt.Errorf("record alert streaks: %w", err)
	}
	rs.Status = *status
	return nil
}

// start creates a report Job. A missing referenced object (DataSource,
// model, store, runner ServiceAccount) is returned as missing, with a
// Warning Event once per run and reason; the caller sets the conditions.
func (r *ReportScheduleReconciler) start(ctx context.Context, rs *crmv1.ReportSchedule, name, trigger string, annots map[string]string) (*batchv1.Job, *MissingRefError, error) {
	plan, secrets, err := r.plan(ctx, rs, name)
	if err == nil {
		err = r.accounts.check(ctx, r.APIReader, rs.Namespace, r.serviceAccount(rs.Spec.Job), time.Now())
	}
	if err != nil {
		var m *MissingRefError
		if errors.As(err, &m) {
			if r.memo.first(client.ObjectKeyFromObject(rs), "NotStarted", name+"/"+m.Reason) {
				r.Recorder.Eventf(rs, nil, corev1.EventTypeWarning, m.Reason, "Schedule", "run %s not started: %s", name, m.Msg)
			}
			return nil, m, nil
		}
		return nil, nil, err
	}
	anchorSamples(plan.Sources, plan.Created)
	encoded, err := plan.Encode()
	if err != nil {
		return nil, nil, err
	}
	job := r.buildJob(jobSpec{owner: rs, kind: kindSchedule, name: name, plan: encoded, secrets: secrets, settings: rs.Spec.Job, trigger: trigger, annots: annots})
	if err := ctrl.SetControllerReference(rs, job, r.Scheme); err != nil {
		return nil, nil, fmt.Errorf("owner reference: %w", err)
	}
	if err := r.Create(ctx, job); err != nil {
		if !apierrors.IsAlreadyExists(err) {
			return nil, nil, fmt.Errorf("create Job %s: %w", name, err)
		}
		if err := r.Get(ctx, client.ObjectKeyFromObject(job), job); err != nil {
			return nil, nil, fmt.Errorf("get existing Job %s: %w", name, err)
		}
		// Listed as active even when it already finished, so the next
		// reconcile absorbs its result exactly once.
		return job, nil, nil
	}
	r.Recorder.Eventf(rs, job, corev1.EventTypeNormal, "SuccessfulCreate", "Schedule", "created report Job %s (%s)", name, trigger)
	return job, nil, nil
}

func (r *ReportScheduleReconciler) plan(ctx context.Context, rs *crmv1.ReportSchedule, run string) (*runplan.Plan, []secretUse, error) {
	refs := rs.Spec.Sources
	clean := rs.Spec.Cleaning
	method := "RFM"
	var model *crmv1.SegmentationModel
	if rs.Spec.ModelRef != nil {
		var m crmv1.SegmentationModel
		if err := r.Get(ctx, client.ObjectKey{Namespace: rs.Namespace, Name: rs.Spec.ModelRef.Name}, &m); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, nil, &MissingRefError{Reason: "ModelNotFound", Msg: fmt.Sprintf("SegmentationModel %q not found", rs.Spec.ModelRef.Name)}
			}
			return nil, nil, err
		}
		model = &m
		if len(refs) == 0 {
			refs = m.Spec.Sources
		}
		if clean == nil {
			clean = m.Spec.Cleaning
		}
	}
	srcs, err := loadSources(ctx, r.Client, rs.Namespace, refs)
	if err != nil {
		return nil, nil, err
	}
	camps, err := campaignSources(ctx, r.Client, rs.Namespace, rs.Spec.Reports, refs)
	if err != nil {
		return nil, nil, err
	}
	srcs = append(srcs, camps...)
	a := runplan.Analysis{Method: method, Cleaning: cleaning(clean)}
	if model != nil {
		// The model's method and parameters, but the schedule's own window:
		// reports such as cohorts and forecasts need the longer history.
		a = modelAnalysis(model)
		a.Cleaning = cleaning(clean)
		a.WindowSeconds = 0
	}
	if rs.Spec.Window != nil {
		a.WindowSeconds = int64(rs.Spec.Window.Duration / time.Second)
	}
	for _, rep := range rs.Spec.Reports {
		a.Reports = append(a.Reports, string(rep.Type))
		if k := rep.KPI; k != nil {
			a.KPIActiveDays = days(k.ActiveWithin.Duration)
			a.KPIChurnDays = days(k.ChurnedAfter.Duration)
			a.KPIResponseDays = days(k.ResponseWindow.Duration)
		}
		if p := rep.Pareto; p != nil && p.RevenueShare != "" {
			a.ParetoShare, _ = strconv.ParseFloat(string(p.RevenueShare), 64)
		}
		if v := rep.VIP; v != nil {
			vp := &runplan.VIP{}
			if v.TopFraction != nil {
				vp.TopPercent = dec(string(*v.TopFraction)) * 100
			}
			vp.Segments = v.Segments
			for _, b := range v.SpendBuckets {
				vp.SpendBuckets = append(vp.SpendBuckets, dec(string(b)))
			}
			a.VIP = vp
		}
		if b := rep.Basket; b != nil {
			a.Basket = &runplan.Basket{MinSupport: dec(string(b.MinSupport)), MinConfidence: dec(string(b.MinConfidence)), MinLift: dec(string(b.MinLift)),
				MaxRules: int(b.MaxRules), Item: strings.ToLower(b.Level)}
		}
		if f := rep.Forecast; f != nil {
			fp := &runplan.Forecast{Unit: strings.ToLower(string(f.Period)), Horizon: int(f.Horizon), Seasonality: strings.ToLower(string(f.Seasonality))}
			if f.SeasonLength != nil {
				fp.SeasonLength = int(*f.SeasonLength)
				if fp.SeasonLength == 0 {
					fp.Seasonality = "none" // no seasonal component: the trend model
				}
			}
			if fp.Unit == "quarter" {
				// The engine steps in days, weeks or months: a quarter is three months.
				fp.Unit, fp.Horizon = "month", fp.Horizon*3
			}
			a.Forecast = fp
		}
	}
	if v := rs.Spec.VIPActivityDrop; v != nil {
		if a.VIP == nil {
			a.VIP = &runplan.VIP{}
		}
		a.VIP.DropThreshold = dec(string(v.Threshold))
		a.VIP.RecentDays = days(v.Recent.Duration)
		a.VIP.BaselineDays = days(v.Baseline.Duration)
	}
	p := &runplan.Plan{
		Owner:           runplan.Owner{APIVersion: crmv1.GroupVersion.String(), Kind: kindSchedule, Namespace: rs.Namespace, Name: rs.Name, UID: string(rs.UID)},
		Run:             run,
		ResultConfigMap: run,
		Analysis:        a,
		Created:         r.clock().Now().UTC(),
	}
	var secrets []secretUse
	for _, s := range srcs {
		p.Sources = append(p.Sources, s.Source)
		secrets = append(secrets, s.Secrets...)
	}
	store, ss, err := renderStore(ctx, r.Client, rs.Namespace, rs.Spec.Output.Store)
	if err != nil {
		return nil, nil, err
	}
	p.Store = store
	// The HTML report compares with the last result and lists the alerts
	// this run fires.
	p.PreviousResultConfigMap = rs.Status.ResultConfigMap
	p.Alerts = alertPlan(rs)
	pz, ps := renderPseudonymize(rs.Spec.Output.Pseudonymize)
	p.Pseudonymize = pz
	return p, append(append(secrets, ss...), ps...), nil
}

// absorb processes a run that finished since the last reconcile: KPIs,
// alerts, Events, metrics.
func (r *ReportScheduleReconciler) absorb(ctx context.Context, rs *crmv1.ReportSchedule, j *batchv1.Job, st jobState, cond *batchv1.JobCondition, streaks map[string]int, now time.Time, fx *effects) {
	gen := rs.Generation
	cm := &corev1.ConfigMap{}
	cmErr := r.APIReader.Get(ctx, client.ObjectKey{Namespace: rs.Namespace, Name: j.Name}, cm)
	dur := jobDuration(j)
	if st == jobSucceeded {
		doc, out, err := readResult(cm, cmErr, j.Name)
		if err == nil {
			finished := metav1.NewTime(out.FinishedAt)
			if j.Status.CompletionTime != nil {
				finished = *j.Status.CompletionTime
			}
			prevKPIs := rs.Status.KPIs
			rs.Status.KPIs = map[string]string{}
			for k, v := range out.Metrics {
				rs.Status.KPIs[k] = alerts.FormatValue(v)
			}
			rs.Status.LastSuccessfulTime = &finished
			rs.Status.LastRunName = j.Name
			rs.Status.ResultConfigMap = j.Name
			setCondition(&rs.Status.Conditions, gen, crmv1.ConditionDegraded, metav1.ConditionFalse, ReasonSucceeded, fmt.Sprintf("run %s succeeded%s", j.Name, warningsNote(doc)))
			fx.add(func() {
				r.Recorder.Eventf(rs, j, corev1.EventTypeNormal, ReasonSucceeded, "Report", "report run %s succeeded", j.Name)
				warningEvent(r.Recorder, rs, j, j.Name, "Report", doc)
				metrics.ObserveRun(metrics.KindSchedule, rs.Namespace, rs.Name, metrics.Succeeded, dur, float64(finished.Unix()))
			})
			r.evaluateAlerts(ctx, rs, out.Metrics, parseKPIs(prevKPIs), streaks, finished.Time, fx)
			return
		}
		cond = &batchv1.JobCondition{Reason: "ResultMissing", Message: err.Error()}
	}
	reason, msg := failureOf(cm, cmErr, j.Name, cond)
	rs.Status.LastRunName = j.Name
	setCondition(&rs.Status.Conditions, gen, crmv1.ConditionDegraded, metav1.ConditionTrue, reason, fmt.Sprintf("run %s failed: %s", j.Name, msg))
	fx.add(func() {
		metrics.ObserveRun(metrics.KindSchedule, rs.Namespace, rs.Name, metrics.Failed, dur, 0)
		r.Recorder.Eventf(rs, j, corev1.EventTypeWarning, ReasonRunFailed, "Report", "report run %s failed (%s): %s", j.Name, reason, msg)
	})
}

func parseKPIs(m map[string]string) map[string]float64 {
	out := map[string]float64{}
	for k, v := range m {
		if f, err := strconv.ParseFloat(v, 64); err == nil {
			out[k] = f
		}
	}
	return out
}

// evaluateAlerts applies the rules and surfaces transitions.
func (r *ReportScheduleReconciler) evaluateAlerts(ctx context.Context, rs *crmv1.ReportSchedule, cur, prev map[string]float64, streaks map[string]int, at time.Time, fx *effects) {
	rules, drops := alertRules(rs)
	if len(rules) == 0 && len(drops) == 0 {
		setCondition(&rs.Status.Conditions, rs.Generation, crmv1.ConditionAlertFiring, metav1.ConditionFalse, ReasonNoAlerts, "no alert rules")
		return
	}
	var previous []alerts.State
	for _, f := range rs.Status.Alerts {
		previous = append(previous, alerts.State{Name: f.Name, Firing: true, Value: f.Value, Threshold: f.Threshold, Severity: string(f.Severity), Since: f.Since.Time, Holds: streaks[f.Name]})
	}
	known := map[string]bool{}
	for _, p := range previous {
		known[p.Name] = true
	}
	for name, n := range streaks {
		if !known[name] {
			previous = append(previous, alerts.State{Name: name, Holds: n})
		}
	}
	o := alerts.Evaluate(rules, drops, cur, prev, previous, at)
	rs.Status.Alerts = nil
	for k := range streaks {
		delete(streaks, k)
	}
	metricOf := map[string]string{}
	for _, ru := range rules {
		metricOf[ru.Name] = ru.Metric
	}
	for _, d := range drops {
		metricOf[d.Name] = d.Metric
	}
	for _, s := range o.States {
		if s.Holds > 0 {
			streaks[s.Name] = s.Holds
		}
		if s.Firing {
			sev := crmv1.Severity(s.Severity)
			if sev == "" {
				sev = crmv1.SeverityWarning
			}
			rs.Status.Alerts = append(rs.Status.Alerts, crmv1.FiringAlert{Name: s.Name, Metric: metricOf[s.Name], Value: s.Value, Threshold: s.Threshold, Severity: sev, Since: metav1.NewTime(s.Since), Message: s.Message})
		}
	}
	rs.Status.FiringAlerts = int32(len(rs.Status.Alerts))
	// The firing gauges follow from status.alerts once it is written
	// (publishScheduleGauges).
	fx.add(func() {
		for _, s := range o.Started {
			r.Recorder.Eventf(rs, nil, corev1.EventTypeWarning, "AlertFiring", "Alert", "alert %s fires: %s", s.Name, s.Message)
		}
		for _, s := range o.Resolved {
			r.Recorder.Eventf(rs, nil, corev1.EventTypeNormal, "AlertResolved", "Alert", "alert %s resolved: %s", s.Name, s.Message)
		}
	})
	names := o.Firing()
	switch {
	case len(names) > 0:
		setCondition(&rs.Status.Conditions, rs.Generation, crmv1.ConditionAlertFiring, metav1.ConditionTrue, ReasonAlertsFiring, "firing: "+strings.Join(names, ", "))
	default:
		setCondition(&rs.Status.Conditions, rs.Generation, crmv1.ConditionAlertFiring, metav1.ConditionFalse, ReasonNoAlerts, "no alert fires")
	}
	if len(o.Problems) > 0 {
		sort.Strings(o.Problems)
		setCondition(&rs.Status.Conditions, rs.Generation, crmv1.ConditionDegraded, metav1.ConditionTrue, "UnknownMetric", strings.Join(o.Problems, "; "))
	}
	fx.add(func() { r.notify(ctx, rs, o, at) })
}

// notify posts the evaluation's firing alerts (every run they fire, not
// only when they start: Alertmanager forgets an alert whose endsAt passed)
// and its resolved ones to the webhook, in the background so a slow receiver
// never blocks reconciling. It runs after the status write, so
// status.nextScheduleTime is that of this reconcile.
func (r *ReportScheduleReconciler) notify(ctx context.Context, rs *crmv1.ReportSchedule, o alerts.Outcome, at time.Time) {
	wh := rs.Spec.Output.Webhook
	var firing []alerts.State
	for _, s := range o.States {
		if s.Firing {
			firing = append(firing, s)
		}
	}
	if wh == nil || (len(firing) == 0 && len(o.Resolved) == 0) {
		return
	}
	wants := func(e crmv1.WebhookEvent) bool {
		if len(wh.Events) == 0 {
			return true
		}
		for _, x := range wh.Events {
			if x == e {
				return true
			}
		}
		return false
	}
	var started, resolved []alerts.State
	if wants("AlertFiring") {
		started = firing
	}
	if wants("AlertResolved") {
		resolved = o.Resolved
	}
	url := wh.URL
	if wh.URLSecretRef != nil {
		var s corev1.Secret
		if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: rs.Namespace, Name: wh.URLSecretRef.Name}, &s); err != nil {
			r.Recorder.Eventf(rs, nil, corev1.EventTypeWarning, "WebhookFailed", "Notify", "webhook URL Secret %q unreadable", wh.URLSecretRef.Name)
			return
		}
		url = strings.TrimSpace(string(s.Data[wh.URLSecretRef.Key]))
		if url == "" {
			r.Recorder.Eventf(rs, nil, corev1.EventTypeWarning, "WebhookFailed", "Notify", "webhook URL Secret %q has no key %q (or it is empty)", wh.URLSecretRef.Name, wh.URLSecretRef.Key)
			return
		}
	}
	if url == "" {
		return
	}
	if len(started) == 0 && len(resolved) == 0 {
		return
	}
	payload := alerts.ToAlerts(alerts.Source{Namespace: rs.Namespace, Name: rs.Name}, started, resolved, at, firingUntil(rs, r.clock().Now()))
	n := r.Notifier
	if n == nil {
		n = &alerts.Notifier{}
	}
	timeout := 2 * time.Minute
	rec, obj := r.Recorder, rs.DeepCopy()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := n.Post(ctx, url, payload); err != nil {
			rec.Eventf(obj, nil, corev1.EventTypeWarning, "WebhookFailed", "Notify", "alert notification failed: %v", err)
		}
	}()
}

// firingUntil is the endsAt of a firing alert posted now: past the end of
// the next run (the next schedule time plus the Job's deadline and a
// margin), which posts it again if it still fires. Without a next schedule
// time (suspended), a day from now: a suspended schedule's alerts then
// resolve in Alertmanager, while status keeps them.
func firingUntil(rs *crmv1.ReportSchedule, now time.Time) time.Time {
	deadline := time.Hour
	if j := rs.Spec.Job; j != nil && j.ActiveDeadlineSeconds != nil {
		deadline = time.Duration(*j.ActiveDeadlineSeconds) * time.Second
	}
	next := now.Add(24 * time.Hour)
	if n := rs.Status.NextScheduleTime; n != nil && n.After(now) {
		next = n.Time
	}
	return next.Add(deadline + alertEndsAtMargin)
}

// alertEndsAtMargin covers a run that starts late or takes long to be absorbed.
const alertEndsAtMargin = 15 * time.Minute

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
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
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
