package controllers

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"time"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/api/equality"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/runtime"
	"k8s.io/apimachinery/pkg/types"
	"k8s.io/client-go/tools/events"
	ctrl "sigs.k8s.io/controller-runtime"
	"sigs.k8s.io/controller-runtime/pkg/builder"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/handler"
	"sigs.k8s.io/controller-runtime/pkg/log"
	"sigs.k8s.io/controller-runtime/pkg/predicate"
	"sigs.k8s.io/controller-runtime/pkg/reconcile"

	"github.com/crmlens/crmlens/analytics/result"
	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/metrics"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/schedule"
)

// RBAC of the analysis reconcilers (Jobs, the result ConfigMaps they read and
// prune, the Secrets a DataSource probe reads, the runner ServiceAccount a
// Job will run as).
// +kubebuilder:rbac:groups=batch,resources=jobs,verbs=get;list;watch;create;delete
// +kubebuilder:rbac:groups=core,resources=configmaps,verbs=get;delete
// +kubebuilder:rbac:groups=core,resources=secrets,verbs=get
// +kubebuilder:rbac:groups=core,resources=serviceaccounts,verbs=get

const (
	kindModel = "SegmentationModel"
	// keepModelJobs is how many finished Jobs of a model are kept for inspection.
	keepModelJobs = 3
	// sourcesIndex indexes models and schedules by referenced DataSource name.
	sourcesIndex = ".spec.sources.name"
	// annotationGeneration records the spec generation a Job ran with.
	annotationGeneration = "crmlens.io/generation"
)

// SegmentationModelReconciler runs a model's analysis Jobs and reflects
// their results in status.
type SegmentationModelReconciler struct {
	client.Client
	// APIReader reads result ConfigMaps straight from the API (they are not cached).
	APIReader client.Reader
	Scheme    *runtime.Scheme
	Recorder  events.EventRecorder
	Config
	accounts seenAccounts
}

func (r *SegmentationModelReconciler) clock() schedule.Clock {
	if r.Clock == nil {
		return schedule.RealClock{}
	}
	return r.Clock
}

