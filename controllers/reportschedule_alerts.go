package controllers

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/alerts"
	"github.com/crmlens/crmlens/internal/metrics"
	"github.com/crmlens/crmlens/internal/runplan"
)

// absorb processes a run that finished since the last reconcile: KPIs,
// alerts, Events, metrics.
func (r *ReportScheduleReconciler) absorb(ctx context.Context, rs *crmv1.ReportSchedule, j *batchv1.Job, st jobState, cond *batchv1.JobCondition, streaks map[string]int, now time.Time, fx *effects) {
	gen := rs.Generation
	cm := &corev1.ConfigMap{}
	cmErr := r.APIReader.Get(ctx, client.ObjectKey{Namespace: rs.Namespace, Name: j.Name}, cm)
	dur := jobDuration(j, now)
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
			rs.Status.Retry = nil
			setCondition(&rs.Status.Conditions, gen, crmv1.ConditionDegraded, metav1.ConditionFalse, crmv1.ReasonSucceeded, fmt.Sprintf("run %s succeeded%s", j.Name, warningsNote(doc)))
			reads := sourceReads(rs.Namespace, r.sourceRefs(ctx, rs), doc, finished, kindSchedule+"/"+rs.Namespace+"/"+j.Name)
			kpis := rs.Status.KPIs
			fx.add(func() {
				r.notifyRun(ctx, rs, alerts.Run{Name: j.Name, Succeeded: true, KPIs: kpis}, finished.Time)
				r.Recorder.Eventf(rs, j, corev1.EventTypeNormal, string(crmv1.ReasonSucceeded), "Report", "report run %s succeeded", j.Name)
				warningEvent(r.Recorder, rs, j, j.Name, "Report", doc)
				metrics.ObserveRun(metrics.KindSchedule, rs.Namespace, rs.Name, metrics.Succeeded, dur, float64(finished.Unix()))
				recordSourceReads(ctx, r.Client, reads)
			})
			r.evaluateAlerts(ctx, rs, out, parseKPIs(prevKPIs), streaks, finished.Time, fx)
			return
		}
		cond = &batchv1.JobCondition{Reason: string(crmv1.ReasonResultMissing), Message: err.Error()}
	}
	reason, msg := failureOf(cm, cmErr, j.Name, cond)
	rs.Status.LastRunName = j.Name
	rs.Status.Retry = recordFailure(rs.Status.Retry, reason, jobFinishTime(j, now), string(rs.UID))
	setCondition(&rs.Status.Conditions, gen, crmv1.ConditionDegraded, metav1.ConditionTrue, reason, fmt.Sprintf("run %s failed: %s", j.Name, msg))
	fx.add(func() {
		r.notifyRun(ctx, rs, alerts.Run{Name: j.Name, Reason: string(reason), Message: msg}, now)
		metrics.ObserveRun(metrics.KindSchedule, rs.Namespace, rs.Name, metrics.Failed, dur, 0)
		r.Recorder.Eventf(rs, j, corev1.EventTypeWarning, string(crmv1.ReasonRunFailed), "Report", "report run %s failed (%s): %s", j.Name, reason, msg)
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
func (r *ReportScheduleReconciler) evaluateAlerts(ctx context.Context, rs *crmv1.ReportSchedule, out *runplan.Outcome, prev map[string]float64, streaks map[string]int, at time.Time, fx *effects) {
	rules, drops := alertRules(rs)
	if len(rules) == 0 && len(drops) == 0 {
		setCondition(&rs.Status.Conditions, rs.Generation, crmv1.ConditionAlertFiring, metav1.ConditionFalse, crmv1.ReasonNoAlerts, "no alert rules")
		return
	}
	a := &runplan.Alerts{Rules: rules, VIPDrops: drops, Previous: previousAlertStates(rs, streaks), PreviousMetrics: prev}
	o, _ := adoptOrEvaluate(a, out.Alerts, out.Metrics, at)
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
			r.Recorder.Eventf(rs, nil, corev1.EventTypeWarning, string(crmv1.ReasonAlertFiring), alertAction(s.Name), "alert %s fires: %s", s.Name, s.Message)
		}
		for _, s := range o.Resolved {
			r.Recorder.Eventf(rs, nil, corev1.EventTypeNormal, string(crmv1.ReasonAlertResolved), alertAction(s.Name), "alert %s resolved: %s", s.Name, s.Message)
		}
	})
	names := o.Firing()
	switch {
	case len(names) > 0:
		setCondition(&rs.Status.Conditions, rs.Generation, crmv1.ConditionAlertFiring, metav1.ConditionTrue, crmv1.ReasonAlertsFiring, "firing: "+strings.Join(names, ", "))
	default:
		setCondition(&rs.Status.Conditions, rs.Generation, crmv1.ConditionAlertFiring, metav1.ConditionFalse, crmv1.ReasonNoAlerts, "no alert fires")
	}
	if len(o.Problems) > 0 {
		sort.Strings(o.Problems)
		setCondition(&rs.Status.Conditions, rs.Generation, crmv1.ConditionDegraded, metav1.ConditionTrue, crmv1.ReasonUnknownMetric, strings.Join(o.Problems, "; "))
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
	var started, resolved []alerts.State
	if wantsEvent(wh, crmv1.WebhookEvent("AlertFiring")) {
		started = firing
	}
	if wantsEvent(wh, crmv1.WebhookEvent("AlertResolved")) {
		resolved = o.Resolved
	}
	if len(started) == 0 && len(resolved) == 0 {
		return
	}
	url, ok := r.webhookURL(ctx, rs)
	if !ok {
		return
	}
	payload := alerts.ToAlerts(alerts.Source{Namespace: rs.Namespace, Name: rs.Name}, started, resolved, at, firingUntil(rs, r.clock().Now()))
	r.post(rs, url, payload)
}

