package controllers

import (
	"encoding/json"
	"reflect"
	"sort"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/alerts"
	"github.com/crmlens/crmlens/internal/runplan"
)

func TestAlertPlanCarriesRulesAndState(t *testing.T) {
	since := time.Date(2026, 2, 1, 6, 0, 0, 0, time.UTC)
	withRules := &crmv1.ReportSchedule{
		ObjectMeta: metav1.ObjectMeta{Annotations: map[string]string{annotationAlertStreaks: `{"churn":2,"aov-low":1}`}},
		Spec: crmv1.ReportScheduleSpec{
			Alerts: []crmv1.AlertRule{
				{Name: "churn", Metric: "churnRate", Operator: ">", Threshold: "0.25", Severity: "critical", ForRuns: 2},
				{Name: "aov-low", Metric: "averageOrderValue", Operator: "<", Threshold: "20", ForRuns: 3},
			},
			VIPActivityDrop: &crmv1.VIPActivityDropRule{Measure: "Spend", MinCustomers: 4, Severity: "warning"},
		},
		Status: crmv1.ReportScheduleStatus{
			Alerts: []crmv1.FiringAlert{{Name: "churn", Since: metav1.NewTime(since)}},
			KPIs:   map[string]string{"churnRate": "0.3", "vipSpendDropped": "5"},
		},
	}
	for _, tc := range []struct {
		name string
		rs   *crmv1.ReportSchedule
		want *runplan.Alerts
	}{
		{"no rules", &crmv1.ReportSchedule{}, nil},
		{"rules, firing alert and streaks", withRules, &runplan.Alerts{
			Rules: []alerts.Rule{
				{Name: "churn", Metric: "churnRate", Operator: ">", Threshold: "0.25", Severity: "critical", ForRuns: 2},
				{Name: "aov-low", Metric: "averageOrderValue", Operator: "<", Threshold: "20", ForRuns: 3},
			},
			VIPDrops:        []alerts.VIPDropRule{{Name: vipDropAlert, Metric: "vipSpendDropped", MinCustomers: 4, Severity: "warning"}},
			Previous:        []alerts.State{{Name: "aov-low", Holds: 1}, {Name: "churn", Firing: true, Since: since, Holds: 2}},
			PreviousMetrics: map[string]float64{"churnRate": 0.3, "vipSpendDropped": 5},
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := alertPlan(tc.rs)
			if got != nil {
				sort.Slice(got.Previous, func(i, j int) bool { return got.Previous[i].Name < got.Previous[j].Name })
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Errorf("alertPlan =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}

func TestPseudonymizeKeyOnlyBySecretKeyRef(t *testing.T) {
	pz, uses := renderPseudonymize(&crmv1.Pseudonymization{SecretRef: crmv1.SecretKeySelector{Name: "hash", Key: "k"}})
	if pz == nil || pz.KeyEnv != pseudoKeyEnv {
		t.Fatalf("plan part %+v", pz)
	}
	env := secretEnv(uses)
	if len(env) != 1 || env[0].Name != pseudoKeyEnv || env[0].Value != "" || env[0].ValueFrom == nil || env[0].ValueFrom.SecretKeyRef == nil ||
		env[0].ValueFrom.SecretKeyRef.Name != "hash" || env[0].ValueFrom.SecretKeyRef.Key != "k" {
		t.Errorf("env %+v", env)
	}
	if pz, uses := renderPseudonymize(nil); pz != nil || uses != nil {
		t.Error("pseudonymisation without the switch")
	}
}

// TestAlertsEvaluatedOnce: the reconciler adopts the runner's evaluation
// when the plan it was made on still matches (a planted outcome comes back
// unchanged, so no second evaluation ran), and evaluates itself when the
// schedule's alert state moved while the run ran.
func TestAlertsEvaluatedOnce(t *testing.T) {
	since := time.Date(2025, 3, 1, 6, 0, 0, 0, time.UTC)
	rs := &crmv1.ReportSchedule{
		Spec: crmv1.ReportScheduleSpec{Alerts: []crmv1.AlertRule{{Name: "churn", Metric: "churnRate", Operator: "GreaterThan", Threshold: "0.25", ForRuns: 1}}},
		Status: crmv1.ReportScheduleStatus{
			Alerts: []crmv1.FiringAlert{{Name: "churn", Value: "0.3", Threshold: "0.25", Since: metav1.NewTime(since)}},
			KPIs:   map[string]string{"churnRate": "0.3"},
		},
	}
	plan := alertPlan(rs) // what the run was given
	// Through the plan's JSON, as the Job receives it.
	b, err := json.Marshal(plan)
	if err != nil {
		t.Fatal(err)
	}
	var decoded runplan.Alerts
	if err := json.Unmarshal(b, &decoded); err != nil {
		t.Fatal(err)
	}
	planted := &runplan.AlertOutcome{Basis: decoded.Basis(), Outcome: alerts.Outcome{Problems: []string{"planted"}}}
	metrics := map[string]float64{"churnRate": 0.1}
	now := since.Add(7 * 24 * time.Hour)

	// At absorb time: the same rules, states and previous metrics.
	a := &runplan.Alerts{Rules: plan.Rules, VIPDrops: plan.VIPDrops, Previous: previousAlertStates(rs, map[string]int{}), PreviousMetrics: parseKPIs(rs.Status.KPIs)}
	o, adopted := adoptOrEvaluate(a, planted, metrics, now)
	if !adopted || len(o.Problems) != 1 || o.Problems[0] != "planted" {
		t.Fatalf("same basis: adopted=%v outcome %+v, want the runner's outcome", adopted, o)
	}
	// Another run resolved the alert meanwhile: the state moved, so the
	// reconciler evaluates (churn 0.1 ≤ 0.25: nothing fires).
	moved := rs.DeepCopy()
	moved.Status.Alerts = nil
	a.Previous = previousAlertStates(moved, map[string]int{})
	o, adopted = adoptOrEvaluate(a, planted, metrics, now)
	if adopted || len(o.Problems) != 0 || len(o.Firing()) != 0 {
		t.Fatalf("moved basis: adopted=%v outcome %+v, want an own evaluation with nothing firing", adopted, o)
	}
	// A runner without the field (older image): evaluated here.
	if _, adopted := adoptOrEvaluate(a, nil, metrics, now); adopted {
		t.Error("adopted a missing outcome")
	}
}
