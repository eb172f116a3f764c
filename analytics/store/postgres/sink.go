package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"math/big"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/crmlens/crmlens/analytics/result"
)

// SinkOptions say where and how per-customer results are written.
type SinkOptions struct {
	// Table is "name" or "schema.name". crmlens creates it when missing, plus
	// "<name>_runs" (one row per complete run) and the view "<name>_latest"
	// (the rows of the most recent complete run).
	Table string
	// RunID identifies the run (e.g. the Job name); writing the same ID again
	// replaces that run's rows.
	RunID string
	// KeepRuns is how many complete runs to keep, this one included; 0 means 3.
	KeepRuns int
	// Columns are the result columns the method filled; the others are written
	// as NULL. Empty means all.
	Columns []result.Column
	// BatchRows is the COPY batch size; 0 means 10000.
	BatchRows int
	// MaxAge deletes runs that finished longer ago than this when the run
	// commits (0: no age limit); the run being written is kept.
	MaxAge time.Duration
	// Now is the clock MaxAge is measured with (time.Now when nil).
	Now func() time.Time
}

// sinkColumns are the table's value columns, in result.Column order.
var sinkColumns = []struct {
	col  result.Column
	name string
	typ  string
}{
	{result.ColRecencyDays, "recency_days", "integer"},
	{result.ColFrequency, "frequency", "bigint"},
	{result.ColMonetary, "monetary", "numeric(20,4)"},
	{result.ColAOV, "aov", "double precision"},
	{result.ColFirstPurchase, "first_purchase", "timestamptz"},
	{result.ColLastPurchase, "last_purchase", "timestamptz"},
	{result.ColR, "r", "smallint"},
	{result.ColF, "f", "smallint"},
	{result.ColM, "m", "smallint"},
	{result.ColSegment, "segment", "text"},
	{result.ColStage, "stage", "text"},
	{result.ColCluster, "cluster", "integer"},
	{result.ColPAlive, "p_alive", "double precision"},
	{result.ColExpectedPurchases, "expected_purchases", "double precision"},
	{result.ColCLV, "clv", "double precision"},
	{result.ColRepeatPurchases, "repeat_purchases", "integer"},
	{result.ColRecencyTx, "recency_tx", "double precision"},
	{result.ColAgeT, "age_t", "double precision"},
	{result.ColExpectedSpend, "expected_spend", "double precision"},
}

// RunWriter writes one run's per-customer results inside a single database
// transaction. It implements result.CustomerWriter: Close commits the run
// (rows, runs-table entry, pruning of old runs) atomically; Abort, or any
// failure, rolls everything back so the previous runs stay readable and intact.
type RunWriter struct {
	ctx     context.Context
	cfg     *Config
	opts    SinkOptions
	conn    *pgx.Conn
	tx      pgx.Tx
	table   pgx.Identifier
	use     map[result.Column]bool
	batch   [][]any
	rows    int64
	err     error
	started time.Time
}

var _ result.CustomerWriter = (*RunWriter)(nil)

// OpenRun starts writing a run. Only connection settings of cfg are used.
func OpenRun(ctx context.Context, cfg Config, opts SinkOptions) (*RunWriter, error) {
	if opts.RunID == "" {
		return nil, fmt.Errorf("%w: sink run ID is empty", ErrInvalidConfig)
	}
	if opts.KeepRuns == 0 {
		opts.KeepRuns = 3
	}
	if opts.KeepRuns < 0 {
		return nil, fmt.Errorf("%w: keepRuns must be positive", ErrInvalidConfig)
	}
	if opts.BatchRows <= 0 {
		opts.BatchRows = 10000
	}
	table, err := tableIdent(opts.Table)
	if err != nil {
		return nil, err
	}
	w := &RunWriter{ctx: ctx, cfg: &cfg, opts: opts, table: table, started: time.Now()}
	w.use = map[result.Column]bool{}
	for _, c := range opts.Columns {
		w.use[c] = true
	}
	if w.conn, err = cfg.connect(ctx); err != nil {
		return nil, err
	}
	if err := w.begin(); err != nil {
		w.conn.Close(context.WithoutCancel(ctx))
		return nil, err
	}
	return w, nil
}

func tableIdent(t string) (pgx.Identifier, error) {
	parts := strings.Split(t, ".")
	if t == "" || len(parts) > 2 || slicesContainsEmpty(parts) {
		return nil, fmt.Errorf("%w: sink table %q: want name or schema.name", ErrInvalidConfig, t)
	}
	return pgx.Identifier(parts), nil
}

