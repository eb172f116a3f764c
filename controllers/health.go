package controllers

import (
	"fmt"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// progress is what a reconcile found about an object's work, from which the
// kstatus conditions (Reconciling, Stalled) follow.
type progress struct {
	// Blocked is a reference that does not resolve or a spec that cannot
	// work: nothing runs until someone acts.
	Blocked *MissingRefError
	// Running names the Job that is running (or was just created).
	Running string
	// Retry is the retry of the last failure, if any.
	Retry *crmv1.RetryStatus
	// Pending says the current generation has not been acted on yet (its
	// run is about to be created).
	Pending bool
}

// condition is a condition to set, without its generation.
type condition struct {
	Status  metav1.ConditionStatus
	Reason  crmv1.Reason
	Message string
}

// kstatusConditions derives Reconciling and Stalled from progress. They are
// never both True (kstatus reads the first True one): a blocked object is
// Stalled; running, pending or retrying a transient failure is Reconciling;
// a failure that needs a person is Stalled while its retries go on.
func kstatusConditions(p progress, now time.Time) (reconciling, stalled condition) {
	reconciling = condition{metav1.ConditionFalse, crmv1.ReasonReconciled, "the declared state is reached"}
	stalled = condition{metav1.ConditionFalse, crmv1.ReasonReconciled, "nothing blocks reconciling"}
	switch {
	case p.Blocked != nil:
		stalled = condition{metav1.ConditionTrue, p.Blocked.Reason, p.Blocked.Msg}
		reconciling.Message = "blocked: see Stalled"
	case p.Running != "":
		reconciling = condition{metav1.ConditionTrue, crmv1.ReasonJobRunning, fmt.Sprintf("analysis Job %s is running", p.Running)}
	case p.Retry != nil && p.Retry.NextRetryTime != nil:
		msg := fmt.Sprintf("attempt %d failed (%s); next retry at %s (in %s) or as soon as a DataSource it reads turns Ready",
			p.Retry.Attempts, p.Retry.LastFailureReason, p.Retry.NextRetryTime.UTC().Format(time.RFC3339), p.Retry.NextRetryTime.Sub(now).Round(time.Second))
		if transient(p.Retry.LastFailureReason) {
			reconciling = condition{metav1.ConditionTrue, crmv1.ReasonRetryScheduled, msg}
		} else {
			stalled = condition{metav1.ConditionTrue, crmv1.Reason(p.Retry.LastFailureReason), msg + "; this failure needs a fix (see Degraded)"}
			reconciling.Message = "blocked: see Stalled"
		}
	case p.Pending:
		reconciling = condition{metav1.ConditionTrue, crmv1.ReasonNewGeneration, "the run of the current spec is starting"}
	}
	return reconciling, stalled
}

// setKstatus writes Reconciling and Stalled.
func setKstatus(conds *[]metav1.Condition, gen int64, p progress, now time.Time) {
	rec, st := kstatusConditions(p, now)
	setCondition(conds, gen, crmv1.ConditionReconciling, rec.Status, rec.Reason, rec.Message)
	setCondition(conds, gen, crmv1.ConditionStalled, st.Status, st.Reason, st.Message)
}
