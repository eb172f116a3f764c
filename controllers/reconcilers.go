package controllers

import (
	"errors"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	ctrl "sigs.k8s.io/controller-runtime"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// RBAC the manager needs; controller-gen turns these markers into
// config/rbac/role.yaml.
// +kubebuilder:rbac:groups=analytics.crmlens.io,resources=datasources;segmentationmodels;reportschedules,verbs=get;list;watch;update;patch
// +kubebuilder:rbac:groups=analytics.crmlens.io,resources=datasources/status;segmentationmodels/status;reportschedules/status,verbs=get;update;patch
// +kubebuilder:rbac:groups=analytics.crmlens.io,resources=datasources/finalizers;segmentationmodels/finalizers;reportschedules/finalizers,verbs=update
// +kubebuilder:rbac:groups=core,resources=events,verbs=create;patch
// +kubebuilder:rbac:groups=events.k8s.io,resources=events,verbs=create;patch

var (
	dataSourceAccess = statusAccess[*crmv1.DataSource]{
		kind:       "DataSource",
		newObject:  func() *crmv1.DataSource { return &crmv1.DataSource{} },
		conditions: func(o *crmv1.DataSource) *[]metav1.Condition { return &o.Status.Conditions },
		observed:   func(o *crmv1.DataSource) *int64 { return &o.Status.ObservedGeneration },
	}
	segmentationModelAccess = statusAccess[*crmv1.SegmentationModel]{
		kind:       "SegmentationModel",
		newObject:  func() *crmv1.SegmentationModel { return &crmv1.SegmentationModel{} },
		conditions: func(o *crmv1.SegmentationModel) *[]metav1.Condition { return &o.Status.Conditions },
		observed:   func(o *crmv1.SegmentationModel) *int64 { return &o.Status.ObservedGeneration },
	}
	reportScheduleAccess = statusAccess[*crmv1.ReportSchedule]{
		kind:       "ReportSchedule",
		newObject:  func() *crmv1.ReportSchedule { return &crmv1.ReportSchedule{} },
		conditions: func(o *crmv1.ReportSchedule) *[]metav1.Condition { return &o.Status.Conditions },
		observed:   func(o *crmv1.ReportSchedule) *int64 { return &o.Status.ObservedGeneration },
	}
)

// SetupDataSource registers the DataSource reconciler with mgr.
func SetupDataSource(mgr ctrl.Manager) error { return setupStub(mgr, dataSourceAccess) }

// SetupSegmentationModel registers the SegmentationModel reconciler with mgr.
func SetupSegmentationModel(mgr ctrl.Manager) error { return setupStub(mgr, segmentationModelAccess) }

// SetupReportSchedule registers the ReportSchedule reconciler with mgr.
func SetupReportSchedule(mgr ctrl.Manager) error { return setupStub(mgr, reportScheduleAccess) }

// SetupAll registers every crmlens reconciler with mgr.
func SetupAll(mgr ctrl.Manager) error {
	return errors.Join(SetupDataSource(mgr), SetupSegmentationModel(mgr), SetupReportSchedule(mgr))
}
