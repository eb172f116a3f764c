package v1alpha1

import (
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
)

// Condition types and reasons of an ErasureRequest.
const (
	// ConditionComplete is True once every selected store no longer holds
	// the listed customers and they are on the namespace's suppression list.
	ConditionComplete = "Complete"
	// ConditionFailed is True while the erasure cannot proceed; its reason
	// says why. The reconciler keeps retrying; Failed turns False again when
	// the erasure completes.
	ConditionFailed = "Failed"

	// ErasureReasonErased: Complete, every store erased.
	ErasureReasonErased Reason = "Erased"
	// ErasureReasonInProgress: Complete is False while stores are erased.
	ErasureReasonInProgress Reason = "InProgress"
	// ErasureReasonNoFailure: Failed is False.
	ErasureReasonNoFailure Reason = "NoFailure"
	// ErasureReasonSecretNotFound: the customer IDs Secret does not exist.
	ErasureReasonSecretNotFound Reason = "SecretNotFound"
	// ErasureReasonSecretKeyMissing: the Secret lacks the named key.
	ErasureReasonSecretKeyMissing Reason = "SecretKeyMissing"
	// ErasureReasonNoCustomerIDs: the Secret key holds no ID.
	ErasureReasonNoCustomerIDs Reason = "NoCustomerIDs"
	// ErasureReasonModelNotFound: a model named in spec.models.names does
	// not exist.
	ErasureReasonModelNotFound Reason = "ModelNotFound"
	// ErasureReasonStoreUnreachable: a result store could not be reached or
	// refused the deletion; the request is retried.
	ErasureReasonStoreUnreachable Reason = "StoreUnreachable"
	// ErasureReasonSuppressionListFull: the namespace's suppression list
	// cannot take more customers (a run reads it from one environment
	// variable); nothing is erased.
	ErasureReasonSuppressionListFull Reason = "SuppressionListFull"
	// ErasureReasonStoreConfigInvalid: a store's connection could not be
	// rendered (a missing DataSource or Secret).
	ErasureReasonStoreConfigInvalid Reason = "StoreConfigInvalid"
)

// Store kinds reported in an ErasureRequest's status.erased.
const (
	ErasedStorePostgreSQL      = "PostgreSQL"
	ErasedStoreObjectStore     = "ObjectStore"
	ErasedStoreStateConfigMap  = "StateConfigMap"
	ErasedStoreResultConfigMap = "ResultConfigMap"
)

// ErasureRequestSpec names the customers to erase and where. The spec is
// immutable: a new request is a new object.
// +kubebuilder:validation:XValidation:rule="self == oldSelf",message="spec is immutable: create a new ErasureRequest"
type ErasureRequestSpec struct {
	// customerIDsSecretRef selects the Secret key that holds the customer
	// IDs to erase, one a line. IDs are personal data: they never appear in
	// this object's spec or status, in Events or in logs.
	// +required
	CustomerIDsSecretRef SecretKeySelector `json:"customerIDsSecretRef"`

	// models selects the SegmentationModels and ReportSchedules whose stored
	// results are erased; every one in the namespace when unset.
	// +optional
	Models *ErasureTargets `json:"models,omitempty"`
}

// ErasureTargets selects models and schedules by name or by labels.
// +kubebuilder:validation:XValidation:rule="has(self.names) != has(self.selector)",message="models: set exactly one of names or selector"
type ErasureTargets struct {
	// names of SegmentationModels and ReportSchedules in the namespace.
	// +optional
	// +kubebuilder:validation:MaxItems=256
	// +listType=set
	Names []string `json:"names,omitempty"`

	// selector matches the labels of SegmentationModels and ReportSchedules.
	// +optional
	Selector *metav1.LabelSelector `json:"selector,omitempty"`
}

