package v1alpha1_test

import (
	"context"
	"errors"
	"strings"
	"testing"

	batchv1 "k8s.io/api/batch/v1"
	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"k8s.io/apimachinery/pkg/runtime"

	"github.com/crmlens/crmlens/analytics/input"
	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/runner"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/schedule"
)

// A twin is one value refused twice: by the API server at admission (the
// CRD's OpenAPI and CEL rules) and, should it get past admission (an object
// stored before the rule, validation turned off), by the run-time check
// that would otherwise fail every run or silently replace it by a default.
// Both refusals must name the field.
type twin struct {
	name, kind, base, patch string
	field, msg              string // admission: the cause's field and a substring of its message
	run                     runCheck
	runMsg                  string // run time: a substring of the error
}

// runCheck is the run-time path the value would take.
type runCheck func(t *testing.T, u *unstructured.Unstructured) error

var twins = []twin{
	{"impossible asOf", "SegmentationModel", baseModel, `asOf: "2023-02-29"`,
		"spec.asOf", "calendar date that exists", runModel, `asOf "2023-02-29": not a calendar date`},
	{"impossible calibrationEnd", "SegmentationModel", baseModel, `method: {type: CLV, clv: {calibrationEnd: "2024-04-31"}}`,
		"spec.method.clv.calibrationEnd", "calendar date that exists", runModel, `method.clv.calibrationEnd "2024-04-31": not a calendar date`},
	{"calibrationEnd after asOf", "SegmentationModel", baseModel, `{asOf: "2024-06-30", method: {type: CLV, clv: {calibrationEnd: "2024-07-01"}}}`,
		"spec.method.clv.calibrationEnd", "must not be after asOf", runModel, "calibration end 2024-07-01 is after as-of 2024-06-30"},
	{"clv margin zero", "SegmentationModel", baseModel, `method: {type: CLV, clv: {margin: "0"}}`,
		"spec.method.clv.margin", "must be above 0", runModel, "method.clv.margin 0: want above 0"},
	{"lifecycle period under a day", "SegmentationModel", baseModel, `method: {type: Lifecycle, lifecycle: {newWithin: 12h}}`,
		"spec.method.lifecycle.newWithin", "whole number of days", runModel, "method.lifecycle.newWithin 12h0m0s: want a whole number of days"},
	{"lifecycle period not whole days", "SegmentationModel", baseModel, `method: {type: Lifecycle, lifecycle: {activeWithin: 2172h}}`,
		"spec.method.lifecycle.activeWithin", "whole number of days", runModel, "method.lifecycle.activeWithin 2172h0m0s: want a whole number of days"},
	{"kmeans feature without data", "SegmentationModel", baseModel, `method: {type: KMeans, kmeans: {features: [Recency, CategoryBreadth]}}`,
		"spec.method.kmeans.features[1]", "Unsupported value", runModel, `kmeans feature "categoryBreadth"`},
	{"rfm monetary basis unknown", "SegmentationModel", baseModel, `method: {rfm: {monetary: Median}}`,
		"spec.method.rfm.monetary", "Unsupported value", runModel, `rfm monetary "median"`},
	{"cleaning minimum above maximum", "SegmentationModel", baseModel, `cleaning: {minAmount: "100", maxAmount: "10"}`,
		"spec.cleaning.minAmount", "must not exceed maxAmount", runModel, "minAmount 100.0000 exceeds maxAmount 10.0000"},

	{"vip spend buckets not ascending", "ReportSchedule", baseSchedule, `reports: [{type: VIP, vip: {spendBuckets: ["50", "250", "100"]}}]`,
		"spec.reports[0].vip.spendBuckets", "strictly ascending", runSchedule, "spend bucket edges must ascend"},
	{"vip spend buckets repeated", "ReportSchedule", baseSchedule, `reports: [{type: VIP, vip: {spendBuckets: ["50", "50"]}}]`,
		"spec.reports[0].vip.spendBuckets", "strictly ascending", runSchedule, "spend bucket edges must ascend"},
	{"vip top fraction zero", "ReportSchedule", baseSchedule, `reports: [{type: VIP, vip: {topFraction: "0"}}]`,
		"spec.reports[0].vip.topFraction", "must be above 0", runSchedule, "reports[0].vip.topFraction 0: want above 0"},
	{"basket minSupport zero", "ReportSchedule", baseSchedule, `reports: [{type: Basket, basket: {minSupport: "0"}}]`,
		"spec.reports[0].basket.minSupport", "must be above 0", runSchedule, "reports[0].basket.minSupport 0: want above 0"},
	{"basket minConfidence zero", "ReportSchedule", baseSchedule, `reports: [{type: Basket, basket: {minConfidence: "0.0"}}]`,
		"spec.reports[0].basket.minConfidence", "must be above 0", runSchedule, "reports[0].basket.minConfidence 0.0: want above 0"},
	{"basket minLift negative", "ReportSchedule", baseSchedule, `reports: [{type: Basket, basket: {minLift: "-1"}}]`,
		"spec.reports[0].basket.minLift", "must not be negative", runSchedule, "reports[0].basket.minLift -1: want ≥ 0"},
	{"pareto share zero", "ReportSchedule", baseSchedule, `reports: [{type: Pareto, pareto: {revenueShare: "0"}}]`,
		"spec.reports[0].pareto.revenueShare", "must be above 0", runSchedule, "reports[0].pareto.revenueShare 0: want above 0"},
	{"kpi period under a day", "ReportSchedule", baseSchedule, `reports: [{type: KPI, kpi: {responseWindow: 36h}}]`,
		"spec.reports[0].kpi.responseWindow", "whole number of days", runSchedule, "reports[0].kpi.responseWindow 36h0m0s: want a whole number of days"},
	{"vip drop threshold zero", "ReportSchedule", baseSchedule, `{reports: [{type: VIP}], vipActivityDrop: {threshold: "0"}}`,
		"spec.vipActivityDrop.threshold", "must be above 0", runSchedule, "vipActivityDrop.threshold 0: want above 0"},
	{"vip drop recent under a day", "ReportSchedule", baseSchedule, `{reports: [{type: VIP}], vipActivityDrop: {threshold: "0.5", recent: 1h}}`,
		"spec.vipActivityDrop.recent", "whole number of days", runSchedule, "vipActivityDrop.recent 1h0m0s: want a whole number of days"},
	{"cron minute out of range", "ReportSchedule", baseSchedule, `schedule: "61 6 * * 1"`,
		"spec.schedule", "minute (0-59)", runCron, "spec.schedule"},
	{"cron month name unknown", "ReportSchedule", baseSchedule, `schedule: "0 6 1 Smarch *"`,
		"spec.schedule", "month (1-12 or JAN-DEC)", runCron, "spec.schedule"},
	{"cron day of week out of range", "ReportSchedule", baseSchedule, `schedule: "0 6 * * 9"`,
		"spec.schedule", "day of week (0-7 or SUN-SAT)", runCron, "spec.schedule"},
	{"time zone Local", "ReportSchedule", baseSchedule, `timeZone: Local`,
		"spec.timeZone", "not Local", runCron, "spec.timeZone"},

	{"csv delimiter of two bytes", "DataSource", baseHTTPSource, `csv: {delimiter: "§"}`,
		"spec.csv.delimiter", "single-byte", runDelimiter, "want a single-byte character"},
	{"csv delimiter NUL", "DataSource", baseHTTPSource, `csv: {delimiter: "\u0000"}`,
		"spec.csv.delimiter", "single-byte", runDelimiter, "NUL cannot separate fields"},

	{"job requests above limits", "SegmentationModel", baseModel, `job: {resources: {requests: {cpu: "2"}, limits: {cpu: 1}}}`,
		"spec.job.resources.requests", "must not exceed their limits", runJob, "must be less than or equal to cpu limit"},
	{"job negative memory", "SegmentationModel", baseModel, `job: {resources: {requests: {memory: "-1Gi"}}}`,
		"spec.job.resources.requests", "must not be negative", runJob, "must be greater than or equal to 0"},
	{"job negative cpu limit", "ReportSchedule", baseSchedule, `job: {resources: {limits: {cpu: "-500m"}}}`,
		"spec.job.resources.limits", "must not be negative", runJob, "must be greater than or equal to 0"},
}

