package controllers

import (
	"errors"
	"fmt"

	ctrl "sigs.k8s.io/controller-runtime"

	"github.com/crmlens/crmlens/internal/metrics"
)

// SetupAnalysis registers the DataSource, SegmentationModel and
// ReportSchedule reconcilers and the business metrics.
func SetupAnalysis(mgr ctrl.Manager, cfg Config) error {
	metrics.Register()
	rec := mgr.GetEventRecorder("crmlens")
	errs := []error{
		(&DataSourceReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Recorder: rec, Config: cfg}).SetupWithManager(mgr),
		(&SegmentationModelReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: mgr.GetScheme(), Recorder: rec, Config: cfg}).SetupWithManager(mgr),
		(&ReportScheduleReconciler{Client: mgr.GetClient(), APIReader: mgr.GetAPIReader(), Scheme: mgr.GetScheme(), Recorder: rec, Config: cfg}).SetupWithManager(mgr),
	}
	if err := errors.Join(errs...); err != nil {
		return fmt.Errorf("set up reconcilers: %w", err)
	}
	return nil
}
