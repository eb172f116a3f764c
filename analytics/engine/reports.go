package engine

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crmlens/crmlens/analytics/cohort"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/kpi"
	"github.com/crmlens/crmlens/analytics/pareto"
	"github.com/crmlens/crmlens/analytics/result"
)

// ErrAllReportsFailed is returned when reports were requested and none of
// them could be computed: a run that delivers only the method's segments is
// not what was asked for.
var ErrAllReportsFailed = errors.New("every requested report failed")

// runReports computes each requested report into doc. A report that cannot be
// computed does not take the others down: its reason goes to doc.Warnings
// (Failed) and the run goes on. Cancellation still stops the run, and so does
// the failure of every requested report.
func runReports(ctx context.Context, cfg *Config, set *customer.Set, asOf time.Time, doc *result.Document) error {
	reps := cfg.reports()
	var failed []error
	for _, rep := range reps {
		if err := ctx.Err(); err != nil {
			return err
		}
		warnings, err := runReport(ctx, cfg, set, asOf, doc, rep)
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			cfg.progress("report", fmt.Sprintf("report %s failed: %v", rep, err))
			doc.Warnings = append(doc.Warnings, result.Warning{Report: string(rep), Reason: err.Error(), Failed: true})
			failed = append(failed, fmt.Errorf("report %s: %w", rep, err))
			continue
		}
		for _, w := range warnings {
			doc.Warn(string(rep), w)
		}
	}
	if len(reps) > 0 && len(failed) == len(reps) {
		msgs := make([]string, len(failed))
		for i, e := range failed {
			msgs[i] = e.Error()
		}
		return &reportsError{msg: ErrAllReportsFailed.Error() + ": " + strings.Join(msgs, "; "), errs: append(failed, ErrAllReportsFailed)}
	}
	return nil
}

// runReport computes one report into its section of doc and returns the
// report's warnings (caveats on a delivered result).
func runReport(ctx context.Context, cfg *Config, set *customer.Set, asOf time.Time, doc *result.Document, rep Report) ([]string, error) {
	cs := set.Customers
	var err error
	switch rep {
	case KPI:
		var s *kpi.Summary
		if s, err = kpi.Compute(cs, asOf, cfg.KPI, cfg.Contacts); err == nil {
			if s.Campaign != nil && cfg.ContactsReport != nil {
				s.Campaign.RejectedContacts = cfg.ContactsReport.Rejected
				s.Campaign.RejectSamples = cfg.ContactsReport.Samples
			}
			doc.KPI = s
		}
		return nil, err
	case Pareto:
		var s *pareto.Summary
		if s, err = pareto.Analyze(cs, cfg.Pareto); err == nil {
			doc.Pareto = s
		}
		return nil, err
	case Cohort:
		var s *cohort.Summary
		if s, err = cohort.Build(cs, asOf); err == nil {
			doc.Cohort = s
		}
		return nil, err
	}
	m, ok := model(string(rep))
	if !ok {
		return nil, ErrNotAvailable
	}
	out, err := m.Run(ctx, cfg, set, asOf)
	if err != nil {
		return nil, err
	}
	if err := setSection(doc, string(rep), out.Section); err != nil {
		return nil, err
	}
	return out.Warnings, nil
}

// reportsError is the one-line error of a run whose reports all failed; it
// wraps ErrAllReportsFailed and each report's error.
type reportsError struct {
	msg  string
	errs []error
}

func (e *reportsError) Error() string   { return e.msg }
func (e *reportsError) Unwrap() []error { return e.errs }