// TestAdmissionTwins walks every twin: the run-time check refuses the value
// naming the field, and the API server refuses the same manifest at
// admission with a message that names the field and what is allowed.
func TestAdmissionTwins(t *testing.T) {
	for _, c := range twins {
		t.Run(c.name, func(t *testing.T) {
			u := newObject(t, c.kind, c.base, c.patch)
			t.Run("run time", func(t *testing.T) {
				err := c.run(t, u)
				if err == nil {
					t.Fatalf("accepted at run time; want an error with %q", c.runMsg)
				}
				if !strings.Contains(err.Error(), c.runMsg) {
					t.Fatalf("run-time error %q does not contain %q", err, c.runMsg)
				}
			})
			t.Run("admission", func(t *testing.T) {
				e, ns := apiServer(t)
				u.SetNamespace(ns)
				err := e.Client.Create(context.Background(), u, strict)
				if err == nil {
					t.Fatalf("accepted; want refusal on %s (%q)", c.field, c.msg)
				}
				var status apierrors.APIStatus
				if !apierrors.IsInvalid(err) || !errors.As(err, &status) || status.Status().Details == nil {
					t.Fatalf("want an Invalid error with causes, got %v", err)
				}
				for _, cause := range status.Status().Details.Causes {
					if cause.Field == c.field && strings.Contains(cause.Message, c.msg) {
						return
					}
				}
				t.Fatalf("refused, but no cause on %s with %q:\n%v", c.field, c.msg, err)
			})
		})
	}
}

