package postgres

import (
	"context"
	"fmt"
	"slices"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/store/retention"
)

// TestEraseAndRetention writes three runs of 5 customers (IDs "<run>-cNNN",
// plus one customer "shared" in every run), erases "shared" and one run's
// customer: exactly 3 + 1 rows go, each run's count drops, the latest view
// follows, and a second erase changes nothing. Then retention at a fixed
// "now" deletes exactly the runs past maxAge.
func TestEraseAndRetention(t *testing.T) {
	s := server(t)
	cfg := connCfg(s)
	ctx := context.Background()
	exec(t, s, "DROP TABLE IF EXISTS erase_res, erase_res_runs CASCADE")
	for _, run := range []string{"r1", "r2", "r3"} {
		rows := rowsFor(run, 4)
		shared := rowsFor("x", 1)[0]
		shared.Customer = "shared"
		rows = append(rows, shared)
		if err := writeRun(ctx, cfg, SinkOptions{Table: "erase_res", RunID: run, KeepRuns: 10}, rows); err != nil {
			t.Fatal(err)
		}
	}
	count := func(sql string, args ...any) int64 {
		t.Helper()
		conn, err := cfg.connect(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close(ctx)
		var n int64
		if err := conn.QueryRow(ctx, sql, args...).Scan(&n); err != nil {
			t.Fatalf("%s: %v", sql, err)
		}
		return n
	}
	res, err := Erase(ctx, cfg, "erase_res", []string{"shared", "r2-c001", "nobody"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rows != 4 {
		t.Errorf("erased %d rows, want 4 (shared in 3 runs, r2-c001 once)", res.Rows)
	}
	if n := count("SELECT count(*) FROM erase_res WHERE customer_id IN ('shared', 'r2-c001')"); n != 0 {
		t.Errorf("%d rows left", n)
	}
	if n := count("SELECT count(*) FROM erase_res_latest WHERE customer_id = 'shared'"); n != 0 {
		t.Errorf("latest view still shows %d", n)
	}
	if n := count("SELECT sum(customers) FROM erase_res_runs"); n != 15-4 {
		t.Errorf("run history counts %d customers, want 11", n)
	}
	if res, err := Erase(ctx, cfg, "erase_res", []string{"shared", "r2-c001"}); err != nil || res.Rows != 0 {
		t.Errorf("second erase: %+v, %v; want nothing to do", res, err)
	}
	if res, err := Erase(ctx, cfg, "no_such_table", []string{"shared"}); err != nil || res.Rows != 0 {
		t.Errorf("erase on a missing table: %+v, %v", res, err)
	}

	// Retention: pin the finish times, then apply at a fixed now.
	now := time.Date(2026, 3, 10, 0, 0, 0, 0, time.UTC)
	for run, age := range map[string]time.Duration{"r1": 50 * time.Hour, "r2": 48 * time.Hour, "r3": time.Hour} {
		exec(t, s, "UPDATE erase_res_runs SET finished_at = $2 WHERE run_id = $1", run, now.Add(-age))
	}
	dropped, err := ApplyRetention(ctx, cfg, "erase_res", retention.Policy{MaxAge: 48 * time.Hour}, now)
	if err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(dropped) != "[r1]" {
		t.Errorf("dropped %v, want [r1] (r2 is exactly 48h old)", dropped)
	}
	runs, err := Runs(ctx, cfg, "erase_res")
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	if fmt.Sprint(ids) != "[r2 r3]" || count("SELECT count(*) FROM erase_res WHERE run_id = 'r1'") != 0 {
		t.Errorf("runs left %v", ids)
	}

	// The sink applies maxAge when a run commits, keeping that run.
	if err := writeRun(ctx, cfg, SinkOptions{Table: "erase_res", RunID: "r4", KeepRuns: 10, MaxAge: 24 * time.Hour,
		Now: func() time.Time { return now.Add(time.Minute) }}, rowsFor("r4", 2)); err != nil {
		t.Fatal(err)
	}
	runs, _ = Runs(ctx, cfg, "erase_res")
	ids = ids[:0]
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	slices.Sort(ids)
	if fmt.Sprint(ids) != "[r3 r4]" || count("SELECT count(*) FROM erase_res WHERE run_id = 'r2'") != 0 {
		t.Errorf("after a run with maxAge 24h: runs %v", ids)
	}
}