func slicesContainsEmpty(p []string) bool {
	for _, s := range p {
		if s == "" {
			return true
		}
	}
	return false
}

// suffixed returns the identifier with a suffix on its last part.
func suffixed(id pgx.Identifier, suffix string) pgx.Identifier {
	out := append(pgx.Identifier{}, id...)
	out[len(out)-1] += suffix
	return out
}

func (w *RunWriter) begin() error {
	ctx := w.ctx
	tx, err := w.conn.Begin(ctx)
	if err != nil {
		return w.cfg.wrap(ctx, "sink begin", err)
	}
	w.tx = tx
	t, runs, latest := w.table.Sanitize(), suffixed(w.table, "_runs").Sanitize(), suffixed(w.table, "_latest").Sanitize()
	cols := make([]string, 0, len(sinkColumns))
	for _, c := range sinkColumns {
		cols = append(cols, c.name+" "+c.typ)
	}
	stmts := []struct {
		sql  string
		args []any
	}{
		// One writer per table at a time, so pruning and the latest view never race.
		{"SELECT pg_advisory_xact_lock(hashtext($1))", []any{t}},
		{"CREATE TABLE IF NOT EXISTS " + t + " (run_id text NOT NULL, customer_id text NOT NULL, " +
			strings.Join(cols, ", ") + ", PRIMARY KEY (run_id, customer_id))", nil},
		// Tables made by an older version lack later columns.
		{"ALTER TABLE " + t + " " + addColumns(cols), nil},
		{"CREATE TABLE IF NOT EXISTS " + runs + " (run_id text PRIMARY KEY, finished_at timestamptz NOT NULL, customers bigint NOT NULL)", nil},
		{"CREATE OR REPLACE VIEW " + latest + " AS SELECT r.* FROM " + t + " r WHERE r.run_id = " +
			"(SELECT run_id FROM " + runs + " ORDER BY finished_at DESC, run_id DESC LIMIT 1)", nil},
		// Re-running a run ID (a retried Job) replaces it.
		{"DELETE FROM " + t + " WHERE run_id = $1", []any{w.opts.RunID}},
		{"DELETE FROM " + runs + " WHERE run_id = $1", []any{w.opts.RunID}},
	}
	for _, s := range stmts {
		if _, err := tx.Exec(ctx, s.sql, s.args...); err != nil {
			return w.fail(w.cfg.wrap(ctx, "sink prepare table", err))
		}
	}
	return nil
}

func (w *RunWriter) fail(err error) error {
	if w.err == nil {
		w.err = err
	}
	if w.tx != nil {
		_ = w.tx.Rollback(context.WithoutCancel(w.ctx))
		w.tx = nil
	}
	if w.conn != nil {
		w.conn.Close(context.WithoutCancel(w.ctx))
		w.conn = nil
	}
	return w.err
}

func (w *RunWriter) on(c result.Column) bool { return len(w.use) == 0 || w.use[c] }

// whole writes a whole number carried as a float (NaN when absent).
func (w *RunWriter) whole(c result.Column, v float64) any {
	if !w.on(c) || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return int32(v)
}

func (w *RunWriter) float(c result.Column, v float64) any {
	if !w.on(c) || math.IsNaN(v) || math.IsInf(v, 0) {
		return nil
	}
	return v
}

