package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
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
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if rs.DeletionTimestamp != nil {
		return ctrl.Result{}, nil
	}
	orig := rs.Status.DeepCopy()
	origAnnots := rs.GetAnnotations()[annotationAlertStreaks]
	now := r.clock().Now()
	gen := rs.Generation

	jobs, err := ownedJobs(ctx, r.Client, &rs, kindSchedule)
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
	switch {
	case err != nil:
		// Users fix the spec; its watch event brings us back. No polling.
		setCondition(&rs.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionFalse, ReasonInvalidSchedule, err.Error())
		rs.Status.NextScheduleTime = nil
	case rs.Spec.Suspend:
		setCondition(&rs.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionTrue, ReasonSuspended, "the schedule is suspended; no new runs start")
		rs.Status.NextScheduleTime = nil
	default:
		if err := r.scheduleRun(ctx, &rs, d, now); err != nil {
			return ctrl.Result{}, err
		}
		next := metav1.NewTime(d.Next)
		rs.Status.NextScheduleTime = &next
		result.RequeueAfter = d.RequeueAfter
		setCondition(&rs.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionTrue, ReasonScheduled, "the schedule is valid and runs are scheduled")
	}
	if err == nil {
		if err := r.runNow(ctx, &rs, now); err != nil {
			return requeueOnConflict(err)
		}
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
	fx.run()
	return result, nil
}

func timePtr(t *metav1.Time) *time.Time {
	if t == nil {
		return nil
	}
	v := t.Time
	return &v
}

// scheduleRun starts the due run, honouring the concurrency policy.
func (r *ReportScheduleReconciler) scheduleRun(ctx context.Context, rs *crmv1.ReportSchedule, d schedule.Decision, now time.Time) error {
	if d.Due == nil {
		return nil
	}
	if rs.Status.LastScheduleTime != nil && rs.Status.LastScheduleTime.Time.Equal(*d.Due) {
		return nil
	}
	name := jobName(rs.Name, schedule.JobSuffix(*d.Due))
	due := metav1.NewTime(*d.Due)
	for _, a := range rs.Status.Active {
		if a.Name == name {
			// Started before a status write was lost (e.g. a conflict).
			rs.Status.LastScheduleTime = &due
			return nil
		}
	}
	if d.Missed == schedule.ManyMissed {
		r.Recorder.Eventf(rs, nil, corev1.EventTypeWarning, "TooManyMissedTimes", "Schedule",
			"too many missed start times (> %d); starting only the most recent. Set or decrease .spec.startingDeadlineSeconds or check clock skew", schedule.MaxMissed)
	}
	switch rs.Spec.ConcurrencyPolicy {
	case crmv1.ConcurrencyForbid:
		if len(rs.Status.Active) > 0 {
			r.Recorder.Eventf(rs, nil, corev1.EventTypeNormal, "JobAlreadyActive", "Schedule", "not starting the run of %s: the previous run is still active and concurrencyPolicy is Forbid", d.Due.UTC().Format(time.RFC3339))
			return nil
		}
	case crmv1.ConcurrencyReplace:
		for _, a := range rs.Status.Active {
			j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: a.Namespace, Name: a.Name}}
			if err := r.Delete(ctx, j, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
				return fmt.Errorf("replace Job %s: %w", a.Name, err)
			}
			r.Recorder.Eventf(rs, j, corev1.EventTypeNormal, "SuccessfulDelete", "Schedule", "deleted Job %s to replace it (concurrencyPolicy Replace)", a.Name)
		}
		rs.Status.Active = nil
	}
	job, err := r.start(ctx, rs, name, "schedule", map[string]string{runplan.AnnotationScheduledTime: d.Due.UTC().Format(time.RFC3339)})
	if err != nil {
		return err
	}
	if job != nil {
		rs.Status.Active = append(rs.Status.Active, corev1.ObjectReference{APIVersion: "batch/v1", Kind: "Job", Namespace: job.Namespace, Name: job.Name, UID: job.UID})
	}
	rs.Status.LastScheduleTime = &due
	return nil
}