// Reconcile implements the model's run lifecycle (see the package doc of the
// run-now annotation in api/v1alpha1).
func (r *SegmentationModelReconciler) Reconcile(ctx context.Context, req ctrl.Request) (ctrl.Result, error) {
	logger := log.FromContext(ctx)
	var m crmv1.SegmentationModel
	if err := r.Get(ctx, req.NamespacedName, &m); err != nil {
		if apierrors.IsNotFound(err) {
			metrics.Forget(metrics.KindModel, req.Namespace, req.Name)
		}
		return ctrl.Result{}, client.IgnoreNotFound(err)
	}
	if m.DeletionTimestamp != nil {
		metrics.Forget(metrics.KindModel, m.Namespace, m.Name)
		return ctrl.Result{}, nil
	}
	orig := m.Status.DeepCopy()
	now := r.clock().Now()
	// Events and counters of a finished run happen once its status is written.
	var fx effects

	jobs, err := ownedJobs(ctx, r.Client, &m)
	if err != nil {
		return ctrl.Result{}, err
	}
	var latest *batchv1.Job
	if len(jobs) > 0 {
		latest = &jobs[len(jobs)-1]
	}

	// 1. Reflect the latest Job.
	if latest != nil {
		st, cond := stateOf(latest)
		switch {
		case st == jobActive:
			setCondition(&m.Status.Conditions, m.Generation, crmv1.ConditionProgressing, metav1.ConditionTrue, ReasonJobRunning, fmt.Sprintf("analysis Job %s is running", latest.Name))
		case latest.Name != m.Status.LastRunName:
			r.absorb(ctx, &m, latest, st, cond, &fx)
		}
	}
	if latest == nil && m.Status.LastRunName == "" {
		setCondition(&m.Status.Conditions, m.Generation, crmv1.ConditionReady, metav1.ConditionFalse, ReasonNoResultYet, "no analysis has run yet")
	}

	// 2. Decide whether a new run is due, and which.
	var requeue time.Duration
	name, trigger, runNow := "", "", ""
	annots := m.GetAnnotations()
	switch {
	case m.Status.ObservedGeneration != m.Generation:
		name, trigger = jobName(m.Name, "g"+strconv.FormatInt(m.Generation, 10)), "generation"
	case annots[crmv1.RunNowAnnotation] != "" && annots[crmv1.RunNowAnnotation] != annots[crmv1.LastRunNowAnnotation]:
		// The Job may already be this run-now's, created by the previous
		// reconcile: then it is marked handled now.
		v := annots[crmv1.RunNowAnnotation]
		if n := jobName(m.Name, "n"+shortHash(v)); latest == nil || isFinished(latest) || latest.Name == n {
			runNow = v
			name, trigger = n, "run-now"
		}
	case !m.Spec.Suspend && ((latest != nil && isFinished(latest)) || (latest == nil && m.Status.LastRunTime != nil)):
		interval := 24 * time.Hour
		if m.Spec.RefreshInterval != nil && m.Spec.RefreshInterval.Duration > 0 {
			interval = m.Spec.RefreshInterval.Duration
		}
		// Refreshes count from the start of the last run; when its Job is
		// gone (ttlSecondsAfterFinished), from when its result was recorded.
		var anchor time.Time
		if latest != nil {
			anchor = latest.CreationTimestamp.Time
		} else {
			anchor = m.Status.LastRunTime.Time
		}
		due := anchor.Add(interval)
		if !now.Before(due) {
			name, trigger = jobName(m.Name, "r"+schedule.JobSuffix(due)), "refresh"
		} else {
			requeue = due.Sub(now) + schedule.NextDelta
		}
	}

	if name != "" {
		created, err := r.startRun(ctx, &m, name, trigger, jobs)
		var missing *MissingRefError
		switch {
		case errors.As(err, &missing):
			setCondition(&m.Status.Conditions, m.Generation, crmv1.ConditionProgressing, metav1.ConditionFalse, missing.Reason, missing.Msg)
			// Degraded too: the run cannot start, and will not until someone
			// acts; a previous result is still served (Ready stays True).
			setCondition(&m.Status.Conditions, m.Generation, crmv1.ConditionDegraded, metav1.ConditionTrue, missing.Reason, missing.Msg)
			if m.Status.ResultConfigMap == "" {
				setCondition(&m.Status.Conditions, m.Generation, crmv1.ConditionReady, metav1.ConditionFalse, missing.Reason, missing.Msg)
			}
			// observedGeneration stays behind: this generation has not run
			// yet, and runs as soon as the DataSource appears (watched).
			// ServiceAccounts are not watched (the manager may only get
			// them): look again after a while.
			if missing.Reason == ReasonServiceAccountNotFound {
				requeue = serviceAccountRetry
			}
		case err != nil:
			return ctrl.Result{}, err
		case created:
			// One API write per reconcile: the new Job's watch event
			// brings the next reconcile, which finds the Job and records
			// it (observedGeneration, Progressing, a run-now marked
			// handled). A reconcile then never waits on two round-trips
			// in a row, and status reports a Job once it is observed.
			logger.Info("analysis Job created", "job", name, "trigger", trigger)
			return ctrl.Result{}, nil
		default:
			m.Status.ObservedGeneration = m.Generation
			// A Job that already finished was absorbed above.
			if j := findJob(jobs, name); j == nil || !isFinished(j) {
				setCondition(&m.Status.Conditions, m.Generation, crmv1.ConditionProgressing, metav1.ConditionTrue, ReasonJobRunning, fmt.Sprintf("analysis Job %s is running", name))
			}
			if runNow != "" {
				if err := r.markRunNow(ctx, &m, runNow); err != nil {
					return requeueOnConflict(err)
				}
			}
		}
	}

	// 3. Prune old finished Jobs.
	pruneJobs(ctx, r.Client, jobs, keepModelJobs, keepModelJobs)

	if err := writeStatus(ctx, r.Client, &m, orig, &m.Status); err != nil {
		if apierrors.IsConflict(err) {
			return ctrl.Result{Requeue: true}, nil
		}
		return ctrl.Result{}, err
	}
	publishModelGauges(&m)
	if orig.ObservedGeneration != m.Generation && m.Status.ObservedGeneration == m.Generation {
		warnInsecureStore(r.Recorder, &m, "spec.output.store", m.Spec.Output.Store)
	}
	fx.run()
	// Retention by age (output.retention.maxAge; controllers/retention.go).
	if d := ageRetainer.apply(ctx, r.Client, r.APIReader, now, &m, kindModel, outputOf(target{obj: &m}), jobs, false, ""); d > 0 && (requeue == 0 || d < requeue) {
		requeue = d
	}
	return ctrl.Result{RequeueAfter: requeue}, nil
}

