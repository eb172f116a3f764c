package controllers

import (
	"context"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/api/meta"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/metrics"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/sources"
)

// defaultProbeInterval is a DataSource's probeInterval when unset.
const defaultProbeInterval = 10 * time.Minute

// ProbeFunc checks one source; sources.Probe in production.
type ProbeFunc func(ctx context.Context, s runplan.Source, creds sources.Creds, cm sources.ConfigMapReader) (sources.ProbeResult, error)

// DataSourceReconciler probes data sources and reports whether they can be read.
type DataSourceReconciler struct {
	client.Client
	// APIReader reads Secrets and ConfigMaps straight from the API, so the
	// manager caches no Secret.
	APIReader client.Reader
	Recorder  events.EventRecorder
	// Probe defaults to sources.Probe.
	Probe ProbeFunc
	// ProbeTimeout bounds one probe (default 30 s).
	ProbeTimeout time.Duration
	Config
}

// nextProbe decides when a source is probed next: at once after a spec
// change; a built-in sample source (which cannot become unreachable) only
// then; an external source every probeInterval, and a failing one sooner,
// on the retry backoff (never later than probeInterval). Zero: now.
func nextProbe(ds *crmv1.DataSource, interval time.Duration, now time.Time) (due bool, wait time.Duration) {
	if ds.Status.ObservedGeneration != ds.Generation || ds.Status.LastProbeTime == nil {
		return true, 0
	}
	if ds.Spec.Sample != nil {
		return false, 0
	}
	next := ds.Status.LastProbeTime.Add(interval)
	if r := ds.Status.Retry; r != nil && r.NextRetryTime != nil && r.NextRetryTime.Before(&metav1.Time{Time: next}) {
		next = r.NextRetryTime.Time
	}
	if now.Before(next) {
		return false, next.Sub(now)
	}
	return true, 0
}

// Reconcile probes the source when nextProbe says so. In steady state a
// sample source costs no API write at all; lastProbeTime moves with every
// real probe of an external source.
func (r *DataSourceReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	var ds crmv1.DataSource
	if err := r.Get(ctx, req.NamespacedName, &ds); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.Forget("DataSource", req.Namespace, req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if ds.DeletionTimestamp != nil {
		metrics.Forget("DataSource", ds.Namespace, ds.Name)
		return ctrl.Result{}, nil
	}
	// From status first: the paths below that skip the probe still restore
	// the gauge in a new manager process.
	publishDataSourceGauge(&ds)
	interval := defaultProbeInterval
	if ds.Spec.ProbeInterval != nil && ds.Spec.ProbeInterval.Duration > 0 {
		interval = ds.Spec.ProbeInterval.Duration
	}
	now := r.clock().Now()
	if due, wait := nextProbe(&ds, interval, now); !due {
		return ctrl.Result{RequeueAfter: wait}, nil
	}
	orig := ds.Status.DeepCopy()
	prevReason := ""
	if c := meta.FindStatusCondition(ds.Status.Conditions, crmv1.ConditionReady); c != nil {
		prevReason = string(c.Status) + "/" + c.Reason
	}

	reason, msg, found := r.probe(ctx, &ds)
	gen := ds.Generation
	status := metav1.ConditionTrue
	if reason != crmv1.ReasonConnected {
		status = metav1.ConditionFalse
	}
	setCondition(&ds.Status.Conditions, gen, crmv1.ConditionReady, status, reason, msg)
	var p progress
	if status == metav1.ConditionTrue {
		ds.Status.Probe = found
		ds.Status.Retry = nil
	} else {
		ds.Status.Retry = recordFailure(ds.Status.Retry, reason, now, string(ds.UID))
		p.Retry = ds.Status.Retry
	}
	setKstatus(&ds.Status.Conditions, gen, p, now)
	ds.Status.ObservedGeneration = gen
	t := metav1.NewTime(now)
	ds.Status.LastProbeTime = &t
	if cur := string(status) + "/" + string(reason); cur != prevReason {
		typ := corev1.EventTypeNormal
		if status != metav1.ConditionTrue {
			typ = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(&ds, nil, typ, string(reason), "Probe", "%s", msg)
	}
	if err := writeStatus(ctx, r.Client, &ds, orig, &ds.Status); err != nil {
		return requeueOnConflict(err)
	}
	publishDataSourceGauge(&ds)
	if orig.ObservedGeneration != gen {
		r.warnInsecureTLS(&ds)
	}
	_, wait := nextProbe(&ds, interval, now)
	return ctrl.Result{RequeueAfter: wait}, nil
}

// SetupWithManager registers the reconciler.
func (r *DataSourceReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("datasource").
		For(&crmv1.DataSource{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(r)
}
