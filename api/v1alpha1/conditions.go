package v1alpha1

// Condition types. Ready, Progressing, Degraded and AlertFiring are what
// people read; Reconciling and Stalled follow the kstatus conventions
// (sigs.k8s.io/cli-utils/pkg/kstatus, used by Flux and kpt), so GitOps tools
// tell "still working" (Reconciling=True: InProgress) from "needs a person"
// (Stalled=True: Failed) without crmlens-specific rules. The mapping is
// documented in docs/operations.md ("Health in Argo CD and Flux").
const (
	// ConditionReady says whether the object is usable: a source is reachable,
	// a model has a result, a schedule is valid and scheduling.
	ConditionReady = "Ready"
	// ConditionProgressing is True while an analysis Job is running.
	ConditionProgressing = "Progressing"
	// ConditionDegraded is True when the last run failed or cannot start,
	// while an older result may still be served.
	ConditionDegraded = "Degraded"
	// ConditionAlertFiring is True while at least one alert rule fires.
	ConditionAlertFiring = "AlertFiring"
	// ConditionReconciling (kstatus) is True while the controller works
	// toward the declared state: the run of a new spec generation is pending
	// or running, or a failed run or probe waits for its retry.
	ConditionReconciling = "Reconciling"
	// ConditionStalled (kstatus) is True when the declared state cannot be
	// reached without someone acting: a referenced object is missing, the
	// spec is invalid, or the last failure is not transient (credentials,
	// schema). Retries continue, so a fix outside the object still heals it.
	ConditionStalled = "Stalled"
)

// Reason is the reason of a condition or an Event the reconcilers set. Every
// value is listed with its remedy in docs/operations.md (a test keeps the
// two in step). Run failures carry the runner's reason (Source…, Store…,
// Analysis, …), and DataSource probe failures the store error kind; those
// are converted from the runner's and the store's own vocabulary.
type Reason string

// Reasons of the run lifecycle (SegmentationModel, ReportSchedule).
const (
	ReasonSucceeded   Reason = "Succeeded"
	ReasonJobCreated  Reason = "JobCreated"
	ReasonJobRunning  Reason = "JobRunning"
	ReasonRunFailed   Reason = "RunFailed"
	ReasonNoResultYet Reason = "NoResultYet"
	ReasonIdle        Reason = "Idle"
	// ReasonResultMissing: the Job succeeded without a readable result.
	ReasonResultMissing Reason = "ResultMissing"
	// ReasonRetryScheduled: a failed run (or probe) is retried at
	// status.retry.nextRetryTime.
	ReasonRetryScheduled Reason = "RetryScheduled"
	// ReasonRetryStarted: a retry run was created (backoff elapsed, or a
	// DataSource the failed run read turned Ready again).
	ReasonRetryStarted Reason = "RetryStarted"
	// ReasonReconciled: the declared state is reached (Reconciling and
	// Stalled False).
	ReasonReconciled Reason = "Reconciled"
	// ReasonNewGeneration: a spec change waits for its run.
	ReasonNewGeneration Reason = "NewGeneration"
)

// Reasons of references that do not resolve (a run cannot start).
const (
	ReasonSourceNotFound         Reason = "SourceNotFound"
	ReasonModelNotFound          Reason = "ModelNotFound"
	ReasonSecretNotFound         Reason = "SecretNotFound"
	ReasonSecretKeyMissing       Reason = "SecretKeyMissing"
	ReasonInvalidStore           Reason = "InvalidStore"
	ReasonInvalidCampaignSource  Reason = "InvalidCampaignSource"
	ReasonServiceAccountNotFound Reason = "ServiceAccountNotFound"
	// ReasonInvalidSpec: a value admission should have refused (an object
	// stored before the CRD's rules, or built in code) cannot be run as
	// declared.
	ReasonInvalidSpec Reason = "InvalidSpec"
	// ReasonCurrencyMismatch: the transaction sources of one analysis
	// declare different currencies.
	ReasonCurrencyMismatch Reason = "CurrencyMismatch"
	// ReasonReferencesFound clears Degraded once the referenced objects exist.
	ReasonReferencesFound Reason = "ReferencesFound"
)

// Reasons of a ReportSchedule's schedule, alerts and notifications.
const (
	ReasonInvalidSchedule    Reason = "InvalidSchedule"
	ReasonScheduled          Reason = "Scheduled"
	ReasonSuspended          Reason = "Suspended"
	ReasonAlertsFiring       Reason = "AlertsFiring"
	ReasonNoAlerts           Reason = "NoAlertsFiring"
	ReasonUnknownMetric      Reason = "UnknownMetric"
	ReasonTooManyMissedTimes Reason = "TooManyMissedTimes"
	ReasonJobAlreadyActive   Reason = "JobAlreadyActive"
	ReasonSuccessfulCreate   Reason = "SuccessfulCreate"
	ReasonSuccessfulDelete   Reason = "SuccessfulDelete"
	ReasonAlertFiring        Reason = "AlertFiring"
	ReasonAlertResolved      Reason = "AlertResolved"
	ReasonWebhookFailed      Reason = "WebhookFailed"
)

// Reasons of a DataSource probe (besides the store error kinds such as
// Unreachable, AuthFailed, SchemaMismatch).
const (
	ReasonConnected         Reason = "Connected"
	ReasonSecretUnreadable  Reason = "SecretUnreadable"
	ReasonProbeFailed       Reason = "ProbeFailed"
	ReasonConfigMapNotFound Reason = "ConfigMapNotFound"
	// ReasonInsecureTLS warns about a source or store that does not verify TLS.
	ReasonInsecureTLS Reason = "InsecureTLS"
	// ReasonNotImplemented is the honest Ready reason of a reconciler that does
	// not yet act on the object.
	ReasonNotImplemented Reason = "NotImplemented"
)