func findJob(jobs []batchv1.Job, name string) *batchv1.Job {
	for i := range jobs {
		if jobs[i].Name == name {
			return &jobs[i]
		}
	}
	return nil
}

func isFinished(j *batchv1.Job) bool {
	st, _ := stateOf(j)
	return st != jobActive
}

// absorb reflects a newly finished Job in status, exactly once per Job.
func (r *SegmentationModelReconciler) absorb(ctx context.Context, m *crmv1.SegmentationModel, j *batchv1.Job, st jobState, cond *batchv1.JobCondition, fx *effects) {
	cmName := resultConfigMapName(m)
	cm := &corev1.ConfigMap{}
	cmErr := r.APIReader.Get(ctx, client.ObjectKey{Namespace: m.Namespace, Name: cmName}, cm)
	gen := m.Generation
	m.Status.LastRunName = j.Name
	setCondition(&m.Status.Conditions, gen, crmv1.ConditionProgressing, metav1.ConditionFalse, ReasonIdle, fmt.Sprintf("analysis Job %s finished", j.Name))
	dur := jobDuration(j)
	if st == jobSucceeded {
		doc, out, err := readResult(cm, cmErr, j.Name)
		if err == nil {
			applyModelResult(m, doc, out, cmName)
			finished := metav1.NewTime(out.FinishedAt)
			if j.Status.CompletionTime != nil {
				finished = *j.Status.CompletionTime
			}
			m.Status.LastRunTime = &finished
			setCondition(&m.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionTrue, ReasonSucceeded,
				fmt.Sprintf("%d customers in %d segments (run %s)%s", m.Status.Customers, len(m.Status.Segments), j.Name, warningsNote(doc)))
			setCondition(&m.Status.Conditions, gen, crmv1.ConditionDegraded, metav1.ConditionFalse, ReasonSucceeded, "the last run succeeded")
			customers := m.Status.Customers
			fx.add(func() {
				r.Recorder.Eventf(m, j, corev1.EventTypeNormal, ReasonSucceeded, "Analyze", "run %s analysed %d customers", j.Name, customers)
				warningEvent(r.Recorder, m, j, j.Name, "Analyze", doc)
				metrics.ObserveRun(metrics.KindModel, m.Namespace, m.Name, metrics.Succeeded, dur, float64(finished.Unix()))
			})
			return
		}
		// A Job that reports success without a readable result is a failure.
		cond = &batchv1.JobCondition{Reason: "ResultMissing", Message: err.Error()}
	}
	reason, msg := failureOf(cm, cmErr, j.Name, cond)
	setCondition(&m.Status.Conditions, gen, crmv1.ConditionDegraded, metav1.ConditionTrue, reason, fmt.Sprintf("run %s failed: %s", j.Name, msg))
	if m.Status.ResultConfigMap != "" {
		setCondition(&m.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionTrue, ReasonSucceeded,
			fmt.Sprintf("serving the previous result; run %s failed", j.Name))
	} else {
		setCondition(&m.Status.Conditions, gen, crmv1.ConditionReady, metav1.ConditionFalse, ReasonRunFailed, fmt.Sprintf("run %s failed: %s", j.Name, msg))
	}
	fx.add(func() {
		metrics.ObserveRun(metrics.KindModel, m.Namespace, m.Name, metrics.Failed, dur, 0)
		r.Recorder.Eventf(m, j, corev1.EventTypeWarning, ReasonRunFailed, "Analyze", "run %s failed (%s): %s", j.Name, reason, msg)
	})
}

func jobDuration(j *batchv1.Job) float64 {
	if j.Status.StartTime == nil {
		return 0
	}
	end := time.Now()
	if j.Status.CompletionTime != nil {
		end = j.Status.CompletionTime.Time
	}
	for _, c := range j.Status.Conditions {
		if c.Type == batchv1.JobFailed && c.Status == corev1.ConditionTrue {
			end = c.LastTransitionTime.Time
		}
	}
	return end.Sub(j.Status.StartTime.Time).Seconds()
}

