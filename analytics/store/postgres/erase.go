package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/crmlens/crmlens/analytics/store/retention"
)

// EraseResult counts what Erase removed.
type EraseResult struct {
	// Rows is the number of per-customer rows deleted, over every kept run.
	Rows int64
}

// Erase deletes the customers' rows from the sink table (every kept run;
// the "_latest" view reads the table, so it follows) and lowers each run's
// customer count in "<table>_runs" accordingly, in one transaction under the
// sink's table lock, so a run being written concurrently either finishes
// before (and is erased) or after. A missing table erases nothing. ids are
// the values stored in customer_id (pseudonyms when the owner pseudonymises).
func Erase(ctx context.Context, cfg Config, table string, ids []string) (EraseResult, error) {
	var res EraseResult
	if len(ids) == 0 {
		return res, nil
	}
	id, err := tableIdent(table)
	if err != nil {
		return res, err
	}
	err = withSinkTx(ctx, cfg, id, func(tx pgx.Tx) error {
		t, runs := id.Sanitize(), suffixed(id, "_runs").Sanitize()
		rows, err := tx.Query(ctx, "DELETE FROM "+t+" WHERE customer_id = ANY($1) RETURNING run_id", ids)
		if err != nil {
			return cfg.wrap(ctx, "erase rows", err)
		}
		perRun := map[string]int64{}
		for rows.Next() {
			var run string
			if err := rows.Scan(&run); err != nil {
				rows.Close()
				return cfg.wrap(ctx, "erase rows", err)
			}
			perRun[run]++
			res.Rows++
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return cfg.wrap(ctx, "erase rows", err)
		}
		for run, n := range perRun {
			if _, err := tx.Exec(ctx, "UPDATE "+runs+" SET customers = greatest(customers - $2, 0) WHERE run_id = $1", run, n); err != nil {
				return cfg.wrap(ctx, "erase run history", err)
			}
		}
		return nil
	})
	return res, err
}

// Runs lists the complete runs recorded in "<table>_runs" (none when the
// table does not exist).
func Runs(ctx context.Context, cfg Config, table string) ([]retention.Run, error) {
	id, err := tableIdent(table)
	if err != nil {
		return nil, err
	}
	var out []retention.Run
	err = withSinkTx(ctx, cfg, id, func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, "SELECT run_id, finished_at FROM "+suffixed(id, "_runs").Sanitize())
		if err != nil {
			return cfg.wrap(ctx, "list runs", err)
		}
		defer rows.Close()
		for rows.Next() {
			var r retention.Run
			if err := rows.Scan(&r.ID, &r.FinishedAt); err != nil {
				return cfg.wrap(ctx, "list runs", err)
			}
			out = append(out, r)
		}
		if err := rows.Err(); err != nil {
			return cfg.wrap(ctx, "list runs", err)
		}
		return nil
	})
	return out, err
}

// DeleteRuns removes runs (their rows and run-history entries) from the sink
// table, and returns the number of rows deleted.
func DeleteRuns(ctx context.Context, cfg Config, table string, runIDs []string) (int64, error) {
	if len(runIDs) == 0 {
		return 0, nil
	}
	id, err := tableIdent(table)
	if err != nil {
		return 0, err
	}
	var n int64
	err = withSinkTx(ctx, cfg, id, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, "DELETE FROM "+id.Sanitize()+" WHERE run_id = ANY($1)", runIDs)
		if err != nil {
			return cfg.wrap(ctx, "delete runs", err)
		}
		n = tag.RowsAffected()
		if _, err := tx.Exec(ctx, "DELETE FROM "+suffixed(id, "_runs").Sanitize()+" WHERE run_id = ANY($1)", runIDs); err != nil {
			return cfg.wrap(ctx, "delete runs", err)
		}
		return nil
	})
	return n, err
}

// ApplyRetention deletes the runs p expires at now and returns their IDs.
func ApplyRetention(ctx context.Context, cfg Config, table string, p retention.Policy, now time.Time) ([]string, error) {
	runs, err := Runs(ctx, cfg, table)
	if err != nil {
		return nil, err
	}
	drop := retention.Expired(runs, p, now)
	if _, err := DeleteRuns(ctx, cfg, table, drop); err != nil {
		return nil, err
	}
	return drop, nil
}

// withSinkTx runs fn in a transaction holding the sink's table lock; it
// does nothing when the sink table does not exist yet.
func withSinkTx(ctx context.Context, cfg Config, id pgx.Identifier, fn func(pgx.Tx) error) error {
	conn, err := cfg.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	tx, err := conn.Begin(ctx)
	if err != nil {
		return cfg.wrap(ctx, "begin", err)
	}
	defer func() { _ = tx.Rollback(context.WithoutCancel(ctx)) }()
	if _, err := tx.Exec(ctx, "SELECT pg_advisory_xact_lock(hashtext($1))", id.Sanitize()); err != nil {
		return cfg.wrap(ctx, "lock", err)
	}
	var exists bool
	if err := tx.QueryRow(ctx, "SELECT to_regclass($1) IS NOT NULL AND to_regclass($2) IS NOT NULL",
		id.Sanitize(), suffixed(id, "_runs").Sanitize()).Scan(&exists); err != nil {
		return cfg.wrap(ctx, "look up table", err)
	}
	if !exists {
		return nil
	}
	if err := fn(tx); err != nil {
		return err
	}
	if err := tx.Commit(ctx); err != nil {
		return cfg.wrap(ctx, "commit", err)
	}
	return nil
}

// pruneByAge deletes, inside the run's transaction, the history entries of
// runs past MaxAge (their rows follow with the sink's orphan pruning).
func (w *RunWriter) pruneByAge() error {
	if w.opts.MaxAge <= 0 {
		return nil
	}
	ctx := w.ctx
	runs := suffixed(w.table, "_runs").Sanitize()
	rows, err := w.tx.Query(ctx, "SELECT run_id, finished_at FROM "+runs)
	if err != nil {
		return w.fail(w.cfg.wrap(ctx, "sink list runs", err))
	}
	var all []retention.Run
	for rows.Next() {
		var r retention.Run
		if err := rows.Scan(&r.ID, &r.FinishedAt); err != nil {
			rows.Close()
			return w.fail(w.cfg.wrap(ctx, "sink list runs", err))
		}
		all = append(all, r)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return w.fail(w.cfg.wrap(ctx, "sink list runs", err))
	}
	now := time.Now
	if w.opts.Now != nil {
		now = w.opts.Now
	}
	drop := retention.Expired(all, retention.Policy{MaxAge: w.opts.MaxAge, Current: w.opts.RunID}, now())
	if len(drop) == 0 {
		return nil
	}
	if _, err := w.tx.Exec(ctx, "DELETE FROM "+runs+" WHERE run_id = ANY($1)", drop); err != nil {
		return w.fail(w.cfg.wrap(ctx, "sink prune runs by age", err))
	}
	return nil
}
