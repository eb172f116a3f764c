package postgres

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/input"
)

func TestBuilderFinish(t *testing.T) {
	var b builder
	tz, unused, label := b.arg("UTC"), b.arg(42), b.arg("web")
	sql, args := b.finish("SELECT " + label + ", " + tz + ", " + label)
	if sql != "SELECT $1, $2, $1" || !reflect.DeepEqual(args, []any{"web", "UTC"}) {
		t.Fatalf("finish = %q %v", sql, args)
	}
	_ = unused
}

// Hostile values — a channel label, a time zone, identifiers with quotes —
// travel as parameters or quoted identifiers: the query runs, means what it
// says, and the SQL text contains none of the values.
func TestNoValueInSQL(t *testing.T) {
	s := server(t)
	exec(t, s, `DROP TABLE IF EXISTS "we""ird tx"`)
	exec(t, s, `CREATE TABLE "we""ird tx" ("cust id" text, "when" timestamptz, "amt;" numeric)`)
	exec(t, s, `INSERT INTO "we""ird tx" VALUES ('a', '2024-01-01T10:00:00Z', 5), ('b', '2024-02-01T10:00:00Z', 7)`)
	hostile := "x'); DROP TABLE \"we\"\"ird tx\"; --"
	cfg := connCfg(s)
	cfg.Table = `we"ird tx`
	cfg.Channel = hostile
	cfg.Mapping = input.Mapping{Customer: input.Column{Name: "cust id"}, Time: input.Column{Name: "when"}, Amount: input.Column{Name: "amt;"}}
	rules := clean.Rules{MinAmount: 60000, MaxAmount: 77777777, WindowStart: time.Date(2023, 12, 31, 0, 0, 0, 0, time.UTC)}
	ctx := context.Background()
	conn, err := cfg.connect(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	sch, err := cfg.describe(ctx, conn)
	if err != nil {
		t.Fatal(err)
	}
	sql, args, _, err := cfg.pushdownQuery(sch, AggregateOptions{Rules: rules, History: true, Daily: true})
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range []string{"DROP", "2023-12-31", "60000", "7777", "UTC"} {
		if strings.Contains(sql, v) {
			t.Errorf("SQL text contains the value %q", v)
		}
	}
	if len(args) == 0 {
		t.Fatal("no bind parameters")
	}
	set, err := Aggregate(ctx, cfg, AggregateOptions{Rules: rules, Channels: true})
	if err != nil {
		t.Fatal(err)
	}
	if len(set.Customers) != 1 || set.Customers[0].ID != "b" || !reflect.DeepEqual(set.Channels, []string{hostile}) {
		t.Fatalf("customers %+v channels %q", set.Customers, set.Channels)
	}
	if err := Probe(ctx, cfg); err != nil {
		t.Fatalf("table gone or unreadable after the hostile run: %v", err)
	}
}
