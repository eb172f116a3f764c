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
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/schedule"
)

// triggerSchedule marks a run started for a schedule slot.
const triggerSchedule = "schedule"

// checkRefs renders the plan from the cache (the model and DataSources are
// watched kinds, so this costs no API call) to find a missing reference. The
// runner ServiceAccount is not cached; it is looked up again only while the
// schedule already reports it missing.
func (r *ReportScheduleReconciler) checkRefs(ctx context.Context, rs *crmv1.ReportSchedule, now time.Time) (*MissingRefError, error) {
	var m *MissingRefError
	_, _, err := r.plan(ctx, rs, rs.Name)
	if errors.As(err, &m) {
		return m, nil
	}
	if err != nil {
		return nil, err
	}
	if c := meta.FindStatusCondition(rs.Status.Conditions, crmv1.ConditionDegraded); c != nil && c.Reason == string(crmv1.ReasonServiceAccountNotFound) {
		err := r.accounts.check(ctx, r.APIReader, rs.Namespace, r.serviceAccount(rs.Spec.Job), now)
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
	if d.Missed == schedule.ManyMissed && r.memo.first(key, string(crmv1.ReasonTooManyMissedTimes), slot) {
		r.Recorder.Eventf(rs, nil, corev1.EventTypeWarning, string(crmv1.ReasonTooManyMissedTimes), "Schedule",
			"too many missed start times (> %d); starting only the most recent. Set or decrease .spec.startingDeadlineSeconds or check clock skew", schedule.MaxMissed)
	}
	switch rs.Spec.ConcurrencyPolicy {
	case crmv1.ConcurrencyForbid:
		if len(rs.Status.Active) > 0 {
			if r.memo.first(key, string(crmv1.ReasonJobAlreadyActive), slot) {
				r.Recorder.Eventf(rs, nil, corev1.EventTypeNormal, string(crmv1.ReasonJobAlreadyActive), "Schedule", "not starting the run of %s: the previous run is still active and concurrencyPolicy is Forbid", slot)
			}
			return nil, nil
		}
	case crmv1.ConcurrencyReplace:
		for _, a := range rs.Status.Active {
			j := &batchv1.Job{ObjectMeta: metav1.ObjectMeta{Namespace: a.Namespace, Name: a.Name}}
			if err := r.Delete(ctx, j, client.PropagationPolicy(metav1.DeletePropagationBackground)); err != nil && !apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("replace Job %s: %w", a.Name, err)
			}
			r.Recorder.Eventf(rs, j, corev1.EventTypeNormal, string(crmv1.ReasonSuccessfulDelete), "Schedule", "deleted Job %s to replace it (concurrencyPolicy Replace)", a.Name)
		}
		rs.Status.Active = nil
	}
	job, missing, err := r.start(ctx, rs, name, triggerSchedule, map[string]string{runplan.AnnotationScheduledTime: slot})
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
	job, missing, err := r.start(ctx, rs, name, triggerRunNow, nil)
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
		err = r.accounts.check(ctx, r.APIReader, rs.Namespace, r.serviceAccount(rs.Spec.Job), r.clock().Now())
	}
	if err != nil {
		var m *MissingRefError
		if errors.As(err, &m) {
			if r.memo.first(client.ObjectKeyFromObject(rs), "NotStarted", name+"/"+string(m.Reason)) {
				r.Recorder.Eventf(rs, nil, corev1.EventTypeWarning, string(m.Reason), "Schedule", "run %s not started: %s", name, m.Msg)
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
	r.Recorder.Eventf(rs, job, corev1.EventTypeNormal, string(crmv1.ReasonSuccessfulCreate), "Schedule", "created report Job %s (%s)", name, trigger)
	return job, nil, nil
}