// ErasedStore counts what was erased from one store of one model or
// schedule. It holds counts, never customer IDs.
type ErasedStore struct {
	// owner is "<Kind>/<name>" of the model or schedule.
	Owner string `json:"owner"`
	// store is PostgreSQL, ObjectStore, StateConfigMap or ResultConfigMap.
	Store string `json:"store"`
	// location is the table, object prefix or ConfigMap erased.
	// +optional
	Location string `json:"location,omitempty"`
	// rows is the number of rows (table rows, object lines, state hashes,
	// report entries) removed.
	Rows int64 `json:"rows"`
	// objects is the number of objects rewritten or deleted (object store).
	// +optional
	Objects int64 `json:"objects,omitempty"`
}

// ErasureRequestStatus is the observed progress of an erasure.
type ErasureRequestStatus struct {
	// observedGeneration is the generation last processed.
	// +optional
	ObservedGeneration int64 `json:"observedGeneration,omitempty"`

	// conditions: Complete and Failed.
	// +optional
	// +listType=map
	// +listMapKey=type
	Conditions []metav1.Condition `json:"conditions,omitempty"`

	// customers is the number of distinct customer IDs in the request.
	// +optional
	Customers int64 `json:"customers,omitempty"`

	// suppressed is the number of them newly added to the namespace's
	// suppression list (the others were on it already).
	// +optional
	Suppressed int64 `json:"suppressed,omitempty"`

	// erased counts, per store, what was removed.
	// +optional
	// +listType=atomic
	Erased []ErasedStore `json:"erased,omitempty"`

	// completedTargets are the models and schedules ("<Kind>/<name>") whose
	// stores are erased; a restarted manager resumes after them.
	// +optional
	// +listType=set
	CompletedTargets []string `json:"completedTargets,omitempty"`

	// completionTime is when the erasure completed.
	// +optional
	CompletionTime *metav1.Time `json:"completionTime,omitempty"`
}

// +kubebuilder:object:root=true
// +kubebuilder:subresource:status
// +kubebuilder:resource:shortName=crmerase,categories=crm
// +kubebuilder:printcolumn:name="Complete",type=string,JSONPath=`.status.conditions[?(@.type=="Complete")].status`
// +kubebuilder:printcolumn:name="Reason",type=string,JSONPath=`.status.conditions[?(@.type=="Complete")].reason`
// +kubebuilder:printcolumn:name="Customers",type=integer,JSONPath=`.status.customers`
// +kubebuilder:printcolumn:name="Completed",type=date,JSONPath=`.status.completionTime`
// +kubebuilder:printcolumn:name="Age",type=date,JSONPath=`.metadata.creationTimestamp`

// ErasureRequest erases customers (the right to be forgotten) from every
// stored result of the selected models and schedules, and keeps them out of
// later runs through the namespace's suppression list.
type ErasureRequest struct {
	metav1.TypeMeta   `json:",inline"`
	metav1.ObjectMeta `json:"metadata,omitempty"`

	// spec names the customers and the models.
	// +required
	Spec ErasureRequestSpec `json:"spec"`

	// status is the observed progress.
	// +optional
	Status ErasureRequestStatus `json:"status,omitempty"`
}

// +kubebuilder:object:root=true

// ErasureRequestList is a list of ErasureRequests.
type ErasureRequestList struct {
	metav1.TypeMeta `json:",inline"`
	metav1.ListMeta `json:"metadata,omitempty"`
	// items are the ErasureRequests.
	Items []ErasureRequest `json:"items"`
}

// Retention bounds how long stored runs are kept (data minimisation).
type Retention struct {
	// maxAge deletes runs older than this from every store (table rows and
	// run history, object-store run folders) and removes their Jobs, in
	// addition to keepRuns: a run is kept only while it is among the newest
	// keepRuns and younger than maxAge. The run just written is always kept.
	// +optional
	MaxAge *metav1.Duration `json:"maxAge,omitempty"`
}

func init() {
	SchemeBuilder.Register(&ErasureRequest{}, &ErasureRequestList{})
}
