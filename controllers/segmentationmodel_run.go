package controllers

import (
	"context"
	"fmt"
	"strconv"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/runplan"
)

// startRun creates the run's Job; it reports whether it created it (false:
// it already existed, e.g. after a restart).
func (r *SegmentationModelReconciler) startRun(ctx context.Context, m *crmv1.SegmentationModel, name, trigger string, jobs []batchv1.Job) (bool, error) {
	if findJob(jobs, name) != nil {
		return false, nil // created by an earlier reconcile
	}
	srcs, err := loadSources(ctx, r.Client, m.Namespace, m.Spec.Sources)
	if err != nil {
		return false, err
	}
	analysis, err := runplan.ModelAnalysis(m)
	if err != nil {
		return false, &MissingRefError{Reason: crmv1.ReasonInvalidSpec, Msg: err.Error()}
	}
	plan := runplan.Plan{
		Owner:           runplan.Owner{APIVersion: crmv1.GroupVersion.String(), Kind: kindModel, Namespace: m.Namespace, Name: m.Name, UID: string(m.UID)},
		Run:             name,
		ResultConfigMap: resultConfigMapName(m),
		StateConfigMap:  m.Name + "-state",
		Analysis:        analysis,
		Created:         r.clock().Now().UTC(),
	}
	var secrets []secretUse
	for _, s := range srcs {
		plan.Sources = append(plan.Sources, s.Source)
		secrets = append(secrets, s.Secrets...)
	}
	store, storeSecrets, err := renderStore(ctx, r.Client, m.Namespace, m.Spec.Output.Store)
	if err != nil {
		return false, err
	}
	plan.Store = store
	secrets = append(secrets, storeSecrets...)
	pz, ps := renderPseudonymize(m.Spec.Output.Pseudonymize)
	plan.Pseudonymize = pz
	secrets = append(secrets, ps...)
	if err := applyPrivacy(ctx, r.Client, r.APIReader, &plan, &secrets, m.Spec.Output.Pseudonymize, m.Spec.Output.Retention); err != nil {
		return false, err
	}
	anchorSamples(plan.Sources, plan.Created)
	encoded, err := plan.Encode()
	if err != nil {
		return false, err
	}
	if err := r.accounts.check(ctx, r.APIReader, m.Namespace, r.serviceAccount(m.Spec.Job), r.clock().Now()); err != nil {
		return false, err
	}
	job := r.buildJob(jobSpec{owner: m, kind: kindModel, name: name, plan: encoded, secrets: secrets, settings: m.Spec.Job, trigger: trigger,
		annots: map[string]string{annotationGeneration: strconv.FormatInt(m.Generation, 10)}})
	if err := ctrl.SetControllerReference(m, job, r.Scheme); err != nil {
		return false, fmt.Errorf("owner reference: %w", err)
	}
	if err := r.Create(ctx, job); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return false, nil
		}
		return false, fmt.Errorf("create Job %s: %w", name, err)
	}
	r.Recorder.Eventf(m, job, corev1.EventTypeNormal, string(crmv1.ReasonJobCreated), "Analyze", "created analysis Job %s (%s)", name, trigger)
	// A spec change makes a running analysis of the old spec pointless.
	if trigger == triggerGeneration {
		for i := range jobs {
			if !isFinished(&jobs[i]) {
				_ = r.Delete(ctx, &jobs[i], client.PropagationPolicy(metav1.DeletePropagationBackground))
			}
		}
	}
	return true, nil
}

// markRunNow records the handled run-now value in an annotation (a metadata
// patch; it changes no generation).
func (r *SegmentationModelReconciler) markRunNow(ctx context.Context, m *crmv1.SegmentationModel, v string) error {
	patch := client.MergeFromWithOptions(m.DeepCopy(), client.MergeFromWithOptimisticLock{})
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[crmv1.LastRunNowAnnotation] = v
	status := m.Status.DeepCopy()
	if err := r.Patch(ctx, m, patch); err != nil {
		return fmt.Errorf("record %s: %w", crmv1.LastRunNowAnnotation, err)
	}
	m.Status = *status
	return nil
}
