package runner

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crmlens/crmlens/analytics/pseudo"
	"github.com/crmlens/crmlens/analytics/report"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/internal/alerts"
	"github.com/crmlens/crmlens/internal/runplan"
)

// ConfigMapBudget is what the runner lets the summary ConfigMap's data grow
// to: the API refuses ConfigMaps above 1 MiB, and labels, owner references
// and managed fields need room too.
const ConfigMapBudget = 1<<20 - 64<<10

// ReportFileName is the report's object name in an object-store run folder.
const ReportFileName = "report.html"

// renderReport renders the run's HTML report, with the previous result (for
// change since the last run) and the alerts this run fires. It returns nil
// and a note when the report cannot be produced; a report never fails a run.
func (r *Runner) renderReport(ctx context.Context, p *runplan.Plan, doc *result.Document, ao *runplan.AlertOutcome) ([]byte, string) {
	prev := r.previousResult(ctx, p)
	opts := report.Options{
		Title:    fmt.Sprintf("%s %s/%s — run %s", p.Owner.Kind, p.Owner.Namespace, p.Owner.Name, p.Run),
		Previous: prev,
		Alerts:   firingAlerts(ao),
	}
	var buf bytes.Buffer
	if err := report.Render(&buf, doc, opts); err != nil {
		r.Log.Error(err, "render the HTML report")
		return nil, fmt.Sprintf("HTML report not rendered: %v", err)
	}
	return buf.Bytes(), ""
}

// previousResult reads the previous run's result document, or nil.
func (r *Runner) previousResult(ctx context.Context, p *runplan.Plan) *result.Document {
	name := p.PreviousResultConfigMap
	if name == "" {
		name = p.ResultConfigMap
	}
	var cm corev1.ConfigMap
	if err := r.Client.Get(ctx, client.ObjectKey{Namespace: p.Owner.Namespace, Name: name}, &cm); err != nil {
		return nil
	}
	raw, ok := cm.Data[runplan.KeyResult]
	if !ok {
		return nil
	}
	var doc result.Document
	if err := json.Unmarshal([]byte(raw), &doc); err != nil {
		r.Log.Info("previous result unreadable; the report shows no change since the last run", "configMap", name, "error", err.Error())
		return nil
	}
	return &doc
}

// EvaluateAlerts evaluates the plan's alert rules on this run's metrics:
// the one evaluation of the run, shown in its report and adopted by the
// ReportSchedule reconciler (runplan.Alerts.Basis). Nil without rules.
func EvaluateAlerts(a *runplan.Alerts, metrics map[string]float64, now time.Time) *runplan.AlertOutcome {
	if a == nil {
		return nil
	}
	return &runplan.AlertOutcome{Basis: a.Basis(), Outcome: alerts.Evaluate(a.Rules, a.VIPDrops, metrics, a.PreviousMetrics, a.Previous, now)}
}

// FiringAlerts evaluates the plan's alert rules on this run's metrics and
// returns the firing ones for the report.
func FiringAlerts(a *runplan.Alerts, metrics map[string]float64, now time.Time) []report.Alert {
	return firingAlerts(EvaluateAlerts(a, metrics, now))
}

func firingAlerts(ao *runplan.AlertOutcome) []report.Alert {
	if ao == nil {
		return nil
	}
	o := ao.Outcome
	var out []report.Alert
	for _, s := range o.States {
		if s.Firing {
			out = append(out, report.Alert{Name: s.Name, Severity: s.Severity, Value: s.Value, Threshold: s.Threshold, Message: s.Message, Since: s.Since})
		}
	}
	return out
}

// reportFits tells whether the report fits the summary ConfigMap next to the
// result and outcome documents.
func (r *Runner) reportFits(page []byte, doc, outcome string) bool {
	return len(page)+len(doc)+len(outcome) <= r.configMapBudget()
}

func (r *Runner) configMapBudget() int {
	if r.MaxConfigMapBytes > 0 {
		return r.MaxConfigMapBytes
	}
	return ConfigMapBudget
}

// attacher is a sink that can publish extra files with the run (the object
// store's run folder).
type attacher interface {
	Attach(name string, body []byte) error
}

// pseudonymizer returns the plan's customer-ID hasher, or nil when the plan
// does not ask for one. The key comes from the variable the plan names.
func (r *Runner) pseudonymizer(p *runplan.Plan) (*pseudo.Pseudonymizer, error) {
	if p.Pseudonymize == nil {
		return nil, nil
	}
	env := p.Pseudonymize.KeyEnv
	key := ""
	if env != "" && r.Creds != nil {
		key = r.Creds(env)
	}
	if key == "" {
		return nil, fmt.Errorf("pseudonymisation is on but variable %s holds no key", env)
	}
	ps, err := pseudo.New([]byte(key), 0)
	if err != nil {
		// The error names lengths only, never the key.
		return nil, fmt.Errorf("pseudonymisation key from %s: %w", env, err)
	}
	return ps, nil
}
