package engine

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/crmlens/crmlens/analytics/aggregate"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/rfm"
	"github.com/crmlens/crmlens/analytics/txn"
	"github.com/crmlens/crmlens/analytics/valuematrix"
)

// Run reads cfg's sources into a customer set and analyses it (see Analyze).
// perCustomer may be nil to skip the per-customer part.
func Run(ctx context.Context, cfg Config, perCustomer result.CustomerWriter) (*result.Document, error) {
	start := cfg.now()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	if len(cfg.Sources) == 0 {
		return nil, errors.New("no sources to read")
	}
	rules := cfg.Rules
	if rules.AsOf.IsZero() {
		rules.AsOf = cfg.AsOf
	}
	opts := aggregate.Options{Rules: rules, History: cfg.needsHistory(), Workers: cfg.Workers, Location: cfg.Location}
	if cfg.Progress != nil {
		opts.Progress = func(rows int64) {
			cfg.Progress(Event{Stage: "read", Rows: rows, Msg: fmt.Sprintf("read %d rows", rows)})
		}
	}
	set, err := aggregate.Build(ctx, cfg.Sources, opts)
	if err != nil {
		return nil, fmt.Errorf("read sources: %w", err)
	}
	doc, err := analyze(ctx, cfg, set, perCustomer, start)
	if err != nil {
		return nil, err
	}
	return doc, nil
}

// Analyze runs the method and reports of cfg on a customer set built
// elsewhere (cfg.Sources only name the inputs in the document). It streams
// one row per customer to perCustomer (nil to skip) and closes it, and
// returns the summary, bounded to cfg.MaxSummaryBytes.
func Analyze(ctx context.Context, cfg Config, set *customer.Set, perCustomer result.CustomerWriter) (*result.Document, error) {
	start := cfg.now()
	if err := cfg.check(); err != nil {
		return nil, err
	}
	return analyze(ctx, cfg, set, perCustomer, start)
}

func (c *Config) now() time.Time {
	if c.Now != nil {
		return c.Now()
	}
	return time.Now()
}

func (c *Config) progress(stage, msg string) {
	if c.Progress != nil {
		c.Progress(Event{Stage: stage, Msg: msg})
	}
}

// check validates cfg and refuses methods and reports not wired yet, before
// any data is read.
func (c *Config) check() error {
	if err := c.Validate(); err != nil {
		return err
	}
	if err := available(string(c.method())); err != nil {
		return fmt.Errorf("method %w", err)
	}
	for _, r := range c.Reports {
		if err := available(string(r)); err != nil {
			return fmt.Errorf("report %w", err)
		}
	}
	return nil
}

// resolveAsOf picks the reference time: the configured one, else the set's,
// else the end of the last purchase day.
func resolveAsOf(cfg *Config, set *customer.Set, start time.Time) time.Time {
	switch {
	case !cfg.AsOf.IsZero():
		return cfg.AsOf
	case !cfg.Rules.AsOf.IsZero():
		return cfg.Rules.AsOf
	case !set.AsOf.IsZero():
		return set.AsOf
	}
	var last time.Time
	for i := range set.Customers {
		if l := set.Customers[i].Last; l.After(last) {
			last = l
		}
	}
	if last.IsZero() {
		return start
	}
	y, m, d := last.Date()
	return time.Date(y, m, d, 23, 59, 59, 0, last.Location())
}

