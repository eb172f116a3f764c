package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/suppress"
)

// RBAC of erasure requests (the result ConfigMaps they rewrite are listed
// and updated; Secrets as in privacy.go).
// +kubebuilder:rbac:groups=analytics.crmlens.io,resources=erasurerequests,verbs=get;list;watch
// +kubebuilder:rbac:groups=analytics.crmlens.io,resources=erasurerequests/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=core,resources=configmaps,verbs=list;update

// erasureRetry is how soon a failed or waiting erasure is tried again.
const erasureRetry = 15 * time.Second

// ErasureRequestReconciler erases customers from every stored result of
// the selected models and schedules. Each step is idempotent, and progress
// (the targets done, with their counts) is written to status after each
// target, so a restarted manager resumes where the last one stopped.
type ErasureRequestReconciler struct {
	client.Client
	// APIReader reads Secrets and ConfigMaps (neither is cached).
	APIReader client.Reader
	Recorder  events.EventRecorder
	Config
}

// target is one model or schedule whose results are erased.
type target struct {
	kind, name string
	obj        client.Object
}

func (t target) key() string { return t.kind + "/" + t.name }

// Reconcile implements the erasure.
func (r *ErasureRequestReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var er crmv1.ErasureRequest
	if err := r.Get(ctx, req.NamespacedName, &er); err != nil {
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if er.DeletionTimestamp != nil || meta.IsStatusConditionTrue(er.Status.Conditions, crmv1.ConditionComplete) {
		return ctrl.Result{}, nil
	}
	orig := er.Status.DeepCopy()
	res, failReason, failMsg := r.erase(ctx, &er)
	gen := er.Generation
	er.Status.ObservedGeneration = gen
	var fx effects
	switch {
	case failReason != "":
		setCondition(&er.Status.Conditions, gen, crmv1.ConditionFailed, metav1.ConditionTrue, failReason, failMsg)
		setCondition(&er.Status.Conditions, gen, crmv1.ConditionComplete, metav1.ConditionFalse, crmv1.ErasureReasonInProgress, "erasure not complete: "+failMsg)
		if orig.Conditions == nil || !condIs(orig.Conditions, crmv1.ConditionFailed, failReason) {
			fx.add(func() {
				r.Recorder.Eventf(&er, nil, corev1.EventTypeWarning, string(failReason), "Erase", "%s", failMsg)
			})
		}
		res = ctrl.Result{RequeueAfter: erasureRetry}
	case res.RequeueAfter > 0:
		// Waiting (a run in flight); the message was set by erase.
	default:
		now := metav1.NewTime(r.clock().Now())
		er.Status.CompletionTime = &now
		var rows int64
		for _, e := range er.Status.Erased {
			rows += e.Rows
		}
		msg := fmt.Sprintf("%d customers erased from %d targets (%d rows, lines and hashes removed) and suppressed in later runs",
			er.Status.Customers, len(er.Status.CompletedTargets), rows)
		setCondition(&er.Status.Conditions, gen, crmv1.ConditionComplete, metav1.ConditionTrue, crmv1.ErasureReasonErased, msg)
		setCondition(&er.Status.Conditions, gen, crmv1.ConditionFailed, metav1.ConditionFalse, crmv1.ErasureReasonNoFailure, "no failure")
		fx.add(func() {
			r.Recorder.Eventf(&er, nil, corev1.EventTypeNormal, string(crmv1.ErasureReasonErased), "Erase", "%s", msg)
		})
	}
	if err := writeStatus(ctx, r.Client, &er, orig, &er.Status); err != nil {
		return requeueOnConflict(err)
	}
	fx.run()
	return res, nil
}

// condIs reports whether the condition typ has the given reason and is True.
func condIs(conds []metav1.Condition, typ string, reason crmv1.Reason) bool {
	for _, c := range conds {
		if c.Type == typ {
			return c.Status == metav1.ConditionTrue && c.Reason == string(reason)
		}
	}
	return false
}

// erase does the work; it returns a failure reason and message when it
// cannot go on, or a requeue when it waits.
func (r *ErasureRequestReconciler) erase(ctx context.Context, er *crmv1.ErasureRequest) (ctrl.Result, crmv1.Reason, string) {
	logger := log.FromContext(ctx)
	ids, reason, msg := r.customerIDs(ctx, er)
	if reason != "" {
		return ctrl.Result{}, reason, msg
	}
	er.Status.Customers = int64(len(ids))

	// 1. The suppression list first: a run that starts from now on leaves
	// the customers out, so nothing erased below comes back.
	added, err := r.suppress(ctx, er.Namespace, ids)
	var full *listFullError
	if errors.As(err, &full) {
		return ctrl.Result{}, crmv1.ErasureReasonSuppressionListFull, err.Error()
	}
	if err != nil {
		return ctrl.Result{}, crmv1.ErasureReasonStoreUnreachable, fmt.Sprintf("suppression list: %v", err)
	}
	er.Status.Suppressed += int64(added)

	// 2. Each target's stores, in a stable order, resuming after those done.
	targets, reason, msg := r.targets(ctx, er)
	if reason != "" {
		return ctrl.Result{}, reason, msg
	}
	for _, t := range targets {
		if slices.Contains(er.Status.CompletedTargets, t.key()) {
			continue
		}
		// A run in flight started before the suppression list changed may
		// still write the customers: erase once it is over.
		jobs, err := ownedJobs(ctx, r.Client, t.obj)
		if err != nil {
			return ctrl.Result{}, crmv1.ErasureReasonStoreUnreachable, err.Error()
		}
		for i := range jobs {
			if !isFinished(&jobs[i]) {
				setCondition(&er.Status.Conditions, er.Generation, crmv1.ConditionComplete, metav1.ConditionFalse, crmv1.ErasureReasonInProgress,
					fmt.Sprintf("waiting for run %s of %s to finish", jobs[i].Name, t.key()))
				return ctrl.Result{RequeueAfter: time.Second}, "", ""
			}
		}
		counts, reason, err := r.eraseTarget(ctx, t, ids)
		if err != nil {
			logger.Info("erasure of a target failed; retrying", "target", t.key(), "reason", reason, "error", err.Error())
			return ctrl.Result{}, reason, fmt.Sprintf("%s: %v", t.key(), err)
		}
		er.Status.Erased = append(er.Status.Erased, counts...)
		er.Status.CompletedTargets = append(er.Status.CompletedTargets, t.key())
		setCondition(&er.Status.Conditions, er.Generation, crmv1.ConditionComplete, metav1.ConditionFalse, crmv1.ErasureReasonInProgress,
			fmt.Sprintf("%d of %d targets erased", len(er.Status.CompletedTargets), len(targets)))
		// Progress is saved per target: a restart resumes after it.
		if err := r.Status().Update(ctx, er); err != nil {
			return ctrl.Result{}, crmv1.ErasureReasonStoreUnreachable, fmt.Sprintf("record progress: %v", err)
		}
		logger.Info("erased a target", "target", t.key())
	}
	return ctrl.Result{}, "", ""
}

// customerIDs reads the IDs from the request's Secret.
func (r *ErasureRequestReconciler) customerIDs(ctx context.Context, er *crmv1.ErasureRequest) ([]string, crmv1.Reason, string) {
	ref := er.Spec.CustomerIDsSecretRef
	var s corev1.Secret
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: er.Namespace, Name: ref.Name}, &s); err != nil {
		if apierrors.IsNotFound(err) {
			return nil, crmv1.ErasureReasonSecretNotFound, fmt.Sprintf("Secret %q not found in namespace %s", ref.Name, er.Namespace)
		}
		return nil, crmv1.ErasureReasonStoreUnreachable, fmt.Sprintf("get Secret %q: %v", ref.Name, err)
	}
	v, ok := s.Data[ref.Key]
	if !ok {
		return nil, crmv1.ErasureReasonSecretKeyMissing, fmt.Sprintf("Secret %q has no key %q", ref.Name, ref.Key)
	}
	ids := suppress.ParseIDs(string(v))
	if len(ids) == 0 {
		return nil, crmv1.ErasureReasonNoCustomerIDs, fmt.Sprintf("Secret %q key %q holds no customer ID (one a line)", ref.Name, ref.Key)
	}
	return ids, "", ""
}

