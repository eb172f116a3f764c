package postgres

import (
	"context"
	"fmt"
	"io"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/crmlens/crmlens/analytics/sample"
)

func TestDebugPlan(t *testing.T) {
	if os.Getenv("PLAN") == "" {
		t.Skip()
	}
	s := server(t)
	ctx := context.Background()
	conn, _ := pgx.Connect(ctx, s.URI("disable"))
	defer conn.Close(ctx)
	conn.Exec(ctx, "CREATE TABLE tx ("+txColumns+")")
	cfg := sample.DefaultConfig(100000)
	cfg.MalformedShare = 0
	pr, pw := io.Pipe()
	go func() { _, err := sample.Generate(cfg, pw); pw.CloseWithError(err) }()
	conn.PgConn().CopyFrom(ctx, pr, "COPY tx FROM STDIN WITH (FORMAT csv, HEADER true)")
	conn.Exec(ctx, "VACUUM ANALYZE tx")
	conn.Exec(ctx, "SET work_mem='256MB'")
	c := connCfg(s)
	c.Table = "tx"
	sch, err := c.describe(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	sql, args, _ := c.pushdownQuery(sch, AggregateOptions{})

	for _, q := range []struct {
		sql  string
		args []any
	}{
		{`SELECT count(*) FROM tx`, nil},
		{`SELECT k, count(*) FILTER (WHERE po), min(mint), max(maxt), sum(n), sum(rev)::bigint, array_agg(ch) FROM (
		   SELECT k, o, ch, count(*) > 0 AS po, min(t) AS mint, max(t) AS maxt, count(*) AS n, sum(a) AS rev FROM (
		     SELECT customer_id AS k, order_id AS o, "timestamp" AS t, round(amount * 10000)::bigint AS a, channel AS ch FROM tx OFFSET 0) x
		   GROUP BY k, o, ch) y GROUP BY k`, nil},
		{`SELECT k, count(*), min(mint), max(maxt), sum(n), sum(rev)::bigint FROM (
		   SELECT customer_id AS k, order_id AS o, min("timestamp") AS mint, max("timestamp") AS maxt, count(*) AS n, sum(amount) AS rev FROM tx
		   GROUP BY k, o) y GROUP BY k`, nil},
		{`SELECT count(k) FROM (SELECT customer_id AS k FROM tx OFFSET 0) x`, nil},
		{`SELECT count(k) FROM (SELECT btrim(customer_id, ' ') AS k FROM tx OFFSET 0) x`, nil},
		{`SELECT count(a) FROM (SELECT round(amount::numeric * 10000)::bigint AS a FROM tx OFFSET 0) x`, nil},
		{`SELECT count(a) FROM (SELECT (amount * 100)::bigint AS a FROM tx OFFSET 0) x`, nil},
		{`SELECT count(d) FROM (SELECT (("timestamp" AT TIME ZONE 'UTC')::date - DATE '1970-01-01') AS d FROM tx OFFSET 0) x`, nil},
		{`SELECT count(d) FROM (SELECT (("timestamp" AT TIME ZONE $1)::date - DATE '1970-01-01') AS d FROM tx OFFSET 0) x`, []any{"UTC"}},
		{`SELECT count(d) FROM (SELECT NULLIF(COALESCE(NULLIF(btrim(channel, ' '), ''), $1::text), '') AS d FROM tx OFFSET 0) x`, []any{""}},
		{`SELECT customer_id, min("timestamp"), max("timestamp"), count(DISTINCT order_id), count(*), sum(amount) FROM tx GROUP BY customer_id`, nil}, {sql, args}} {
		start := time.Now()
		rows, err := conn.Query(ctx, "EXPLAIN (ANALYZE, TIMING OFF) "+q.sql, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var l string
			rows.Scan(&l)
			if strings.Contains(l, "Execution") || strings.HasPrefix(q.sql, "SELECT k") {
				fmt.Println(q.sql[:min(90, len(q.sql))], l)
			}
		}
		_ = start
	}
}
