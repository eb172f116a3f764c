// Package v1alpha1 holds the crmlens API: DataSource, SegmentationModel and
// ReportSchedule in the group analytics.crmlens.io.
//
// +kubebuilder:object:generate=true
// +groupName=analytics.crmlens.io
package v1alpha1

import (
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/scheme"
)

var (
	// GroupVersion is the group and version of every crmlens kind.
	GroupVersion = schema.GroupVersion{Group: "analytics.crmlens.io", Version: "v1alpha1"}

	// SchemeBuilder registers the crmlens kinds with a runtime.Scheme.
	SchemeBuilder = &scheme.Builder{GroupVersion: GroupVersion}

	// AddToScheme adds the crmlens kinds to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)