func analyze(ctx context.Context, cfg Config, set *customer.Set, perCustomer result.CustomerWriter, start time.Time) (*result.Document, error) {
	if set == nil {
		return nil, errors.New("analyze: nil customer set")
	}
	excludeCustomers(set, cfg.Exclude)
	asOf := resolveAsOf(&cfg, set, start)
	doc := result.New()
	doc.Run.Method = string(cfg.method())
	for _, r := range cfg.reports() {
		doc.Run.Reports = append(doc.Run.Reports, string(r))
	}
	doc.Run.AsOf = asOf
	if !cfg.CalibrationEnd.IsZero() {
		ce := cfg.CalibrationEnd
		doc.Run.CalibrationEnd = &ce
	}
	doc.Run.TimeUnit = cfg.TimeUnit
	doc.Run.StartedAt = start
	doc.Run.Engine = Version
	fillInput(doc, &cfg, set)

	cs := set.Customers
	cfg.progress("analyze", fmt.Sprintf("analysing %d customers (%s)", len(cs), cfg.method()))
	// rows fills the method's per-customer fields; base fields are set by writeRows.
	var rows func(i int, r *result.Row)
	m, ok := model(string(cfg.method()))
	if !ok {
		return nil, fmt.Errorf("method %s: %w", cfg.method(), ErrNotAvailable)
	}
	out, err := m.Run(ctx, &cfg, set, asOf)
	if err != nil {
		return nil, fmt.Errorf("method %s: %w", cfg.method(), err)
	}
	if err := setSection(doc, string(cfg.method()), out.Section); err != nil {
		return nil, fmt.Errorf("method %w", err)
	}
	if out.Segments != nil {
		doc.Segments = out.Segments
	}
	for _, w := range out.Warnings {
		doc.Warn(string(cfg.method()), w)
	}
	rows = out.Fill
	if rows == nil {
		rows = func(int, *result.Row) {}
	} else {
		// Reports that select by segment (VIP segments) see the method's
		// assignment of each customer.
		cfg.segmentOf = func(i int) string {
			var r result.Row
			rows(i, &r)
			return r.Segment
		}
	}
	if err := runReports(ctx, &cfg, set, asOf, doc); err != nil {
		return nil, err
	}
	if perCustomer != nil {
		cfg.progress("write", fmt.Sprintf("writing %d per-customer rows", len(cs)))
		if err := writeRows(ctx, cs, asOf, rows, perCustomer); err != nil {
			return nil, err
		}
	}
	doc.Run.FinishedAt = cfg.now()
	doc.Run.DurationSeconds = doc.Run.FinishedAt.Sub(start).Seconds()
	result.TidyMoney(doc)
	if err := result.Bound(doc, cfg.MaxSummaryBytes); err != nil {
		return nil, err
	}
	cfg.progress("done", fmt.Sprintf("%d customers, %d transactions", doc.Input.Customers, doc.Input.Transactions))
	return doc, nil
}

// Columns returns the per-customer columns a run of cfg fills, so callers
// can create the CustomerWriter before Run. Other columns are written as
// zero values.
func Columns(cfg Config) []result.Column {
	cols := []result.Column{result.ColCustomer, result.ColRecencyDays, result.ColFrequency, result.ColMonetary, result.ColAOV, result.ColFirstPurchase, result.ColLastPurchase}
	if m, ok := model(string(cfg.method())); ok {
		cols = append(cols, m.Columns...)
	}
	return cols
}

func fillInput(doc *result.Document, cfg *Config, set *customer.Set) {
	for _, s := range cfg.Sources {
		f := s.Options.Format
		if f == "" {
			f = "csv"
		}
		doc.Input.Sources = append(doc.Input.Sources, result.Source{Name: s.Name, Channel: s.Channel, Format: f})
	}
	doc.Input.Rows = set.Rows
	doc.Input.Transactions = set.Transactions
	doc.Input.Customers = int64(len(set.Customers))
	doc.Input.Rejected = make(map[txn.RejectReason]int64, len(set.Rejected))
	for k, v := range set.Rejected {
		if v > 0 {
			doc.Input.Rejected[k] = v
		}
	}
	if set.Samples != nil {
		doc.Input.RejectSamples = append(doc.Input.RejectSamples, set.Samples...)
	}
	for k, v := range set.Netted {
		if v > 0 {
			if doc.Input.Netted == nil {
				doc.Input.Netted = map[txn.RejectReason]int64{}
			}
			doc.Input.Netted[k] = v
		}
	}
	switch {
	case cfg.Rules.MergeSameDay:
		doc.Input.OrderUnit = result.OrderUnitDay
	case set.OrderIDs:
		doc.Input.OrderUnit = result.OrderUnitOrder
	default:
		doc.Input.OrderUnit = result.OrderUnitLine
	}
	for i := range set.Customers {
		if set.Customers[i].Revenue <= 0 {
			doc.Input.NonPositiveNetCustomers++
		}
	}
}

func writeRows(ctx context.Context, cs []customer.Customer, asOf time.Time, fill func(int, *result.Row), w result.CustomerWriter) error {
	var r result.Row
	today := customer.DayOf(asOf)
	for i := range cs {
		if i%65536 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		c := &cs[i]
		r = result.Row{
			Customer:      c.ID,
			RecencyDays:   rfm.RecencyFrom(c, today),
			Frequency:     c.Orders,
			Monetary:      c.Revenue,
			AOV:           valuematrix.AOV(c),
			FirstPurchase: c.First,
			LastPurchase:  c.Last,
		}
		fill(i, &r)
		if err := w.Write(&r); err != nil {
			return err
		}
	}
	if err := w.Close(); err != nil {
		return err
	}
	return nil
}
