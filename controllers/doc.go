// Package controllers holds the crmlens reconcilers.
//
//   - DataSource: probes the source (connect, read the header and a few rows,
//     check the mapped columns) on create, on spec change and every
//     probeInterval, and reports Ready with a precise reason.
//   - SegmentationModel: renders a run plan (internal/runplan) and runs it as
//     a batch/v1 Job of `crmlens run`; re-runs on spec change, every
//     refreshInterval and on the crmlens.io/run-now annotation; reflects the
//     result ConfigMap in status (figures, segments, migration).
//   - ReportSchedule: CronJob semantics (internal/schedule), report Jobs,
//     history pruning, KPIs and alerts (internal/alerts).
//   - ErasureRequest: erases customers from every stored result of the
//     selected models and schedules and suppresses them in later runs
//     (erasurerequest*.go); retention by age (retention.go) and the keyed
//     state and suppression Secret (privacy.go) serve the same data
//     protection.
//
// Job names are deterministic per trigger — "<model>-g<generation>",
// "<model>-n<hash of the run-now value>", "<model>-r<refresh slot>",
// "<schedule>-<minutes of the schedule slot>" — so a restarted manager finds
// the Job it already created instead of starting a second one.
package controllers

import (
	"context"
	"errors"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crmlens/crmlens/internal/metrics"
)

// RBAC the manager needs; controller-gen turns these markers into
// config/rbac/role.yaml.
// +kubebuilder:rbac:groups=analytics.crmlens.io,resources=datasources;segmentationmodels;reportschedules,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=analytics.crmlens.io,resources=datasources/status;segmentationmodels/status;reportschedules/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=analytics.crmlens.io,resources=datasources/finalizers;segmentationmodels/finalizers;reportschedules/finalizers,verbs=update
// +kubebuilder:rbac:groups=core,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

// SetupAll registers every crmlens reconciler and the business metrics.
func SetupAll(mgr ctrl.Manager, cfg Config) error {
	metrics.Register()
	if err := indexJobOwners(context.Background(), mgr); err != nil {
		return err
	}
	rec := mgr.GetEventRecorder("crmlens")
	errs := []error{
		(&DataSourceReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Recorder: rec, Config: cfg}).SetupWithManager(mgr),
		(&SegmentationModelReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: mgr.GetScheme(), Recorder: rec, Config: cfg}).SetupWithManager(mgr),
		(&ReportScheduleReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: mgr.GetScheme(), Recorder: rec, Config: cfg}).SetupWithManager(mgr),
		(&ErasureRequestReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Recorder: rec, Config: cfg}).SetupWithManager(mgr),
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("set up reconcilers: %w", err)
	}
	return nil
}