// readResult parses the result document and outcome of run from cm.
func readResult(cm *corev1.ConfigMap, getErr error, run string) (*result.Document, *runplan.Outcome, error) {
	if getErr != nil {
		return nil, nil, fmt.Errorf("result ConfigMap: %w", getErr)
	}
	var out runplan.Outcome
	if err := json.Unmarshal([]byte(cm.Data[runplan.KeyOutcome]), &out); err != nil {
		return nil, nil, fmt.Errorf("result ConfigMap %s: outcome: %w", cm.Name, err)
	}
	if out.Run != run {
		return nil, nil, fmt.Errorf("result ConfigMap %s holds run %q, not %q", cm.Name, out.Run, run)
	}
	var doc result.Document
	if err := json.Unmarshal([]byte(cm.Data[runplan.KeyResult]), &doc); err != nil {
		return nil, nil, fmt.Errorf("result ConfigMap %s: document: %w", cm.Name, err)
	}
	return &doc, &out, nil
}

// failureOf explains a failed run: the runner's own reason when it recorded
// one for this run, else the Job condition's.
func failureOf(cm *corev1.ConfigMap, getErr error, run string, cond *batchv1.JobCondition) (string, string) {
	if getErr == nil {
		var f runplan.Outcome
		if json.Unmarshal([]byte(cm.Data[runplan.KeyFailure]), &f) == nil && f.Run == run && f.Reason != "" {
			return f.Reason, f.Message
		}
	}
	if cond != nil && cond.Reason != "" {
		return cond.Reason, cond.Message
	}
	return ReasonRunFailed, "the analysis Job failed"
}

func applyModelResult(m *crmv1.SegmentationModel, doc *result.Document, out *runplan.Outcome, cmName string) {
	s := &m.Status
	s.Customers = doc.Input.Customers
	s.Transactions = doc.Input.Transactions
	s.Rejected = nil
	for reason, n := range doc.Input.Rejected {
		if n > 0 {
			s.Rejected = append(s.Rejected, crmv1.RejectedRows{Reason: string(reason), Rows: n})
		}
	}
	sort.Slice(s.Rejected, func(i, j int) bool { return s.Rejected[i].Reason < s.Rejected[j].Reason })
	s.Segments = nil
	for _, seg := range doc.Segments {
		s.Segments = append(s.Segments, crmv1.SegmentSummary{Name: seg.Name, Customers: seg.Customers, RevenueShare: strconv.FormatFloat(seg.RevenueShare, 'f', 4, 64)})
	}
	s.Migrations = nil
	for _, mg := range out.Migrations {
		s.Migrations = append(s.Migrations, crmv1.SegmentMigration{From: mg.From, To: mg.To, Customers: mg.Customers})
	}
	s.ResultConfigMap = cmName
	s.ResultLocation = out.ResultLocation
	// The gauges follow from this status once it is written (publishModelGauges).
}

func resultConfigMapName(m *crmv1.SegmentationModel) string { return m.ResultConfigMapName() }