// runNow starts a run for a new crmlens.io/run-now value.
func (r *ReportScheduleReconciler) runNow(ctx context.Context, rs *crmv1.ReportSchedule, now time.Time) error {
	v := rs.GetAnnotations()[crmv1.RunNowAnnotation]
	if v == "" || v == rs.GetAnnotations()[crmv1.LastRunNowAnnotation] {
		return nil
	}
	name := jobName(rs.Name, "n"+shortHash(v))
	job, err := r.start(ctx, rs, name, "run-now", nil)
	if err != nil {
		return err
	}
	if job != nil {
		rs.Status.Active = append(rs.Status.Active, corev1.ObjectReference{APIVersion: "batch/v1", Kind: "Job", Namespace: job.Namespace, Name: job.Name, UID: job.UID})
	}
	patch := client.MergeFromWithOptions(rs.DeepCopy(), client.MergeFromWithOptimisticLock{})
	rs.Annotations[crmv1.LastRunNowAnnotation] = v
	status := rs.Status.DeepCopy()
	if err := r.Patch(ctx, rs, patch); err != nil {
		return fmt.Errorf("record %s: %w", crmv1.LastRunNowAnnotation, err)
	}
	rs.Status = *status
	return nil
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

// start creates a report Job; it returns nil (no error) when a referenced
// object is missing, after setting the condition.
func (r *ReportScheduleReconciler) start(ctx context.Context, rs *crmv1.ReportSchedule, name, trigger string, annots map[string]string) (*batchv1.Job, error) {
	plan, secrets, err := r.plan(ctx, rs, name)
	if err != nil {
		if m, ok := err.(*MissingRefError); ok {
			setCondition(&rs.Status.Conditions, rs.Generation, crmv1.ConditionDegraded, metav1.ConditionTrue, m.Reason, m.Msg)
			r.Recorder.Eventf(rs, nil, corev1.EventTypeWarning, m.Reason, "Schedule", "run %s not started: %s", name, m.Msg)
			return nil, nil
		}
		return nil, err
	}
	anchorSamples(plan.Sources, plan.Created)
	encoded, err := plan.Encode()
	if err != nil {
		return nil, err
	}
	job := r.buildJob(jobSpec{owner: rs, kind: kindSchedule, name: name, plan: encoded, secrets: secrets, settings: rs.Spec.Job, trigger: trigger, annots: annots})
	if err := ctrl.SetControllerReference(rs, job, r.Scheme); err != nil {
		return nil, fmt.Errorf("owner reference: %w", err)
	}
	if err := r.Create(ctx, job); err != nil {
		if !apierrors.IsAlreadyExists(err) {
			return nil, fmt.Errorf("create Job %s: %w", name, err)
		}
		if err := r.Get(ctx, client.ObjectKeyFromObject(job), job); err != nil {
			return nil, fmt.Errorf("get existing Job %s: %w", name, err)
		}
		// Listed as active even when it already finished, so the next
		// reconcile absorbs its result exactly once.
		return job, nil
	}
	r.Recorder.Eventf(rs, job, corev1.EventTypeNormal, "SuccessfulCreate", "Schedule", "created report Job %s (%s)", name, trigger)
	return job, nil
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
			fp := &runplan.Forecast{Unit: strings.ToLower(string(f.Period)), Horizon: int(f.Horizon)}
			if f.SeasonLength != nil {
				fp.SeasonLength = int(*f.SeasonLength)
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
		_, out, err := readResult(cm, cmErr, j.Name)
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
			setCondition(&rs.Status.Conditions, gen, crmv1.ConditionDegraded, metav1.ConditionFalse, ReasonSucceeded, fmt.Sprintf("run %s succeeded", j.Name))
			fx.add(func() {
				r.Recorder.Eventf(rs, j, corev1.EventTypeNormal, ReasonSucceeded, "Report", "report run %s succeeded", j.Name)
				metrics.ObserveRun(metrics.KindSchedule, rs.Namespace, rs.Name, metrics.Succeeded, dur, float64(finished.Unix()))
			})
			metrics.SetKPIs(metrics.KindSchedule, rs.Namespace, rs.Name, out.Metrics)
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
	firing := map[string]bool{}
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
		firing[s.Name] = s.Firing
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
	fx.add(func() {
		metrics.SetAlerts(rs.Namespace, rs.Name, firing)
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

// notify posts alert transitions to the webhook, in the background so a
// slow receiver never blocks reconciling.
func (r *ReportScheduleReconciler) notify(ctx context.Context, rs *crmv1.ReportSchedule, o alerts.Outcome, at time.Time) {
	wh := rs.Spec.Output.Webhook
	if wh == nil || (len(o.Started) == 0 && len(o.Resolved) == 0) {
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
		started = o.Started
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
	payload := alerts.ToAlerts(alerts.Source{Namespace: rs.Namespace, Name: rs.Name}, started, resolved, at)
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

// SetupWithManager registers the reconciler.
func (r *ReportScheduleReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := indexSources(mgr, &crmv1.ReportSchedule{}, func(o client.Object) []crmv1.SourceRef {
		return o.(*crmv1.ReportSchedule).Spec.Sources
	}); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("reportschedule").
		For(&crmv1.ReportSchedule{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Owns(&batchv1.Job{}).
		Watches(&crmv1.DataSource{}, handler.EnqueueRequestsFromMapFunc(mapBySource(mgr.GetClient(), &crmv1.ReportScheduleList{})),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(r)
}
