package runner

import (
	"context"
	"fmt"
	"strings"
	"time"

	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/engine"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/store/objectstore"
	"github.com/crmlens/crmlens/analytics/store/postgres"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/sources"
)

// storeSink is the external per-customer sink of one run.
type storeSink struct {
	w      result.CustomerWriter
	finish func(doc *result.Document) error // publishes the run (object store)
	abort  func()
}

func (s *storeSink) commitDoc(doc *result.Document) error {
	if s.finish != nil {
		return s.finish(doc)
	}
	return nil
}

// openSink opens the plan's external store, or returns nil without one.
func (r *Runner) openSink(ctx context.Context, p *runplan.Plan, cfg engine.Config) (*storeSink, string, error) {
	if p.Store == nil {
		return nil, "", nil
	}
	cols := engine.Columns(cfg)
	switch {
	case p.Store.Postgres != nil:
		ps := p.Store.Postgres
		pc := sources.PostgresConfig(&ps.Postgres, r.Creds, cfg.Sources[0].Options, "")
		pc.Query = ""
		table := ps.Table
		pc.Table = table
		w, err := postgres.OpenRun(ctx, pc, postgres.SinkOptions{Table: table, RunID: p.Run, KeepRuns: ps.KeepRuns, Columns: cols,
			MaxAge: time.Duration(p.Store.MaxAgeSeconds) * time.Second, Now: r.Now})
		if err != nil {
			return nil, "", fmt.Errorf("open postgres sink: %w", err)
		}
		return &storeSink{w: w, abort: w.Abort}, fmt.Sprintf("postgres table %s, run %s", table, p.Run), nil
	case p.Store.ObjectStore != nil:
		os := p.Store.ObjectStore
		sc := sources.ObjectStoreConfig(&os.ObjectStore, r.Creds, cfg.Sources[0].Options, "")
		w, err := objectstore.OpenRun(ctx, objectstore.SinkConfig{
			Config: sc.Config, Prefix: os.Prefix, Namespace: p.Owner.Namespace, Name: p.Owner.Name,
			RunID: p.Run, Format: strings.ToLower(os.Format), Columns: cols, KeepRuns: os.KeepRuns,
			MaxAge: time.Duration(p.Store.MaxAgeSeconds) * time.Second,
		})
		if err != nil {
			return nil, "", fmt.Errorf("open object store sink: %w", err)
		}
		loc := fmt.Sprintf("s3://%s/%s", os.Bucket, strings.Trim(strings.Join([]string{strings.Trim(os.Prefix, "/"), p.Owner.Namespace, p.Owner.Name, p.Run}, "/"), "/")+"/")
		return &storeSink{w: w, finish: w.Finish, abort: w.Abort}, loc, nil
	}
	return nil, "", nil
}

// pushdownSet aggregates the transactions inside the database when the run
// allows it: exactly one transaction source, a postgres one, and a method
// and reports that need only per-customer aggregates. Basket, VIP timing,
// cohorts and forecasts read single transactions, so for them (and for
// every other source) it returns nil and the raw-row path runs.
func (r *Runner) pushdownSet(ctx context.Context, p *runplan.Plan, cfg engine.Config) (*customer.Set, error) {
	var src *runplan.Source
	for i := range p.Sources {
		s := &p.Sources[i]
		if s.Content != "" && s.Content != "Transactions" {
			continue
		}
		if src != nil || s.Postgres == nil {
			return nil, nil
		}
		src = s
	}
	if src == nil {
		return nil, nil
	}
	for _, rep := range cfg.Reports {
		if rep != engine.KPI && rep != engine.Pareto {
			return nil, nil
		}
	}
	opts, err := sources.Options(*src)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", src.Name, err)
	}
	rules := cfg.Rules
	if rules.AsOf.IsZero() {
		rules.AsOf = cfg.AsOf
	}
	// Campaign KPIs look at purchase days, so they need History (from which
	// CLV summarises too); CLV alone gets its per-customer summaries computed
	// in SQL, at the calibration end the engine will use.
	history := cfg.Contacts != nil
	agg := postgres.AggregateOptions{Rules: rules, History: history}
	if cfg.Method == engine.CLV && !history {
		agg.CLV, agg.CalibrationEnd = true, clvCalibrationEnd(cfg)
	}
	set, err := postgres.Aggregate(ctx, sources.PostgresConfig(src.Postgres, r.Creds, opts, src.Channel), agg)
	if err != nil {
		return nil, fmt.Errorf("source %s: aggregate in the database: %w", src.Name, err)
	}
	r.Log.Info("per-customer aggregation pushed down to the database", "source", src.Name, "customers", len(set.Customers), "rows", set.Rows)
	return set, nil
}

// clvCalibrationEnd is the calibration end the engine's CLV method resolves
// before it sees the set: the configured end, else the as-of. Zero leaves it
// to the database, as the latest purchase day (the engine's as-of then).
func clvCalibrationEnd(cfg engine.Config) time.Time {
	switch {
	case !cfg.CalibrationEnd.IsZero():
		return cfg.CalibrationEnd
	case !cfg.AsOf.IsZero():
		return cfg.AsOf
	}
	return cfg.Rules.AsOf
}

// probeLazySources checks the postgres transaction sources the raw-row path
// will stream: their Source opens no connection until the engine reads, which
// comes after the sink is opened. The probe connects and describes the table
// or query without running it.
func (r *Runner) probeLazySources(ctx context.Context, p *runplan.Plan) error {
	for _, s := range p.Sources {
		if s.Postgres == nil || s.Content != "" && s.Content != "Transactions" {
			continue
		}
		opts, err := sources.Options(s)
		if err != nil {
			return fmt.Errorf("source %s: %w", s.Name, err)
		}
		if err := postgres.Probe(ctx, sources.PostgresConfig(s.Postgres, r.Creds, opts, s.Channel)); err != nil {
			return fmt.Errorf("source %s: %w", s.Name, err)
		}
	}
	return nil
}

// analyze runs the engine on a pushed-down customer set, or reads the
// sources itself when set is nil.
func analyze(ctx context.Context, cfg engine.Config, set *customer.Set, w result.CustomerWriter) (*result.Document, error) {
	if set != nil {
		return engine.Analyze(ctx, cfg, set, w)
	}
	return engine.Run(ctx, cfg, w)
}
