package v1alpha1

import (
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Well-known annotations shared by the reconcilers (condition types and
// reasons are in conditions.go).
const (
	// RunNowAnnotation asks for an immediate run of a SegmentationModel or a
	// ReportSchedule. Set it to any new value (a timestamp works well); the
	// reconciler starts one run per distinct value and records the value it
	// handled in LastRunNowAnnotation, so re-applying the same value (a GitOps
	// sync) does nothing.
	RunNowAnnotation = "crmlens.io/run-now"

	// LastRunNowAnnotation records the RunNowAnnotation value already acted on.
	LastRunNowAnnotation = "crmlens.io/last-run-now"
)

// RetryStatus says how a failure is being retried: with exponential backoff
// (doubling from 15 s, capped at 10 minutes, with up to 20% jitter), and at
// once when a DataSource the failed run read turns Ready again.
type RetryStatus struct {
	// attempts counts the consecutive failures since the last success.
	// +optional
	Attempts int32 `json:"attempts,omitempty"`
	// nextRetryTime is when the next attempt starts at the latest.
	// +optional
	NextRetryTime *metav1.Time `json:"nextRetryTime,omitempty"`
	// lastFailureTime is when the last attempt failed.
	// +optional
	LastFailureTime *metav1.Time `json:"lastFailureTime,omitempty"`
	// lastFailureReason is the reason of the last failure.
	// +optional
	LastFailureReason string `json:"lastFailureReason,omitempty"`
}

// LocalObjectReference names an object in the same namespace.
type LocalObjectReference struct {
	// name of the referenced object in the same namespace. It must be a valid
	// DNS-1123 subdomain: lower-case letters, digits, '-' and '.', starting and
	// ending with a letter or digit, at most 253 characters.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`
}

// SecretKeySelector selects one key of a Secret in the same namespace.
type SecretKeySelector struct {
	// name of the Secret in the same namespace (a DNS-1123 subdomain).
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	Name string `json:"name"`
	// key within the Secret's data: letters, digits, '-', '_' and '.'.
	// +required
	// +kubebuilder:validation:MinLength=1
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[-._a-zA-Z0-9]+$`
	Key string `json:"key"`
}

// Decimal is a signed decimal number written as a string, such as "0.25" or
// "-3". The API keeps numbers with fractions as strings because floating point
// values are not allowed in Kubernetes specs.
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:Pattern=`^-?[0-9]+(\.[0-9]+)?$`
type Decimal string

// Fraction is a decimal between 0 and 1 inclusive written as a string, such as
// "0.25".
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:Pattern=`^(0(\.[0-9]+)?|1(\.0+)?)$`
type Fraction string

// Money is a non-negative amount in the data source's currency with at most
// four decimal places, written as a string, such as "19.99".
// +kubebuilder:validation:MaxLength=32
// +kubebuilder:validation:Pattern=`^[0-9]+(\.[0-9]{1,4})?$`
type Money string

// Date is a calendar date in the form YYYY-MM-DD that exists in the
// Gregorian calendar (2024-02-29 does, 2023-02-29 does not).
// +kubebuilder:validation:MaxLength=10
// +kubebuilder:validation:Pattern=`^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$`
// +kubebuilder:validation:XValidation:rule="!self.matches('^[0-9]{4}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$') || int(self.substring(8, 10)) <= (self.substring(5, 7) == '02' ? ((int(self.substring(0, 4)) % 4 == 0 && (int(self.substring(0, 4)) % 100 != 0 || int(self.substring(0, 4)) % 400 == 0)) ? 29 : 28) : (self.substring(5, 7) in ['04', '06', '09', '11'] ? 30 : 31))",message="must be a calendar date that exists (YYYY-MM-DD; February has 29 days only in leap years, April, June, September and November have 30)"
type Date string

// ColumnName names a column of the source data: a CSV header (or a 1-based
// column number when the CSV has no header), a Parquet field or a SQL column.
// +kubebuilder:validation:MinLength=1
// +kubebuilder:validation:MaxLength=256
type ColumnName string

// JobSettings shapes the Kubernetes Jobs that run the analysis. The Job pods
// always run under the restricted Pod Security profile (non-root, read-only
// root filesystem, no capabilities, RuntimeDefault seccomp).
// +kubebuilder:validation:XValidation:rule="!has(self.resources) || !has(self.resources.requests) || ['cpu', 'memory', 'ephemeral-storage'].all(k, !(k in self.resources.requests) || !isQuantity(string(self.resources.requests[k])) || !quantity(string(self.resources.requests[k])).isLessThan(quantity('0')))",message="job.resources.requests: cpu, memory and ephemeral-storage must not be negative",fieldPath=".resources.requests"
// +kubebuilder:validation:XValidation:rule="!has(self.resources) || !has(self.resources.limits) || ['cpu', 'memory', 'ephemeral-storage'].all(k, !(k in self.resources.limits) || !isQuantity(string(self.resources.limits[k])) || !quantity(string(self.resources.limits[k])).isLessThan(quantity('0')))",message="job.resources.limits: cpu, memory and ephemeral-storage must not be negative",fieldPath=".resources.limits"
// +kubebuilder:validation:XValidation:rule="!has(self.resources) || !has(self.resources.requests) || !has(self.resources.limits) || ['cpu', 'memory', 'ephemeral-storage'].all(k, !(k in self.resources.requests) || !(k in self.resources.limits) || !isQuantity(string(self.resources.requests[k])) || !isQuantity(string(self.resources.limits[k])) || !quantity(string(self.resources.requests[k])).isGreaterThan(quantity(string(self.resources.limits[k]))))",message="job.resources: the cpu, memory and ephemeral-storage requests must not exceed their limits",fieldPath=".resources.requests"
type JobSettings struct {
	// resources are the compute requests and limits of the analysis container.
	// Admission refuses negative cpu, memory and ephemeral-storage and
	// requests above limits (other resources are checked when the Job is
	// created).
	// Memory grows with the number of customers, not with the number of
	// transactions.
	// +optional
	Resources *corev1.ResourceRequirements `json:"resources,omitempty"`

	// serviceAccountName is the ServiceAccount the Job pod runs as; the
	// manager's runner ServiceAccount (flag --runner-service-account,
	// "crmlens-runner" by default) when unset. A missing ServiceAccount keeps
	// the Job from being created (Ready=False, reason
	// ServiceAccountNotFound).
	// +optional
	// +kubebuilder:validation:MaxLength=253
	// +kubebuilder:validation:Pattern=`^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$`
	ServiceAccountName string `json:"serviceAccountName,omitempty"`

	// nodeSelector restricts the Job pod to nodes with these labels.
	// +optional
	NodeSelector map[string]string `json:"nodeSelector,omitempty"`

	// tolerations let the Job pod run on tainted nodes.
	// +optional
	// +kubebuilder:validation:MaxItems=32
	// +listType=atomic
	Tolerations []corev1.Toleration `json:"tolerations,omitempty"`

	// activeDeadlineSeconds bounds the run time of one analysis Job; the Job
	// fails when it is exceeded.
	// +optional
	// +kubebuilder:default=3600
	// +kubebuilder:validation:Minimum=1
	// +kubebuilder:validation:Maximum=604800
	ActiveDeadlineSeconds *int64 `json:"activeDeadlineSeconds,omitempty"`

	// backoffLimit is the number of retries before a run is marked failed.
	// +optional
	// +kubebuilder:default=2
	// +kubebuilder:validation:Minimum=0
	// +kubebuilder:validation:Maximum=10
	BackoffLimit *int32 `json:"backoffLimit,omitempty"`

	// ttlSecondsAfterFinished removes finished Jobs after this many seconds; the
	// result stays in the summary ConfigMap. Unset keeps Jobs until the history
	// limits remove them.
	// +optional
	// +kubebuilder:validation:Minimum=0
	TTLSecondsAfterFinished *int32 `json:"ttlSecondsAfterFinished,omitempty"`
}
