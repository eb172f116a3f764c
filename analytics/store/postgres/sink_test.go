package postgres

import (
	"context"
	"errors"
	"fmt"
	"math"
	"reflect"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/txn"
	"github.com/crmlens/crmlens/internal/pgtest"
)

func rowsFor(run string, n int) []result.Row {
	out := make([]result.Row, n)
	for i := range out {
		out[i] = result.Row{
			Customer: fmt.Sprintf("%s-c%03d", run, i), R: uint8(1 + i%5), F: uint8(1 + (i/5)%5), M: 3,
			Segment: "Champions", Monetary: txn.Money(12345 * (i + 1)), PAlive: math.NaN(), CLV: float64(i) / 3,
		}
	}
	return out
}

func writeRun(ctx context.Context, cfg Config, opts SinkOptions, rows []result.Row) error {
	w, err := OpenRun(ctx, cfg, opts)
	if err != nil {
		return err
	}
	for i := range rows {
		if err := w.Write(&rows[i]); err != nil {
			w.Abort()
			return err
		}
	}
	return w.Close()
}

type latestRow struct {
	run, cust string
	r         *int16
	monetary  *float64
	clv       *float64
	pAlive    *float64
}

// latest reads the "<table>_latest" view.
func latest(t *testing.T, s *pgtest.Server, table string) []latestRow {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URI("disable"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, "SELECT run_id, customer_id, r, monetary::float8, clv, p_alive FROM "+pgx.Identifier{table + "_latest"}.Sanitize()+" ORDER BY customer_id")
	if err != nil {
		t.Fatal(err)
	}
	var out []latestRow
	for rows.Next() {
		var l latestRow
		if err := rows.Scan(&l.run, &l.cust, &l.r, &l.monetary, &l.clv, &l.pAlive); err != nil {
			t.Fatal(err)
		}
		out = append(out, l)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func runIDs(t *testing.T, s *pgtest.Server, table string) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URI("disable"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, "SELECT DISTINCT run_id FROM "+pgx.Identifier{table}.Sanitize()+" ORDER BY 1")
	ids, err := pgx.CollectRows(rows, pgx.RowTo[string])
	if err != nil {
		t.Fatal(err)
	}
	return ids
}

func TestSinkAtomicRunsAndRetention(t *testing.T) {
	s := server(t)
	ctx := context.Background()
	cfg := connCfg(s)
	opts := func(run string) SinkOptions {
		return SinkOptions{Table: "public.segments", RunID: run, KeepRuns: 2, BatchRows: 10,
			Columns: []result.Column{result.ColCustomer, result.ColR, result.ColF, result.ColM, result.ColSegment, result.ColMonetary, result.ColCLV}}
	}
	if err := writeRun(ctx, cfg, opts("run-1"), rowsFor("run-1", 50)); err != nil {
		t.Fatal(err)
	}
	got := latest(t, s, "segments")
	if len(got) != 50 || got[0].run != "run-1" || got[1].r == nil || *got[1].r != 2 {
		t.Fatalf("after run-1: %d rows, first %+v", len(got), got[0])
	}
	if got[1].monetary == nil || *got[1].monetary != 2.469 || got[3].clv == nil || *got[3].clv != 1 || got[0].pAlive != nil {
		t.Errorf("values: monetary %v clv %v pAlive %v; want 2.469, 1, NULL (column not written)", got[1].monetary, got[3].clv, got[0].pAlive)
	}

	// A run that fails mid-write (a customer ID PostgreSQL refuses, after
	// several batches went out) leaves run-1 as it was.
	bad := rowsFor("run-2", 45)
	bad[37].Customer = "broken\x00id"
	err := writeRun(ctx, cfg, opts("run-2"), bad)
	if err == nil {
		t.Fatal("run-2 with an invalid customer ID succeeded")
	}
	if got := latest(t, s, "segments"); len(got) != 50 || got[0].run != "run-1" {
		t.Fatalf("after the failed run-2: %d rows of %q", len(got), got[0].run)
	}
	if ids := runIDs(t, s, "segments"); !reflect.DeepEqual(ids, []string{"run-1"}) {
		t.Fatalf("stored runs after failure = %v", ids)
	}

	// Retention: keep the last two complete runs.
	for _, run := range []string{"run-3", "run-4"} {
		if err := writeRun(ctx, cfg, opts(run), rowsFor(run, 20)); err != nil {
			t.Fatal(err)
		}
	}
	if ids := runIDs(t, s, "segments"); !reflect.DeepEqual(ids, []string{"run-3", "run-4"}) {
		t.Fatalf("stored runs = %v, want run-3, run-4", ids)
	}
	if got := latest(t, s, "segments"); len(got) != 20 || got[0].run != "run-4" {
		t.Fatalf("latest = %d rows of %q", len(got), got[0].run)
	}
	// Re-writing a run ID (a retried Job) replaces that run.
	if err := writeRun(ctx, cfg, opts("run-4"), rowsFor("run-4", 7)); err != nil {
		t.Fatal(err)
	}
	if got := latest(t, s, "segments"); len(got) != 7 {
		t.Fatalf("rewritten run-4 has %d rows, want 7", len(got))
	}
	// An explicit abort changes nothing.
	w, err := OpenRun(ctx, cfg, opts("run-5"))
	if err != nil {
		t.Fatal(err)
	}
	r := rowsFor("run-5", 1)[0]
	if err := w.Write(&r); err != nil {
		t.Fatal(err)
	}
	w.Abort()
	if got := latest(t, s, "segments"); len(got) != 7 || got[0].run != "run-4" {
		t.Fatalf("after abort: %d rows of %q", len(got), got[0].run)
	}
}

func TestSinkRejectsBadOptions(t *testing.T) {
	s := server(t)
	if err := ProbeSink(context.Background(), connCfg(s), "probe_results"); err != nil {
		t.Fatalf("ProbeSink: %v", err)
	}
	conn, err := pgx.Connect(context.Background(), s.URI("disable"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(context.Background())
	var exists bool
	if err := conn.QueryRow(context.Background(), "SELECT to_regclass('probe_results') IS NOT NULL").Scan(&exists); err != nil || exists {
		t.Fatalf("the probe's DDL must be rolled back: table exists %v (%v)", exists, err)
	}
	bad := connCfg(s)
	bad.Password = "wrong"
	if err := ProbeSink(context.Background(), bad, "probe_results"); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("ProbeSink with a wrong password: %v", err)
	}
	for _, o := range []SinkOptions{{Table: "", RunID: "r"}, {Table: "a.b.c", RunID: "r"}, {Table: "x", RunID: ""}, {Table: "x", RunID: "r", KeepRuns: -1}} {
		if _, err := OpenRun(context.Background(), connCfg(s), o); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("OpenRun(%+v) = %v, want ErrInvalidConfig", o, err)
		}
	}
}

// The server going away mid-run fails the run with a clear, typed error;
// previous results survive and the next run after a restart succeeds.
func TestServerStoppedMidRun(t *testing.T) {
	s := pgtest.Start(t, pgtest.Options{})
	loadCSV(t, s, "tx", genCSV(4, 100))
	ctx := context.Background()
	cfg := Config{Host: s.Host, Port: s.Port, Database: s.Database, User: s.User, Password: s.Password, SSLMode: SSLDisable}
	sink := SinkOptions{Table: "res", RunID: "before", BatchRows: 5}
	if err := writeRun(ctx, cfg, sink, rowsFor("before", 12)); err != nil {
		t.Fatal(err)
	}

	// A slow aggregation is cut off by the shutdown.
	slow := cfg
	slow.Query = `SELECT tx.* FROM tx, pg_sleep(3)`
	errc := make(chan error, 1)
	go func() { _, err := Aggregate(ctx, slow, AggregateOptions{}); errc <- err }()
	// A sink run has sent batches when the server stops.
	sink.RunID = "during"
	w, err := OpenRun(ctx, cfg, sink)
	if err != nil {
		t.Fatal(err)
	}
	rows := rowsFor("during", 40)
	for i := range 20 {
		if err := w.Write(&rows[i]); err != nil {
			t.Fatal(err)
		}
	}
	time.Sleep(300 * time.Millisecond)
	if err := s.Stop(); err != nil {
		t.Fatal(err)
	}
	aggErr := <-errc
	if !errors.Is(aggErr, ErrUnreachable) {
		t.Errorf("aggregate during shutdown: %v, want ErrUnreachable", aggErr)
	}
	var sinkErr error
	for i := 20; i < len(rows) && sinkErr == nil; i++ {
		sinkErr = w.Write(&rows[i])
	}
	if sinkErr == nil {
		sinkErr = w.Close()
	}
	if !errors.Is(sinkErr, ErrUnreachable) {
		t.Errorf("sink during shutdown: %v, want ErrUnreachable", sinkErr)
	}
	t.Logf("aggregate error: %v\nsink error: %v", aggErr, sinkErr)
	if err := Probe(ctx, Config{Host: s.Host, Port: s.Port, Database: s.Database, User: s.User, Password: s.Password, SSLMode: SSLDisable, Table: "tx"}); !errors.Is(err, ErrUnreachable) {
		t.Errorf("probe of a stopped server: %v", err)
	}

	if err := s.StartServer(); err != nil {
		t.Fatal(err)
	}
	if got := latest(t, s, "res"); len(got) != 12 || got[0].run != "before" {
		t.Fatalf("after restart: latest has %d rows of %q, want the 12 of \"before\"", len(got), got[0].run)
	}
	cfg.Table = "tx"
	set, err := Aggregate(ctx, cfg, AggregateOptions{})
	if err != nil || len(set.Customers) == 0 {
		t.Fatalf("aggregate after restart: %v", err)
	}
	sink.RunID = "after"
	if err := writeRun(ctx, cfg, sink, rowsFor("after", 9)); err != nil {
		t.Fatal(err)
	}
	if got := latest(t, s, "res"); len(got) != 9 || got[0].run != "after" {
		t.Fatalf("next run: latest has %d rows of %q", len(got), got[0].run)
	}
}