// Write queues one customer's row; rows are sent with COPY in batches.
func (w *RunWriter) Write(r *result.Row) error {
	if w.err != nil {
		return w.err
	}
	if w.tx == nil {
		return errors.New("postgres sink: write after close")
	}
	val := func(c result.Column, v any) any {
		if !w.on(c) {
			return nil
		}
		return v
	}
	tm := func(c result.Column, t time.Time) any {
		if !w.on(c) || t.IsZero() {
			return nil
		}
		return t
	}
	score := func(c result.Column, s uint8) any {
		if !w.on(c) || s == 0 {
			return nil
		}
		return int16(s)
	}
	text := func(c result.Column, s string) any {
		if !w.on(c) || s == "" {
			return nil
		}
		return s
	}
	w.batch = append(w.batch, []any{
		w.opts.RunID, r.Customer,
		val(result.ColRecencyDays, r.RecencyDays),
		val(result.ColFrequency, r.Frequency),
		val(result.ColMonetary, pgtype.Numeric{Int: big.NewInt(int64(r.Monetary)), Exp: -4, Valid: true}),
		w.float(result.ColAOV, r.AOV),
		tm(result.ColFirstPurchase, r.FirstPurchase),
		tm(result.ColLastPurchase, r.LastPurchase),
		score(result.ColR, r.R), score(result.ColF, r.F), score(result.ColM, r.M),
		text(result.ColSegment, r.Segment),
		text(result.ColStage, r.Stage),
		val(result.ColCluster, int32(r.Cluster)),
		w.float(result.ColPAlive, r.PAlive),
		w.float(result.ColExpectedPurchases, r.ExpectedPurchases),
		w.float(result.ColCLV, r.CLV),
		w.whole(result.ColRepeatPurchases, r.RepeatPurchases),
		w.float(result.ColRecencyTx, r.RecencyTx),
		w.float(result.ColAgeT, r.AgeT),
		w.float(result.ColExpectedSpend, r.ExpectedSpend),
	})
	if len(w.batch) >= w.opts.BatchRows {
		return w.flush()
	}
	return nil
}

func (w *RunWriter) flush() error {
	if len(w.batch) == 0 {
		return nil
	}
	names := []string{"run_id", "customer_id"}
	for _, c := range sinkColumns {
		names = append(names, c.name)
	}
	n, err := w.tx.CopyFrom(w.ctx, w.table, names, pgx.CopyFromRows(w.batch))
	if err != nil {
		return w.fail(w.cfg.wrap(w.ctx, "sink copy", err))
	}
	w.rows += n
	w.batch = w.batch[:0]
	return nil
}

// Close sends the last rows, records the run as complete, prunes runs beyond
// KeepRuns and commits — all in the one transaction.
func (w *RunWriter) Close() error {
	if w.err != nil {
		return w.err
	}
	if w.tx == nil {
		return nil
	}
	if err := w.flush(); err != nil {
		return err
	}
	ctx := w.ctx
	t, runs := w.table.Sanitize(), suffixed(w.table, "_runs").Sanitize()
	if _, err := w.tx.Exec(ctx, "INSERT INTO "+runs+" (run_id, finished_at, customers) VALUES ($1, clock_timestamp(), $2)", w.opts.RunID, w.rows); err != nil {
		return w.fail(w.cfg.wrap(ctx, "sink record run", err))
	}
	if _, err := w.tx.Exec(ctx, "DELETE FROM "+runs+" WHERE run_id NOT IN (SELECT run_id FROM "+runs+
		" ORDER BY finished_at DESC, run_id DESC LIMIT $1)", w.opts.KeepRuns); err != nil {
		return w.fail(w.cfg.wrap(ctx, "sink prune runs", err))
	}
	if err := w.pruneByAge(); err != nil {
		return err
	}
	if _, err := w.tx.Exec(ctx, "DELETE FROM "+t+" WHERE run_id NOT IN (SELECT run_id FROM "+runs+")"); err != nil {
		return w.fail(w.cfg.wrap(ctx, "sink prune rows", err))
	}
	if err := w.tx.Commit(ctx); err != nil {
		return w.fail(w.cfg.wrap(ctx, "sink commit", err))
	}
	w.tx = nil
	w.conn.Close(context.WithoutCancel(ctx))
	w.conn = nil
	return nil
}

// Abort discards the run; the table keeps the previous runs.
func (w *RunWriter) Abort() {
	if w.tx != nil || w.conn != nil {
		_ = w.fail(errors.New("postgres sink: run aborted"))
	}
}

// Rows is the number of rows sent so far.
func (w *RunWriter) Rows() int64 { return w.rows + int64(len(w.batch)) }

// ProbeSink checks that results can be written to table: it connects and
// runs the sink's table preparation (create if missing, lock, replace) in a
// transaction that is rolled back, so permissions are tested without effect.
func ProbeSink(ctx context.Context, cfg Config, table string) error {
	w, err := OpenRun(ctx, cfg, SinkOptions{Table: table, RunID: "crmlens-probe"})
	if err != nil {
		return err
	}
	w.Abort()
	return nil
}

// addColumns is the ALTER TABLE clause that adds each of cols ("name type")
// when missing.
func addColumns(cols []string) string {
	parts := make([]string, len(cols))
	for i, c := range cols {
		parts[i] = "ADD COLUMN IF NOT EXISTS " + c
	}
	return strings.Join(parts, ", ")
}