// TestAdmissionAcceptsWhatRuns: values the engine runs as declared pass
// admission, and the run-time path accepts them too.
func TestAdmissionAcceptsWhatRuns(t *testing.T) {
	cases := []struct {
		name, kind, base, patch string
		run                     runCheck
	}{
		{"maxAmount 0 means no maximum", "SegmentationModel", baseModel, `cleaning: {minAmount: "5", maxAmount: "0"}`, runModel},
		{"leap day", "SegmentationModel", baseModel, `{asOf: "2024-02-29", method: {type: CLV, clv: {calibrationEnd: "2024-02-29"}}}`, runModel},
		{"whole-day lifecycle", "SegmentationModel", baseModel, `method: {type: Lifecycle, lifecycle: {newWithin: 48h, activeWithin: 720h, churnedAfter: 8760h}}`, runModel},
		{"every kmeans feature", "SegmentationModel", baseModel, `method: {type: KMeans, kmeans: {features: [Recency, Frequency, Monetary, AverageOrderValue, Tenure, InterPurchaseTime], restarts: 3, maxIterations: 50}}`, runModel},
		{"ascending buckets", "ReportSchedule", baseSchedule, `reports: [{type: VIP, vip: {spendBuckets: ["50", "100.5", "250"]}}]`, runSchedule},
		{"cron names, ranges and steps", "ReportSchedule", baseSchedule, `{schedule: "*/15 0-23/2 1,15 jan-JUN mon-fri", timeZone: Europe/Berlin}`, runCron},
		{"cron macro", "ReportSchedule", baseSchedule, `schedule: "@weekly"`, runCron},
		{"tab delimiter", "DataSource", baseHTTPSource, `csv: {delimiter: "\t"}`, runDelimiter},
		{"whitespace delimiter", "DataSource", baseHTTPSource, `csv: {delimiter: whitespace}`, runDelimiter},
		{"requests within limits", "SegmentationModel", baseModel, `job: {resources: {requests: {cpu: 500m, memory: 1Gi}, limits: {cpu: "1", memory: 1Gi}}}`, runJob},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			u := newObject(t, c.kind, c.base, c.patch)
			if err := c.run(t, u); err != nil {
				t.Fatalf("refused at run time: %v", err)
			}
			e, ns := apiServer(t)
			u.SetNamespace(ns)
			if err := e.Client.Create(context.Background(), u, strict); err != nil {
				t.Fatalf("refused at admission: %v", err)
			}
		})
	}
}

func decode(t *testing.T, u *unstructured.Unstructured, into any) {
	t.Helper()
	if err := runtime.DefaultUnstructuredConverter.FromUnstructured(u.Object, into); err != nil {
		t.Fatalf("decode %s: %v", u.GetKind(), err)
	}
}

// engineCheck turns an analysis into the engine's configuration, which
// validates every parameter before any data is read.
func engineCheck(a runplan.Analysis) error {
	p := &runplan.Plan{Analysis: a, Sources: []runplan.Source{{Name: "shop", Sample: &runplan.Sample{}}}}
	_, err := runner.EngineConfig(p, []input.Source{{Name: "shop"}})
	return err
}

func runModel(t *testing.T, u *unstructured.Unstructured) error {
	var m crmv1.SegmentationModel
	decode(t, u, &m)
	a, err := runplan.ModelAnalysis(&m)
	if err != nil {
		return err
	}
	return engineCheck(a)
}

func runSchedule(t *testing.T, u *unstructured.Unstructured) error {
	var rs crmv1.ReportSchedule
	decode(t, u, &rs)
	a, err := runplan.ScheduleAnalysis(&rs, nil)
	if err != nil {
		return err
	}
	return engineCheck(a)
}

// runCron is the reconciler's check of schedule and time zone.
func runCron(t *testing.T, u *unstructured.Unstructured) error {
	var rs crmv1.ReportSchedule
	decode(t, u, &rs)
	tz := ""
	if rs.Spec.TimeZone != nil {
		tz = *rs.Spec.TimeZone
	}
	_, err := schedule.Parse(rs.Spec.Schedule, tz)
	return err
}

// runDelimiter is the CSV reader's check of the delimiter.
func runDelimiter(t *testing.T, u *unstructured.Unstructured) error {
	var ds crmv1.DataSource
	decode(t, u, &ds)
	return input.Options{Delimiter: ds.Spec.CSV.Delimiter}.Validate()
}

// runJob creates a Job with the object's resources, as the reconciler
// would: the API server's Job validation is the run-time refusal.
func runJob(t *testing.T, u *unstructured.Unstructured) error {
	var set struct {
		Spec struct {
			Job crmv1.JobSettings `json:"job"`
		} `json:"spec"`
	}
	decode(t, u, &set)
	e, ns := apiServer(t)
	job := &batchv1.Job{
		ObjectMeta: metav1.ObjectMeta{GenerateName: "twin-", Namespace: ns},
		Spec: batchv1.JobSpec{Template: corev1.PodTemplateSpec{Spec: corev1.PodSpec{
			RestartPolicy: corev1.RestartPolicyNever,
			Containers:    []corev1.Container{{Name: "run", Image: "crmlens", Resources: *set.Spec.Job.Resources}},
		}}},
	}
	return e.Client.Create(context.Background(), job)
}