// startRun creates the run's Job; it reports whether it created it (false:
// it already existed, e.g. after a restart).
func (r *SegmentationModelReconciler) startRun(ctx context.Context, m *crmv1.SegmentationModel, name, trigger string, jobs []batchv1.Job) (bool, error) {
	if findJob(jobs, name) != nil {
		return false, nil // created by an earlier reconcile
	}
	srcs, err := loadSources(ctx, r.Client, m.Namespace, m.Spec.Sources)
	if err != nil {
		return false, err
	}
	analysis, err := runplan.ModelAnalysis(m)
	if err != nil {
		return false, &MissingRefError{Reason: ReasonInvalidSpec, Msg: err.Error()}
	}
	plan := runplan.Plan{
		Owner:           runplan.Owner{APIVersion: crmv1.GroupVersion.String(), Kind: kindModel, Namespace: m.Namespace, Name: m.Name, UID: string(m.UID)},
		Run:             name,
		ResultConfigMap: resultConfigMapName(m),
		StateConfigMap:  m.Name + "-state",
		Analysis:        analysis,
		Created:         r.clock().Now().UTC(),
	}
	var secrets []secretUse
	for _, s := range srcs {
		plan.Sources = append(plan.Sources, s.Source)
		secrets = append(secrets, s.Secrets...)
	}
	store, storeSecrets, err := renderStore(ctx, r.Client, m.Namespace, m.Spec.Output.Store)
	if err != nil {
		return false, err
	}
	plan.Store = store
	secrets = append(secrets, storeSecrets...)
	pz, ps := renderPseudonymize(m.Spec.Output.Pseudonymize)
	plan.Pseudonymize = pz
	secrets = append(secrets, ps...)
	if err := applyPrivacy(ctx, r.Client, r.APIReader, &plan, &secrets, m.Spec.Output.Pseudonymize, m.Spec.Output.Retention); err != nil {
		return false, err
	}
	anchorSamples(plan.Sources, plan.Created)
	encoded, err := plan.Encode()
	if err != nil {
		return false, err
	}
	if err := r.accounts.check(ctx, r.APIReader, m.Namespace, r.serviceAccount(m.Spec.Job), time.Now()); err != nil {
		return false, err
	}
	job := r.buildJob(jobSpec{owner: m, kind: kindModel, name: name, plan: encoded, secrets: secrets, settings: m.Spec.Job, trigger: trigger,
		annots: map[string]string{annotationGeneration: strconv.FormatInt(m.Generation, 10)}})
	if err := ctrl.SetControllerReference(m, job, r.Scheme); err != nil {
		return false, fmt.Errorf("owner reference: %w", err)
	}
	if err := r.Create(ctx, job); err != nil {
		if apierrors.IsAlreadyExists(err) {
			return false, nil
		}
		return false, fmt.Errorf("create Job %s: %w", name, err)
	}
	r.Recorder.Eventf(m, job, corev1.EventTypeNormal, ReasonJobCreated, "Analyze", "created analysis Job %s (%s)", name, trigger)
	// A spec change makes a running analysis of the old spec pointless.
	if trigger == "generation" {
		for i := range jobs {
			if !isFinished(&jobs[i]) {
				_ = r.Delete(ctx, &jobs[i], client.PropagationPolicy(metav1.DeletePropagationBackground))
			}
		}
	}
	return true, nil
}

// markRunNow records the handled run-now value in an annotation (a metadata
// patch; it changes no generation).
func (r *SegmentationModelReconciler) markRunNow(ctx context.Context, m *crmv1.SegmentationModel, v string) error {
	patch := client.MergeFromWithOptions(m.DeepCopy(), client.MergeFromWithOptimisticLock{})
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[crmv1.LastRunNowAnnotation] = v
	status := m.Status.DeepCopy()
	if err := r.Patch(ctx, m, patch); err != nil {
		return fmt.Errorf("record %s: %w", crmv1.LastRunNowAnnotation, err)
	}
	m.Status = *status
	return nil
}

// ownedJobs lists the Jobs the object controls, oldest first.
func ownedJobs(ctx context.Context, c client.Client, owner client.Object) ([]batchv1.Job, error) {
	var list batchv1.JobList
	if err := c.List(ctx, &list, client.InNamespace(owner.GetNamespace()), client.MatchingFields{jobOwnerIndex: string(owner.GetUID())}); err != nil {
		return nil, fmt.Errorf("list Jobs: %w", err)
	}
	out := list.Items
	created := func(j *batchv1.Job) time.Time {
		if t, err := time.Parse(time.RFC3339Nano, j.Annotations[annotationCreated]); err == nil {
			return t
		}
		return j.CreationTimestamp.Time
	}
	sort.Slice(out, func(i, k int) bool {
		a, b := created(&out[i]), created(&out[k])
		if !a.Equal(b) {
			return a.Before(b)
		}
		return out[i].Name < out[k].Name
	})
	return out, nil
}

