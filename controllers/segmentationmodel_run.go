package controllers

import (
	"context"
	"fmt"
	"strconv"
	"time"

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
	plan := runplan.Plan{
		Owner:           runplan.Owner{APIVersion: crmv1.GroupVersion.String(), Kind: kindModel, Namespace: m.Namespace, Name: m.Name, UID: string(m.UID)},
		Run:             name,
		ResultConfigMap: resultConfigMapName(m),
		StateConfigMap:  m.Name + "-state",
		Analysis:        modelAnalysis(m),
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

func modelAnalysis(m *crmv1.SegmentationModel) runplan.Analysis {
	a := runplan.Analysis{Method: string(m.Spec.Method.Type), Cleaning: cleaning(m.Spec.Cleaning)}
	if m.Spec.AsOf != nil {
		if t, err := time.Parse(time.DateOnly, string(*m.Spec.AsOf)); err == nil {
			end := t.Add(24*time.Hour - time.Second)
			a.AsOf = &end
		}
	}
	if m.Spec.Window != nil {
		a.WindowSeconds = int64(m.Spec.Window.Duration / time.Second)
	}
	meth := m.Spec.Method
	if p := meth.RFM; p != nil {
		for _, s := range p.SegmentMap {
			a.RFMSegments = append(a.RFMSegments, runplan.RFMSegment{Segment: s.Segment, Recency: string(s.Recency), Frequency: string(s.Frequency), Monetary: string(s.Monetary)})
		}
	}
	if p := meth.ValueMatrix; p != nil {
		if p.AverageOrderValue != nil {
			a.AOVThreshold, _ = strconv.ParseFloat(string(*p.AverageOrderValue), 64)
		}
		if p.Frequency != nil {
			a.FreqThreshold = float64(*p.Frequency)
		}
	}
	if p := meth.Lifecycle; p != nil {
		a.NewDays = days(p.NewWithin.Duration)
		a.AtRiskDays = days(p.ActiveWithin.Duration)
		a.ChurnDays = days(p.ChurnedAfter.Duration)
		a.LoyalOrders = int64(p.LoyalMinOrders)
	}
	if p := meth.CLV; p != nil {
		if p.CalibrationEnd != nil {
			if t, err := time.Parse(time.DateOnly, string(*p.CalibrationEnd)); err == nil {
				a.CalibrationEnd = &t
			}
		}
		a.TimeUnit = string(p.TimeUnit)
		a.CLV = &runplan.CLV{Horizon: float64(p.Horizon), Margin: dec(string(p.Margin)), DiscountRate: dec(string(p.DiscountRate)),
			AcquisitionCost: dec(string(p.AcquisitionCost)), RetentionCost: dec(string(p.RetentionCost)), Tiers: int(p.Tiers)}
	}
	if p := meth.KMeans; p != nil {
		k := &runplan.KMeans{Seed: uint64(p.Seed)}
		if p.K != nil {
			k.K = int(*p.K)
		}
		if p.KMin != nil {
			k.MinK = int(*p.KMin)
		}
		if p.KMax != nil {
			k.MaxK = int(*p.KMax)
		}
		a.KMeans = k
	}
	return a
}

func days(d time.Duration) int { return int(d / (24 * time.Hour)) }

// dec parses an API decimal string (validated at admission); "" is 0.
func dec(s string) float64 {
	v, _ := strconv.ParseFloat(s, 64)
	return v
}
