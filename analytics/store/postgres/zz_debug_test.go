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
	sql, args, _, _ := c.pushdownQuery(sch, AggregateOptions{})

	bare := `SELECT customer_id, min("timestamp"), max("timestamp"), count(DISTINCT order_id), count(*), sum(amount) FROM tx GROUP BY customer_id`
	noReasons := strings.Split(sql, ", count(*) FILTER (WHERE r = 1)")[0] + " FROM (" + strings.SplitN(sql, " FROM (", 2)[1]
	flat := strings.ReplaceAll(sql, "array_agg(DISTINCT ch) FILTER (WHERE a >= 0 AND ch IS NOT NULL)", "NULL::text[]")
	fmt.Println(noReasons)
	type qq struct {
		sql  string
		args []any
	}
	var qs []qq
	for range 3 {
		qs = append(qs, qq{bare, nil}, qq{sql, args}, qq{noReasons, args}, qq{flat, args})
	}
	for _, q := range qs {
		start := time.Now()
		rows, err := conn.Query(ctx, "EXPLAIN (ANALYZE, TIMING OFF) "+q.sql, q.args...)
		if err != nil {
			t.Fatal(err)
		}
		for rows.Next() {
			var l string
			rows.Scan(&l)
			if strings.Contains(l, "Execution") {
				fmt.Println(map[string]string{bare: "bare", sql: "full", noReasons: "noReasons", flat: "noChannels"}[q.sql], l)
			}
		}
		_ = start
	}
}
