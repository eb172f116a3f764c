package controllers

import (
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crmlens/crmlens/analytics/result"
	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/metrics"
	"github.com/crmlens/crmlens/internal/runplan"
)

// absorb reflects a newly finished Job in status, exactly once per Job: the
// result and figures of a success (which ends any retry), or the failure
// and its retry backoff (the previous result stays served).
func (r *SegmentationModelReconciler) absorb(ctx context.Context, m *crmv1.SegmentationModel, j *batchv1.Job, st jobState, cond *batchv1.JobCondition, now time.Time, fx *effects) {
	cmName := resultConfigMapName(m)
	cm := &corev1.ConfigMap{}
	cmErr := r.APIReader.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: cmName}, cm)
	gen := m.Generation
	m.Status.LastRunName = j.Name
	setCondition(&m.Status.Conditions, gen, crmv1.ConditionProgressing, metav1.ConditionFalse, crmv1.ReasonIdle, fmt.Sprintf("analysis Job %s finished", j.Name))
	dur := jobDuration(j, now)
	if st == jobSucceeded {
		doc, out, err := readResult(cm, cmErr, j.Name)
		if err == nil {
			applyModelResult(m, doc, out, cmName)
			finished := metav1.NewTime(out.FinishedAt)
			if j.Status.CompletionTime != nil {
				finished = *j.Status.CompletionTime
			}
			m.Status.LastRunTime = &finished
			m.Status.ResultGeneration = jobGeneration(j, gen)
			m.Status.Retry = nil
			setCondition(&m.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionTrue, crmv1.ReasonSucceeded,
				fmt.Sprintf("%d customers in %d segments (run %s)%s", m.Status.Customers, len(m.Status.Segments), j.Name, warningsNote(doc)))
			setCondition(&m.Status.Conditions, gen, crmv1.ConditionDegraded, metav1.ConditionFalse, crmv1.ReasonSucceeded, "the last run succeeded")
			customers := m.Status.Customers
			reads := sourceReads(m.Namespace, m.Spec.Sources, doc, finished, kindModel+"/"+m.Namespace+"/"+j.Name)
			fx.add(func() {
				r.Recorder.Eventf(m, j, corev1.EventTypeNormal, string(crmv1.ReasonSucceeded), "Analyze", "run %s analysed %d customers", j.Name, customers)
				warningEvent(r.Recorder, m, j, j.Name, "Analyze", doc)
				metrics.ObserveRun(metrics.KindModel, m.Namespace, m.Name, metrics.Succeeded, dur, float64(finished.Unix()))
				recordSourceReads(ctx, r.Client, reads)
			})
			return
		}
		// A Job that reports success without a readable result is a failure.
		cond = &batchv1.JobCondition{Reason: string(crmv1.ReasonResultMissing), Message: err.Error()}
	}
	reason, msg := failureOf(cm, cmErr, j.Name, cond)
	m.Status.Retry = recordFailure(m.Status.Retry, reason, jobFinishTime(j, now), string(m.UID))
	setCondition(&m.Status.Conditions, gen, crmv1.ConditionDegraded, metav1.ConditionTrue, reason, fmt.Sprintf("run %s failed: %s", j.Name, msg))
	if m.Status.ResultConfigMap != "" {
		setCondition(&m.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionTrue, crmv1.ReasonSucceeded,
			fmt.Sprintf("serving the previous result; run %s failed", j.Name))
	} else {
		setCondition(&m.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionFalse, crmv1.ReasonRunFailed, fmt.Sprintf("run %s failed: %s", j.Name, msg))
	}
	fx.add(func() {
		metrics.ObserveRun(metrics.KindModel, m.Namespace, m.Name, metrics.Failed, dur, 0)
		r.Recorder.Eventf(m, j, corev1.EventTypeWarning, string(crmv1.ReasonRunFailed), "Analyze", "run %s failed (%s): %s", j.Name, reason, msg)
	})
}

// jobGeneration is the spec generation a Job ran with (def when unknown).
func jobGeneration(j *batchv1.Job, def int64) int64 {
	if g, err := strconv.ParseInt(j.Annotations[annotationGeneration], 10, 64); err == nil {
		return g
	}
	return def
}

// readResult parses the result document and outcome of run from cm.
func readResult(cm *corev1.ConfigMap, getErr error, run string) (*result.Document, *runplan.Outcome, error) {
	if getErr != nil {
		return nil, nil, fmt.Errorf("result ConfigMap: %w", getErr)
	}
	var out runplan.Outcome
	if err := json.Unmarshal([]byte(cm.Data[runplan.KeyOutcome]), &out); err != nil {
		return nil, nil, fmt.Errorf("result ConfigMap %s: outcome: %w", cm.Name, err)
	}
	if out.Run != run {
		return nil, nil, fmt.Errorf("result ConfigMap %s holds run %q, not %q", cm.Name, out.Run, run)
	}
	var doc result.Document
	if err := json.Unmarshal([]byte(cm.Data[runplan.KeyResult]), &doc); err != nil {
		return nil, nil, fmt.Errorf("result ConfigMap %s: document: %w", cm.Name, err)
	}
	return &doc, &out, nil
}

// failureOf explains a failed run: the runner's own reason when it recorded
// one for this run, else the Job condition's.
func failureOf(cm *corev1.ConfigMap, getErr error, run string, cond *batchv1.JobCondition) (crmv1.Reason, string) {
	if getErr == nil {
		var f runplan.Outcome
		if json.Unmarshal([]byte(cm.Data[runplan.KeyFailure]), &f) == nil && f.Run == run && f.Reason != "" {
			return crmv1.Reason(f.Reason), f.Message
		}
	}
	if cond != nil && cond.Reason != "" {
		return crmv1.Reason(cond.Reason), cond.Message
	}
	return crmv1.ReasonRunFailed, "the analysis Job failed"
}

func applyModelResult(m *crmv1.SegmentationModel, doc *result.Document, out *runplan.Outcome, cmName string) {
	s := &m.Status
	s.Customers = doc.Input.Customers
	s.Transactions = doc.Input.Transactions
	s.Rejected = nil
	for reason, n := range doc.Input.Rejected {
		if n > 0 {
			s.Rejected = append(s.Rejected, crmv1.RejectedRows{Reason: string(reason), Rows: n})
		}
	}
	sort.Slice(s.Rejected, func(i, j int) bool { return s.Rejected[i].Reason < s.Rejected[j].Reason })
	s.Segments = nil
	for _, seg := range doc.Segments {
		s.Segments = append(s.Segments, crmv1.SegmentSummary{Name: seg.Name, Customers: seg.Customers, RevenueShare: strconv.FormatFloat(seg.RevenueShare, 'f', 4, 64)})
	}
	s.Migrations = nil
	for _, mg := range out.Migrations {
		s.Migrations = append(s.Migrations, crmv1.SegmentMigration{From: mg.From, To: mg.To, Customers: mg.Customers})
	}
	s.ResultConfigMap = cmName
	s.ResultLocation = out.ResultLocation
	// The gauges follow from this status once it is written (publishModelGauges).
}

func resultConfigMapName(m *crmv1.SegmentationModel) string { return m.ResultConfigMapName() }