// suppress adds ids to the namespace's suppression list and returns how
// many were new.
func (r *ErasureRequestReconciler) suppress(ctx context.Context, ns string, ids []string) (int, error) {
	s, err := ensurePrivacySecret(ctx, r.Client, r.APIReader, ns)
	if err != nil {
		return 0, err
	}
	l, err := suppress.Parse(s.Data[suppress.KeySuppressionKey], string(s.Data[suppress.KeyList]))
	if err != nil {
		return 0, err
	}
	n := l.Add(ids)
	if n == 0 {
		return 0, nil
	}
	text := l.String()
	if len(text) > suppress.MaxListBytes {
		return 0, &listFullError{entries: l.Len()}
	}
	s.Data[suppress.KeyList] = []byte(text)
	if err := r.Update(ctx, s); err != nil {
		return 0, fmt.Errorf("update Secret %s: %w", suppress.SecretName, err)
	}
	return n, nil
}

// targets resolves spec.models into models and schedules, sorted.
func (r *ErasureRequestReconciler) targets(ctx context.Context, er *crmv1.ErasureRequest) ([]target, crmv1.Reason, string) {
	var models crmv1.SegmentationModelList
	var scheds crmv1.ReportScheduleList
	opts := []client.ListOption{client.InNamespace(er.Namespace)}
	sel := er.Spec.Models
	if sel != nil && sel.Selector != nil {
		s, err := metav1.LabelSelectorAsSelector(sel.Selector)
		if err != nil {
			return nil, crmv1.ErasureReasonModelNotFound, fmt.Sprintf("spec.models.selector: %v", err)
		}
		opts = append(opts, client.MatchingLabelsSelector{Selector: s})
	}
	if err := r.List(ctx, &models, opts...); err != nil {
		return nil, crmv1.ErasureReasonStoreUnreachable, err.Error()
	}
	if err := r.List(ctx, &scheds, opts...); err != nil {
		return nil, crmv1.ErasureReasonStoreUnreachable, err.Error()
	}
	var all []target
	for i := range models.Items {
		all = append(all, target{kind: kindModel, name: models.Items[i].Name, obj: &models.Items[i]})
	}
	for i := range scheds.Items {
		all = append(all, target{kind: kindSchedule, name: scheds.Items[i].Name, obj: &scheds.Items[i]})
	}
	if sel != nil && len(sel.Names) > 0 {
		var picked []target
		var missing []string
		for _, n := range sel.Names {
			found := false
			for _, t := range all {
				if t.name == n {
					picked = append(picked, t)
					found = true
				}
			}
			if !found {
				missing = append(missing, n)
			}
		}
		if len(missing) > 0 {
			return nil, crmv1.ErasureReasonModelNotFound, fmt.Sprintf("no SegmentationModel or ReportSchedule named %s in namespace %s", strings.Join(missing, ", "), er.Namespace)
		}
		all = picked
	}
	sort.Slice(all, func(i, j int) bool { return all[i].key() < all[j].key() })
	return all, "", ""
}

// SetupWithManager registers the reconciler.
func (r *ErasureRequestReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("erasurerequest").
		For(&crmv1.ErasureRequest{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(r)
}

// listFullError: the suppression list would outgrow what a run can read.
type listFullError struct{ entries int }

func (e *listFullError) Error() string {
	return fmt.Sprintf("the namespace's suppression list would hold %d entries, above the %d bytes a run can read (about 7,700 customers); nothing was erased", e.entries, suppress.MaxListBytes)
}
