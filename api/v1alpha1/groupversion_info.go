// Package v1alpha1 holds the crmlens API: DataSource, SegmentationModel and
// ReportSchedule in the group analytics.crmlens.io.
//
// +kubebuilder:object:generate=true
// +groupName=analytics.crmlens.io
package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/runtime/schema"
)

var (
	// GroupVersion is the group and version of every crmlens kind.
	GroupVersion = schema.GroupVersion{Group: "analytics.crmlens.io", Version: "v1alpha1"}

	// SchemeBuilder registers the crmlens kinds with a runtime.Scheme.
	SchemeBuilder = &schemeBuilder{}

	// AddToScheme adds the crmlens kinds to a scheme.
	AddToScheme = SchemeBuilder.AddToScheme
)

// schemeBuilder collects the kinds each types file registers in its init.
// It keeps the API package on apimachinery alone (controller-runtime's
// scheme.Builder, which did this before, is deprecated for API packages).
type schemeBuilder struct{ runtime.SchemeBuilder }

// Register adds kinds of this group version to the scheme when AddToScheme runs.
func (b *schemeBuilder) Register(objs ...runtime.Object) {
	b.SchemeBuilder.Register(func(s *runtime.Scheme) error {
		s.AddKnownTypes(GroupVersion, objs...)
		metav1.AddToGroupVersion(s, GroupVersion)
		return nil
	})
}
