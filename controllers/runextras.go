package controllers

import (
	"encoding/json"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/alerts"
	"github.com/crmlens/crmlens/internal/runplan"
)

// pseudoKeyEnv is the Job variable the pseudonymisation key arrives in.
const pseudoKeyEnv = "CRMLENS_PSEUDO_KEY"

// renderPseudonymize maps the output's pseudonymisation switch to the plan:
// the plan names only the variable, the key comes through secretKeyRef.
func renderPseudonymize(pz *crmv1.Pseudonymization) (*runplan.Pseudonymize, []secretUse) {
	if pz == nil {
		return nil, nil
	}
	return &runplan.Pseudonymize{KeyEnv: pseudoKeyEnv}, []secretUse{{Env: pseudoKeyEnv, Secret: pz.SecretRef.Name, Key: pz.SecretRef.Key}}
}

// alertRules maps a schedule's alert spec to the evaluator's rules.
func alertRules(rs *crmv1.ReportSchedule) ([]alerts.Rule, []alerts.VIPDropRule) {
	var rules []alerts.Rule
	for _, a := range rs.Spec.Alerts {
		rules = append(rules, alerts.Rule{Name: a.Name, Metric: a.Metric, Operator: string(a.Operator), Threshold: string(a.Threshold), Severity: string(a.Severity), ForRuns: int(a.ForRuns)})
	}
	var drops []alerts.VIPDropRule
	if v := rs.Spec.VIPActivityDrop; v != nil {
		metric := "vipDropped"
		switch v.Measure {
		case "Frequency":
			metric = "vipFrequencyDropped"
		case "Spend":
			metric = "vipSpendDropped"
		}
		drops = append(drops, alerts.VIPDropRule{Name: vipDropAlert, Metric: metric, MinCustomers: int(v.MinCustomers), Severity: string(v.Severity)})
	}
	return rules, drops
}

// alertPlan gives the runner the schedule's rules and their state before
// this run, so the run's HTML report lists the alerts the reconciler will
// find firing when it absorbs the run.
func alertPlan(rs *crmv1.ReportSchedule) *runplan.Alerts {
	rules, drops := alertRules(rs)
	if len(rules) == 0 && len(drops) == 0 {
		return nil
	}
	a := &runplan.Alerts{Rules: rules, VIPDrops: drops, PreviousMetrics: parseKPIs(rs.Status.KPIs)}
	streaks := map[string]int{}
	_ = json.Unmarshal([]byte(rs.GetAnnotations()[annotationAlertStreaks]), &streaks)
	seen := map[string]bool{}
	for _, f := range rs.Status.Alerts {
		seen[f.Name] = true
		a.Previous = append(a.Previous, alerts.State{Name: f.Name, Firing: true, Since: f.Since.Time, Holds: streaks[f.Name]})
	}
	for name, n := range streaks {
		if !seen[name] {
			a.Previous = append(a.Previous, alerts.State{Name: name, Holds: n})
		}
	}
	return a
}