// pruneJobs deletes finished Jobs beyond the newest keepOK successful and
// keepFailed failed ones (with their pods).
func pruneJobs(ctx context.Context, c client.Client, jobs []batchv1.Job, keepOK, keepFailed int) []string {
	var ok, failed []*batchv1.Job
	for i := range jobs {
		switch st, _ := stateOf(&jobs[i]); st {
		case jobSucceeded:
			ok = append(ok, &jobs[i])
		case jobFailed:
			failed = append(failed, &jobs[i])
		}
	}
	var deleted []string
	del := func(list []*batchv1.Job, keep int) {
		for i := 0; i < len(list)-keep; i++ {
			if err := c.Delete(ctx, list[i], client.PropagationPolicy(metav1.DeletePropagationBackground)); err == nil || apierrors.IsNotFound(err) {
				deleted = append(deleted, list[i].Name)
			}
		}
	}
	del(ok, keepOK)
	del(failed, keepFailed)
	return deleted
}

// writeStatus updates status only when it changed.
func writeStatus(ctx context.Context, c client.Client, obj client.Object, orig, cur any) error {
	if equality.Semantic.DeepEqual(orig, cur) {
		return nil
	}
	if err := c.Status().Update(ctx, obj); err != nil {
		return fmt.Errorf("update status: %w", err)
	}
	return nil
}

// SetupWithManager registers the reconciler.
func (r *SegmentationModelReconciler) SetupWithManager(mgr ctrl.Manager) error {
	if err := indexSources(mgr, &crmv1.SegmentationModel{}, func(o client.Object) []crmv1.SourceRef {
		m := o.(*crmv1.SegmentationModel)
		return append(append([]crmv1.SourceRef{}, m.Spec.Sources...), storeSourceRefs(m.Spec.Output.Store)...)
	}); err != nil {
		return err
	}
	return ctrl.NewControllerManagedBy(mgr).
		Named("segmentationmodel").
		For(&crmv1.SegmentationModel{}, builder.WithPredicates(predicate.Or(predicate.GenerationChangedPredicate{}, predicate.AnnotationChangedPredicate{}))).
		Owns(&batchv1.Job{}).
		Watches(&crmv1.DataSource{}, handler.EnqueueRequestsFromMapFunc(mapBySource(mgr.GetClient(), &crmv1.SegmentationModelList{})),
			builder.WithPredicates(predicate.GenerationChangedPredicate{})).
		Complete(r)
}

func indexSources(mgr ctrl.Manager, obj client.Object, refs func(client.Object) []crmv1.SourceRef) error {
	return mgr.GetFieldIndexer().IndexField(context.Background(), obj, sourcesIndex, func(o client.Object) []string {
		var names []string
		for _, s := range refs(o) {
			names = append(names, s.Name)
		}
		return names
	})
}

// storeSourceRefs names the DataSource a postgres result store reuses.
func storeSourceRefs(st *crmv1.ResultStore) []crmv1.SourceRef {
	if st != nil && st.Postgres != nil && st.Postgres.DataSourceRef != nil {
		return []crmv1.SourceRef{{Name: st.Postgres.DataSourceRef.Name}}
	}
	return nil
}

// mapBySource enqueues the objects of list's kind that reference a DataSource.
func mapBySource(c client.Client, list client.ObjectList) handler.MapFunc {
	return mapByIndex(c, list, sourcesIndex)
}

// mapByIndex enqueues the objects of list's kind whose index field names o.
func mapByIndex(c client.Client, list client.ObjectList, index string) handler.MapFunc {
	return func(ctx context.Context, o client.Object) []reconcile.Request {
		l := list.DeepCopyObject().(client.ObjectList)
		if err := c.List(ctx, l, client.InNamespace(o.GetNamespace()), client.MatchingFields{index: o.GetName()}); err != nil {
			return nil
		}
		var reqs []reconcile.Request
		_ = forEachItem(l, func(it client.Object) {
			reqs = append(reqs, reconcile.Request{NamespacedName: types.NamespacedName{Namespace: it.GetNamespace(), Name: it.GetName()}})
		})
		return reqs
	}
}

func forEachItem(l client.ObjectList, fn func(client.Object)) error {
	switch v := l.(type) {
	case *crmv1.SegmentationModelList:
		for i := range v.Items {
			fn(&v.Items[i])
		}
	case *crmv1.ReportScheduleList:
		for i := range v.Items {
			fn(&v.Items[i])
		}
	}
	return nil
}
