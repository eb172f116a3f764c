package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
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
	"sigs.k8s.io/controller-runtime/pkg/predicate"

	"github.com/crmlens/crmlens/analytics/store/storeerr"
	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/metrics"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/sources"
)

// ReasonConnected is the Ready reason of a source that answered the probe.
const ReasonConnected = "Connected"

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

// Reconcile probes the source on create, on spec change and every
// probeInterval. The built-in sample source cannot become unreachable, so it
// is probed only when its spec changes: in steady state a sample source costs
// no API write at all. lastProbeTime moves with every real probe of an
// external source.
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
	interval := 10 * time.Minute
	if ds.Spec.ProbeInterval != nil && ds.Spec.ProbeInterval.Duration > 0 {
		interval = ds.Spec.ProbeInterval.Duration
	}
	now := r.now()
	periodic := ds.Spec.Sample == nil
	if ds.Status.ObservedGeneration == ds.Generation && ds.Status.LastProbeTime != nil {
		if !periodic {
			return ctrl.Result{}, nil
		}
		if next := ds.Status.LastProbeTime.Add(interval); now.Time.Before(next) {
			return ctrl.Result{RequeueAfter: next.Sub(now.Time)}, nil
		}
	}
	orig := ds.Status.DeepCopy()
	prevReason := ""
	if c := meta.FindStatusCondition(ds.Status.Conditions, crmv1.ConditionReady); c != nil {
		prevReason = string(c.Status) + "/" + c.Reason
	}

	reason, msg, rows := r.probe(ctx, &ds)
	status := metav1.ConditionTrue
	if reason != ReasonConnected {
		status = metav1.ConditionFalse
	}
	setCondition(&ds.Status.Conditions, ds.Generation, crmv1.ConditionReady, status, reason, msg)
	if status == metav1.ConditionTrue {
		ds.Status.RowsSeen = rows
	}
	ds.Status.ObservedGeneration = ds.Generation
	ds.Status.LastProbeTime = &now
	if cur := string(status) + "/" + reason; cur != prevReason {
		typ := corev1.EventTypeNormal
		if status != metav1.ConditionTrue {
			typ = corev1.EventTypeWarning
		}
		r.Recorder.Eventf(&ds, nil, typ, reason, "Probe", "%s", msg)
	}
	if err := writeStatus(ctx, r.Client, &ds, orig, &ds.Status); err != nil {
		if apierrors.IsConflict(err) {
			return ctrl.Result{Requeue: true}, nil
		}
		return ctrl.Result{}, err
	}
	publishDataSourceGauge(&ds)
	if orig.ObservedGeneration != ds.Generation {
		r.warnInsecureTLS(&ds)
	}
	if !periodic {
		return ctrl.Result{}, nil
	}
	return ctrl.Result{RequeueAfter: interval}, nil
}

func (r *DataSourceReconciler) now() metav1.Time { return r.Config.now() }

// probe returns the Ready reason, a message a person can act on, and rows seen.
func (r *DataSourceReconciler) probe(ctx context.Context, ds *crmv1.DataSource) (string, string, int64) {
	rs := renderSource(ds, "", "P_")
	creds, err := resolveSecrets(ctx, r.APIReader, ds.Namespace, rs.Secrets)
	if err != nil {
		var m *MissingRefError
		if errors.As(err, &m) {
			return m.Reason, m.Msg, 0
		}
		return "SecretUnreadable", err.Error(), 0
	}
	cm := func(ctx context.Context, name, key string) ([]byte, error) {
		var c corev1.ConfigMap
		if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: ds.Namespace, Name: name}, &c); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("ConfigMap %q: %w", name, storeerr.ErrNotFound)
			}
			return nil, err
		}
		if v, ok := c.Data[key]; ok {
			return []byte(v), nil
		}
		if v, ok := c.BinaryData[key]; ok {
			return v, nil
		}
		return nil, fmt.Errorf("ConfigMap %q has no key %q: %w", name, key, storeerr.ErrNotFound)
	}
	timeout := r.ProbeTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	probe := r.Probe
	if probe == nil {
		probe = sources.Probe
	}
	res, err := probe(pctx, rs.Source, creds, cm)
	if err != nil {
		reason := storeerr.Reason(err)
		if reason == "Error" {
			reason = "ProbeFailed"
		}
		if reason == "NotFound" && ds.Spec.ConfigMap != nil {
			reason = "ConfigMapNotFound"
		}
		return reason, err.Error() + probeHint(reason, rs.Secrets), 0
	}
	if ds.Spec.Postgres != nil {
		// The database probe reads no rows: it checks the relation and column types.
		return ReasonConnected, "connected; the table or query has the mapped columns with usable types", 0
	}
	return ReasonConnected, fmt.Sprintf("read the header and %d rows", res.Rows), res.Rows
}

// probeHint says what to check after a failed probe, naming the Secret that
// holds the credentials (never a value from it).
func probeHint(reason string, secrets []secretUse) string {
	var names []string
	for _, u := range secrets {
		if q := strconv.Quote(u.Secret); !slices.Contains(names, q) {
			names = append(names, q)
		}
	}
	in := "the referenced Secret"
	if len(names) > 0 {
		in = "Secret " + strings.Join(names, ", ")
	}
	switch reason {
	case "AuthFailed":
		return "; check the user name and password (or token) in " + in
	case "PermissionDenied":
		return "; grant the user read access, or check the credentials in " + in
	case "Unreachable", "Timeout":
		return "; check host and port, that the server is running, and that network policies let the operator reach it"
	case "TLSFailed":
		return "; check sslMode (or insecureSkipVerify) against the server's TLS setup, and name a private CA with caSecretRef"
	case "SchemaMismatch":
		return "; check spec.schema against the source's columns"
	}
	return ""
}

// SetupWithManager registers the reconciler.
func (r *DataSourceReconciler) SetupWithManager(mgr ctrl.Manager) error {
	return ctrl.NewControllerManagedBy(mgr).
		Named("datasource").
		For(&crmv1.DataSource{}, builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(r)
}