// wantsEvent reports whether the webhook is to be sent event e (all events
// when the list is empty, as for objects built without CRD defaults).
func wantsEvent(wh *crmv1.Webhook, e crmv1.WebhookEvent) bool {
	if wh == nil {
		return false
	}
	return len(wh.Events) == 0 || slices.Contains(wh.Events, e)
}

// notifyRun posts a finished run to the webhook when its events ask for
// RunSucceeded or RunFailed.
func (r *ReportScheduleReconciler) notifyRun(ctx context.Context, rs *crmv1.ReportSchedule, run alerts.Run, at time.Time) {
	e := crmv1.WebhookEvent("RunFailed")
	if run.Succeeded {
		e = "RunSucceeded"
	}
	if !wantsEvent(rs.Spec.Output.Webhook, e) {
		return
	}
	url, ok := r.webhookURL(ctx, rs)
	if !ok {
		return
	}
	r.post(rs, url, []alerts.Alert{alerts.RunAlert(alerts.Source{Namespace: rs.Namespace, Name: rs.Name}, run, at, firingUntil(rs, r.clock().Now()))})
}

// webhookURL is the webhook's URL, read from its Secret when it has one;
// false (with a WebhookFailed Event when the Secret fails) when there is none.
func (r *ReportScheduleReconciler) webhookURL(ctx context.Context, rs *crmv1.ReportSchedule) (string, bool) {
	wh := rs.Spec.Output.Webhook
	url := wh.URL
	if wh.URLSecretRef != nil {
		var s corev1.Secret
		if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: rs.Namespace, Name: wh.URLSecretRef.Name}, &s); err != nil {
			r.Recorder.Eventf(rs, nil, corev1.EventTypeWarning, string(crmv1.ReasonWebhookFailed), "Notify", "webhook URL Secret %q unreadable", wh.URLSecretRef.Name)
			return "", false
		}
		url = strings.TrimSpace(string(s.Data[wh.URLSecretRef.Key]))
		if url == "" {
			r.Recorder.Eventf(rs, nil, corev1.EventTypeWarning, string(crmv1.ReasonWebhookFailed), "Notify", "webhook URL Secret %q has no key %q (or it is empty)", wh.URLSecretRef.Name, wh.URLSecretRef.Key)
			return "", false
		}
	}
	return url, url != ""
}

// post sends the payload in the background, so a slow receiver never
// blocks reconciling; a failure becomes a WebhookFailed Event.
func (r *ReportScheduleReconciler) post(rs *crmv1.ReportSchedule, url string, payload []alerts.Alert) {
	n := r.Notifier
	if n == nil {
		n = &alerts.Notifier{}
	}
	n = n.WithTimeout(webhookTimeout(rs.Spec.Output.Webhook))
	timeout := 2 * time.Minute
	rec, obj := r.Recorder, rs.DeepCopy()
	go func() {
		ctx, cancel := context.WithTimeout(context.Background(), timeout)
		defer cancel()
		if err := n.Post(ctx, url, payload); err != nil {
			rec.Eventf(obj, nil, corev1.EventTypeWarning, string(crmv1.ReasonWebhookFailed), "Notify", "webhook notification failed: %v", err)
		}
	}()
}

// webhookTimeout is output.webhook.timeout, the bound of one POST (10s,
// the CRD default, when unset).
func webhookTimeout(wh *crmv1.Webhook) time.Duration {
	if wh == nil || wh.Timeout == nil || wh.Timeout.Duration <= 0 {
		return 10 * time.Second
	}
	return wh.Timeout.Duration
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

// alertAction is the Event action of one alert's transitions. The events
// API folds Events with the same object, reason and action into one series
// (keeping the first note), so each alert gets its own action and thus its
// own Event: a second alert firing in the same run is not lost.
func alertAction(name string) string {
	a := "Alert:" + name
	if len(a) > 128 { // the API's limit on action
		a = a[:117] + "~" + shortHash(name)
	}
	return a
}
