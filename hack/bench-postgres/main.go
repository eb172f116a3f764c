// Command bench-postgres measures the PostgreSQL pushdown against the bare
// per-customer GROUP BY and against pulling raw rows. It starts a throw-away
// server (internal/pgtest), loads the synthetic shop (analytics/sample) with
// COPY, then times, in one run:
//
//	(a) the bare per-customer GROUP BY in psql (output discarded),
//	(b) crmlens RFM via pushdown (postgres.Aggregate + rfm.Score),
//	(c) crmlens RFM pulling raw rows (postgres.Source → aggregate.Build + rfm.Score),
//
// and prints the ratios. The crmlens CLI cannot take a postgres source yet, so
// this program drives the packages directly. Run through hack/bench-postgres.sh.
package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/crmlens/crmlens/analytics/aggregate"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/rfm"
	"github.com/crmlens/crmlens/analytics/sample"
	"github.com/crmlens/crmlens/analytics/store/postgres"
	"github.com/crmlens/crmlens/internal/pgtest"
)

// bareQuery is what RFM needs per customer, with nothing else: first and last
// purchase, distinct orders, lines and revenue.
const bareQuery = `SELECT customer_id, min("timestamp"), max("timestamp"), count(DISTINCT order_id), count(*), sum(amount) FROM tx GROUP BY customer_id`

func main() {
	rows := flag.Int("rows", 10_000_000, "approximate number of transaction lines to load")
	reps := flag.Int("reps", 3, "timed repetitions of each contender")
	explain := flag.Bool("explain", false, "print EXPLAIN ANALYZE of the bare and the pushdown query first")
	workMem := flag.String("work-mem", "256MB", "PostgreSQL work_mem for the aggregations")
	flag.Parse()
	if err := run(*rows, *workMem, *reps, *explain); err != nil {
		fmt.Fprintln(os.Stderr, "bench-postgres:", err)
		os.Exit(1)
	}
}

func run(rows int, workMem string, reps int, explain bool) error {
	ctx := context.Background()
	srv, err := pgtest.New(pgtest.Options{Settings: []string{
		"shared_buffers = '1GB'", "work_mem = '" + workMem + "'", "max_parallel_workers_per_gather = 2",
		"max_wal_size = '4GB'", "checkpoint_timeout = '30min'",
	}})
	if err != nil {
		return err
	}
	defer srv.Close()

	cfg := sample.DefaultConfig(rows / 10)
	cfg.MalformedShare = 0 // rows with too few columns cannot be COPYed into a typed table
	conn, err := pgx.Connect(ctx, srv.URI("disable"))
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, `CREATE UNLOGGED TABLE tx (customer_id text, order_id text, "timestamp" timestamptz,
		amount numeric(12,2), channel text, category text, product text, quantity integer, gift boolean)`); err != nil {
		return err
	}
	start := time.Now()
	pr, pw := io.Pipe()
	var st sample.Stats
	go func() {
		var genErr error
		st, genErr = sample.Generate(cfg, pw)
		pw.CloseWithError(genErr)
	}()
	if _, err := conn.PgConn().CopyFrom(ctx, pr, `COPY tx FROM STDIN WITH (FORMAT csv, HEADER true)`); err != nil {
		return fmt.Errorf("load: %w", err)
	}
	if _, err := conn.Exec(ctx, "VACUUM ANALYZE tx"); err != nil {
		return err
	}
	var size string
	_ = conn.QueryRow(ctx, "SELECT pg_size_pretty(pg_total_relation_size('tx'))").Scan(&size)
	fmt.Printf("loaded %d rows (%d customers, table %s) in %s\n", st.Rows, st.Customers, size, time.Since(start).Round(time.Millisecond))
	// Warm the buffer cache so every contender reads from memory.
	if _, err := conn.Exec(ctx, "SELECT count(*), sum(amount) FROM tx"); err != nil {
		return err
	}
	if _, err := conn.Exec(ctx, "SET work_mem = '"+workMem+"'"); err != nil {
		return err
	}

	pg := postgres.Config{Host: srv.Host, Port: srv.Port, Database: srv.Database, User: srv.User, Password: srv.Password, SSLMode: postgres.SSLDisable, Table: "tx"}
	if explain {
		sql, args, err := postgres.PushdownSQL(ctx, pg, postgres.AggregateOptions{})
		if err != nil {
			return err
		}
		for _, q := range []struct {
			sql  string
			args []any
		}{{bareQuery, nil}, {sql, args}} {
			rows, err := conn.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+q.sql, q.args...)
			if err != nil {
				return err
			}
			for rows.Next() {
				var line string
				if err := rows.Scan(&line); err != nil {
					return err
				}
				fmt.Println(line)
			}
			if err := rows.Err(); err != nil {
				return err
			}
		}
	}
	var customers, scored int
	var rawRows int64
	contenders := []struct {
		name string
		run  func() error
	}{
		{"(a) bare GROUP BY in psql", func() error {
			if out, err := srv.Psql("", "SET work_mem = '"+workMem+"'; "+bareQuery, "-q", "-o", "/dev/null"); err != nil {
				return fmt.Errorf("psql: %w: %s", err, out)
			}
			return nil
		}},
		{"(b) crmlens RFM via pushdown", func() error {
			set, err := postgres.Aggregate(ctx, pg, postgres.AggregateOptions{})
			if err != nil {
				return err
			}
			customers, scored = len(set.Customers), len(rfm.Score(set.Customers, set.AsOf).Scores)
			return nil
		}},
		{"(c) crmlens RFM pulling raw rows", func() error {
			src, err := postgres.Source(ctx, pg)
			if err != nil {
				return err
			}
			raw, err := aggregate.Build(ctx, []input.Source{src}, aggregate.Options{})
			if err != nil {
				return err
			}
			rfm.Score(raw.Customers, raw.AsOf)
			if len(raw.Customers) != customers {
				return fmt.Errorf("paths disagree: %d customers by pushdown, %d from raw rows", customers, len(raw.Customers))
			}
			rawRows = raw.Rows
			return nil
		}},
	}
	// The machine may be shared: run the contenders interleaved, several
	// times, and compare the fastest run of each.
	best := make([]time.Duration, len(contenders))
	for rep := range reps {
		for i, c := range contenders {
			start := time.Now()
			if err := c.run(); err != nil {
				return fmt.Errorf("%s: %w", c.name, err)
			}
			d := time.Since(start)
			fmt.Printf("  rep %d %-34s %8.2fs\n", rep+1, c.name, d.Seconds())
			if rep == 0 || d < best[i] {
				best[i] = d
			}
		}
	}
	fmt.Printf("best of %d (%d customers scored, %d raw rows read):\n", reps, scored, rawRows)
	for i, c := range contenders {
		fmt.Printf("  %-34s %8.2fs\n", c.name, best[i].Seconds())
	}
	a, b, c := best[0].Seconds(), best[1].Seconds(), best[2].Seconds()
	fmt.Printf("ratios: b/a = %.2f (target <= 1.2)   c/a = %.2f   c/b = %.2f\n", b/a, c/a, c/b)
	return nil
}
