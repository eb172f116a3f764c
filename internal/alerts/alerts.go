// Package alerts evaluates a ReportSchedule's alert rules against the metrics
// of a report run and tracks which alerts fire, since when, and which started
// or resolved in this evaluation. It knows nothing about Kubernetes objects:
// the reconciler maps spec and status to these types and turns transitions
// into conditions, Events, gauges and notifications.
package alerts

import (
	"fmt"
	"math"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Operator compares a metric value with a threshold.
type Operator string

// Operators understood by Rule. Both the symbolic and the spelled-out forms
// are accepted, so API enums of either style map without translation tables.
const (
	GreaterThan        Operator = ">"
	GreaterThanOrEqual Operator = ">="
	LessThan           Operator = "<"
	LessThanOrEqual    Operator = "<="
	Equal              Operator = "=="
	NotEqual           Operator = "!="
)

var operatorAliases = map[string]Operator{
	">": GreaterThan, "gt": GreaterThan, "greaterthan": GreaterThan,
	">=": GreaterThanOrEqual, "ge": GreaterThanOrEqual, "gte": GreaterThanOrEqual, "greaterthanorequal": GreaterThanOrEqual,
	"<": LessThan, "lt": LessThan, "lessthan": LessThan,
	"<=": LessThanOrEqual, "le": LessThanOrEqual, "lte": LessThanOrEqual, "lessthanorequal": LessThanOrEqual,
	"==": Equal, "=": Equal, "eq": Equal, "equal": Equal, "equals": Equal,
	"!=": NotEqual, "ne": NotEqual, "notequal": NotEqual,
}

// ParseOperator accepts ">", "GreaterThan", "gt" and the like (case-insensitive).
func ParseOperator(s string) (Operator, error) {
	if op, ok := operatorAliases[strings.ToLower(strings.TrimSpace(s))]; ok {
		return op, nil
	}
	return "", fmt.Errorf("unknown operator %q (want one of >, >=, <, <=, ==, !=)", s)
}

func (o Operator) holds(v, threshold float64) bool {
	switch o {
	case GreaterThan:
		return v > threshold
	case GreaterThanOrEqual:
		return v >= threshold
	case LessThan:
		return v < threshold
	case LessThanOrEqual:
		return v <= threshold
	case Equal:
		return v == threshold
	case NotEqual:
		return v != threshold
	}
	return false
}

// Rule is a threshold rule on one report metric, e.g. churnRate > 0.25.
type Rule struct {
	Name      string `json:"name"`
	Metric    string `json:"metric"`    // key in the run's metrics, e.g. "churnRate"
	Operator  string `json:"operator"`  // as ParseOperator accepts
	Threshold string `json:"threshold"` // decimal string, as in the API (no floats in specs)
	Severity  string `json:"severity,omitempty"`
	// ForRuns is how many consecutive runs the comparison must hold before
	// the alert fires (0 or 1: at once).
	ForRuns int `json:"forRuns,omitempty"`
}

// VIPDropRule fires when at least MinCustomers VIPs dropped against their own
// baseline. The engine's VIP report judges each VIP (recent window against
// the VIP's earlier rate); Metric names the count of flagged VIPs for the
// chosen measure. The previous run's count goes into the state's message, so
// people see whether the drop is spreading.
type VIPDropRule struct {
	Name         string `json:"name"`
	Metric       string `json:"metric"` // e.g. "vipDropped", "vipFrequencyDropped", "vipSpendDropped"
	MinCustomers int    `json:"minCustomers"`
	Severity     string `json:"severity,omitempty"`
}

// State is one alert's state as kept in status between evaluations.
type State struct {
	Name      string    `json:"name"`
	Firing    bool      `json:"firing,omitempty"`
	Value     string    `json:"value,omitempty"`
	Threshold string    `json:"threshold,omitempty"`
	Severity  string    `json:"severity,omitempty"`
	Message   string    `json:"message,omitempty"`
	Since     time.Time `json:"since,omitzero"` // when it started firing (or resolved, when not firing)
	// Holds counts consecutive runs the comparison held (for ForRuns).
	Holds int `json:"holds,omitempty"`
}

// Outcome is the result of one evaluation.
type Outcome struct {
	// States holds every rule's state, sorted by name.
	States []State `json:"states,omitempty"`
	// Started and Resolved name the alerts that changed in this evaluation.
	Started  []State `json:"started,omitempty"`
	Resolved []State `json:"resolved,omitempty"`
	// Problems explains rules that could not be evaluated (unknown metric,
	// bad threshold); such a rule keeps its previous state.
	Problems []string `json:"problems,omitempty"`
}

// Firing returns the names of the firing alerts, sorted.
func (o Outcome) Firing() []string {
	var n []string
	for _, s := range o.States {
		if s.Firing {
			n = append(n, s.Name)
		}
	}
	return n
}

// Evaluate applies the rules to the run's metrics (prev: the previous run's
// metrics, for drop rules; nil when there was none) and returns the new states
// and transitions relative to previous.
func Evaluate(rules []Rule, drops []VIPDropRule, metrics, prev map[string]float64, previous []State, now time.Time) Outcome {
	old := map[string]State{}
	for _, s := range previous {
		old[s.Name] = s
	}
	var out Outcome
	settle := func(name, severity string, holds bool, forRuns int, value, threshold, msg string) {
		p, had := old[name]
		n := 0
		if holds {
			n = p.Holds + 1
		}
		firing := holds && n >= max(forRuns, 1)
		s := State{Name: name, Firing: firing, Value: value, Threshold: threshold, Severity: severity, Message: msg, Since: now, Holds: n}
		if had && p.Firing == firing {
			s.Since = p.Since
		}
		switch {
		case firing && (!had || !p.Firing):
			out.Started = append(out.Started, s)
		case !firing && had && p.Firing:
			out.Resolved = append(out.Resolved, s)
		}
		out.States = append(out.States, s)
	}
	keep := func(name, problem string) {
		out.Problems = append(out.Problems, fmt.Sprintf("alert %s: %s", name, problem))
		if p, ok := old[name]; ok {
			out.States = append(out.States, p)
		}
	}
	for _, r := range rules {
		op, err := ParseOperator(r.Operator)
		if err != nil {
			keep(r.Name, err.Error())
			continue
		}
		th, err := parseDecimal(r.Threshold)
		if err != nil {
			keep(r.Name, fmt.Sprintf("threshold: %v", err))
			continue
		}
		v, ok := metrics[r.Metric]
		if !ok || math.IsNaN(v) {
			keep(r.Name, fmt.Sprintf("metric %q not in this run's report", r.Metric))
			continue
		}
		settle(r.Name, r.Severity, op.holds(v, th), r.ForRuns, FormatValue(v), r.Threshold,
			fmt.Sprintf("%s = %s (%s %s)", r.Metric, FormatValue(v), op, r.Threshold))
	}
	for _, r := range drops {
		minN := max(r.MinCustomers, 1)
		cur, ok := metrics[r.Metric]
		if !ok {
			keep(r.Name, fmt.Sprintf("metric %q not in this run's report (does the schedule run the VIP report?)", r.Metric))
			continue
		}
		msg := fmt.Sprintf("%s VIPs dropped against their baseline (alert from %d)", FormatValue(cur), minN)
		if before, ok := prev[r.Metric]; ok {
			msg += fmt.Sprintf("; previous run: %s", FormatValue(before))
		}
		settle(r.Name, r.Severity, cur >= float64(minN), 1, FormatValue(cur), strconv.Itoa(minN), msg)
	}
	sort.Slice(out.States, func(i, j int) bool { return out.States[i].Name < out.States[j].Name })
	return out
}

func parseDecimal(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil || math.IsNaN(v) || math.IsInf(v, 0) {
		return 0, fmt.Errorf("%q is not a decimal number", s)
	}
	return v, nil
}

// FormatValue renders a metric value as a plain decimal rounded to four
// places (no exponent, so 1380740.5 stays readable), deterministically, so
// an unchanged value gives an unchanged status and no status write.
func FormatValue(v float64) string {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return strconv.FormatFloat(v, 'g', -1, 64)
	}
	r := math.Round(v*1e4) / 1e4
	if r == 0 {
		r = 0 // no "-0"
	}
	return strconv.FormatFloat(r, 'f', -1, 64)
}
