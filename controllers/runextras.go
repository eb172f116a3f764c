package controllers

import (
	"encoding/json"
	"sort"
	"time"

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
	a.Previous = previousAlertStates(rs, streaks)
	return a
}

// previousAlertStates are the alerts' states before a run: the firing ones
// from status, the streaks of rules that hold but do not fire yet from the
// annotation; sorted by name, so the plan's basis and the reconciler's agree.
func previousAlertStates(rs *crmv1.ReportSchedule, streaks map[string]int) []alerts.State {
	var previous []alerts.State
	known := map[string]bool{}
	for _, f := range rs.Status.Alerts {
		known[f.Name] = true
		previous = append(previous, alerts.State{Name: f.Name, Firing: true, Value: f.Value, Threshold: f.Threshold, Severity: string(f.Severity), Since: f.Since.Time, Holds: streaks[f.Name]})
	}
	for name, n := range streaks {
		if !known[name] {
			previous = append(previous, alerts.State{Name: name, Holds: n})
		}
	}
	sort.Slice(previous, func(i, j int) bool { return previous[i].Name < previous[j].Name })
	return previous
}

// adoptOrEvaluate returns the runner's evaluation when it was made on the
// same basis (rules, previous states, previous metrics) the reconciler
// holds now, so the rules are evaluated once per run; otherwise (the
// schedule changed while the run ran, or an older runner) it evaluates a on
// the run's metrics. adopted says which.
func adoptOrEvaluate(a *runplan.Alerts, ran *runplan.AlertOutcome, metrics map[string]float64, at time.Time) (o alerts.Outcome, adopted bool) {
	if ran != nil && ran.Basis != "" && ran.Basis == a.Basis() {
		return ran.Outcome, true
	}
	return alerts.Evaluate(a.Rules, a.VIPDrops, metrics, a.PreviousMetrics, a.Previous, at), false
}
