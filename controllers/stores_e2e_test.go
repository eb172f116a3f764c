package controllers_test

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crmlens/crmlens/analytics/engine"
	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/pgtest"
)

func pgSecret(ns, name, user, password string) *corev1.Secret {
	return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
		StringData: map[string]string{"username": user, "password": password}}
}

// pgSource is a postgres DataSource on the test server, which serves
// plain text: sslMode disable.
func pgSource(ns, name, secret string, s *pgtest.Server, table string) *crmv1.DataSource {
	return &crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: crmv1.DataSourceSpec{
		Postgres: &crmv1.PostgresSource{
			PostgresConnection: crmv1.PostgresConnection{SecretRef: crmv1.PostgresSecretRef{Name: secret}, Host: s.Host, Port: int32(s.Port), Database: s.Database,
				SSLMode: "disable"},
			Table: table,
		},
		Schema: sampleColumns(),
	}}
}

// TestStoresPostgresDataSource probes postgres DataSources through the
// reconciler against a real server: every not-ready reason a platform
// engineer can cause, and no credential in status or Events.
func TestStoresPostgresDataSource(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{})
	loadShop(t, pg, "orders", shopCSV(t, 50, 3))
	h := newHarness(t)
	ns := h.ns("stores-pg-probe")
	h.startManager(false, nil)
	const wrong = "Wr0ng-Passw0rd-9f3a"

	missingCol := pgSource(ns, "pg-badcol", "pg", pg, "orders")
	missingCol.Spec.Schema.Transactions.Amount = "line_total"
	noKey := pgSource(ns, "pg-nokey", "pg", pg, "orders")
	noKey.Spec.Postgres.SecretRef.PasswordKey = "pass"
	noTable := pgSource(ns, "pg-notable", "pg", pg, "sales.orders")
	// A read-only query instead of a table.
	byQuery := pgSource(ns, "pg-query", "pg", pg, "")
	byQuery.Spec.Postgres.Query = "SELECT * FROM orders WHERE channel <> 'social'"
	// The API default verify-full never falls back to plain text.
	defTLS := pgSource(ns, "pg-tls", "pg", pg, "orders")
	defTLS.Spec.Postgres.SSLMode = ""
	h.create(pgSecret(ns, "pg", pg.User, pg.Password), pgSecret(ns, "pg-wrong", pg.User, wrong),
		pgSource(ns, "pg-ok", "pg", pg, "orders"),
		pgSource(ns, "pg-badpw", "pg-wrong", pg, "orders"),
		pgSource(ns, "pg-nosecret", "pg-absent", pg, "orders"),
		noKey, missingCol, noTable, defTLS, byQuery)

	ok := h.dsCondition(ns, "pg-ok", string(crmv1.ReasonConnected), 30*time.Second)
	if c := cond(ok.Status.Conditions, crmv1.ConditionReady); c.Status != metav1.ConditionTrue || ok.Status.LastProbeTime == nil || !strings.Contains(c.Message, "mapped columns") {
		t.Errorf("pg-ok: %+v", ok.Status)
	}
	h.dsCondition(ns, "pg-query", string(crmv1.ReasonConnected), 30*time.Second)
	for _, tc := range []struct {
		name, reason string
		says         []string // the message must name these, so a person knows what to fix
	}{
		{"pg-badpw", "AuthFailed", []string{"pg-wrong", "password"}},
		{"pg-nosecret", "SecretNotFound", []string{"pg-absent"}},
		{"pg-nokey", "SecretKeyMissing", []string{`"pg"`, `"pass"`}},
		{"pg-badcol", "SchemaMismatch", []string{"line_total"}},
		{"pg-notable", "NotFound", []string{"sales.orders"}},
		{"pg-tls", "TLSFailed", []string{"sslMode"}},
	} {
		ds := h.dsCondition(ns, tc.name, tc.reason, 30*time.Second)
		c := cond(ds.Status.Conditions, crmv1.ConditionReady)
		if c.Status != metav1.ConditionFalse {
			t.Errorf("%s: Ready = %+v", tc.name, c)
		}
		for _, s := range tc.says {
			if !strings.Contains(c.Message, s) {
				t.Errorf("%s: message %q does not name %s", tc.name, c.Message, s)
			}
		}
		// A Warning Event carries the same reason.
		h.eventually(10*time.Second, tc.name+" Warning Event", func() error {
			if n := h.eventReasons(ns, tc.name)[tc.reason]; n != 1 {
				return fmt.Errorf("%d %s Events", n, tc.reason)
			}
			return nil
		})
	}

	// The server goes away: the next probe says so, and comes back Connected.
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	reprobe := func() {
		// A spec change re-probes at once (probeInterval is also a spec field).
		d := &crmv1.DataSource{}
		if err := h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: "pg-ok"}, d); err != nil {
			t.Fatal(err)
		}
		iv := 11 * time.Second
		if d.Spec.ProbeInterval != nil && d.Spec.ProbeInterval.Duration == iv {
			iv = 12 * time.Second
		}
		d.Spec.ProbeInterval = &metav1.Duration{Duration: iv}
		if err := h.c.Update(context.Background(), d); err != nil {
			t.Fatal(err)
		}
	}
	reprobe()
	down := h.dsCondition(ns, "pg-ok", "Unreachable", 40*time.Second)
	if c := cond(down.Status.Conditions, crmv1.ConditionReady); c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, fmt.Sprint(pg.Port)) {
		t.Errorf("unreachable: %+v (want the address in the message)", c)
	}
	if err := pg.StartServer(); err != nil {
		t.Fatal(err)
	}
	reprobe()
	h.dsCondition(ns, "pg-ok", string(crmv1.ReasonConnected), 40*time.Second)

	if l := h.leaks(ns, wrong, pg.Password); len(l) > 0 {
		t.Errorf("a password is visible:\n%s", strings.Join(l, "\n"))
	}
}

// pgModel is an RFM model reading source and writing per-customer rows to
// table on the same database.
func pgModel(ns, name, source, table, asOf string) *crmv1.SegmentationModel {
	m := rfmModel(ns, name, source)
	d := crmv1.Date(asOf)
	zero := int32(0)
	m.Spec.AsOf = &d
	m.Spec.Job = &crmv1.JobSettings{BackoffLimit: &zero}
	m.Spec.Output.Store = &crmv1.ResultStore{Postgres: &crmv1.PostgresStore{DataSourceRef: &crmv1.LocalObjectReference{Name: source}, Table: table}}
	return m
}

// TestStoresPostgresModel runs an RFM model on a real PostgreSQL through the
// operator: the aggregation is pushed down, the figures equal the file path
// on the same rows (RFM, and CLV on pushed-down purchase days), per-customer
// rows land in the sink table; a run while the server is down, and a run
// whose query is cut by the server stopping, fail clearly and keep the
// previous results, and the next run after a restart recovers.
func TestStoresPostgresModel(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{Settings: []string{"shared_preload_libraries = 'pg_stat_statements'", "pg_stat_statements.track = all"}})
	if out, err := pg.Psql("", "CREATE EXTENSION pg_stat_statements"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	data := shopCSV(t, 400, 11)
	loadShop(t, pg, "orders", data)
	const asOf = "2025-12-31"
	want := expectedRFM(t, data, time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC))
	if out, err := pg.Psql("", "SELECT pg_stat_statements_reset()"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}

	h := newHarness(t)
	ns := h.ns("stores-pg-model")
	h.startManager(true, nil)
	ctx := context.Background()
	h.create(pgSecret(ns, "pg", pg.User, pg.Password), pgSource(ns, "warehouse", "pg", pg, "orders"),
		pgModel(ns, "rfm", "warehouse", "crm_results", asOf))

	m := h.waitModelRun(ns, "rfm", "rfm-g1")
	if c := cond(m.Status.Conditions, crmv1.ConditionReady); !condIs(c, metav1.ConditionTrue, string(crmv1.ReasonSucceeded)) {
		t.Fatalf("Ready = %+v; Degraded = %+v", c, cond(m.Status.Conditions, crmv1.ConditionDegraded))
	}
	compareFigures(t, m.Status, want)
	if !strings.Contains(m.Status.ResultLocation, "crm_results") || !strings.Contains(m.Status.ResultLocation, "rfm-g1") {
		t.Errorf("resultLocation = %q", m.Status.ResultLocation)
	}

	// Pushdown: the database ran the GROUP BY over the table, and no raw-row
	// COPY ... TO STDOUT of it was sent.
	stmts := pgCounts(t, pg, `SELECT query, calls FROM pg_stat_statements WHERE query ILIKE '%"orders"%'`)
	grouped, copied := 0, 0
	for q := range stmts {
		if strings.Contains(q, "GROUP BY") {
			grouped++
		}
		if strings.Contains(strings.ToUpper(q), "TO STDOUT") {
			copied++
		}
	}
	if grouped == 0 || copied != 0 {
		t.Errorf("statements on orders: %d GROUP BY, %d COPY TO STDOUT; want the aggregation pushed down:\n%v", grouped, copied, stmts)
	}

	// The sink holds one row per customer for the run, segments as in status.
	wantSeg := map[string]int64{}
	for _, s := range m.Status.Segments {
		if s.Customers > 0 {
			wantSeg[s.Name] = s.Customers
		}
	}
	sinkSegments := func(run string) map[string]int64 {
		return pgCounts(t, pg, "SELECT segment, count(*) FROM crm_results WHERE run_id = $1 GROUP BY segment", run)
	}
	if got := sinkSegments("rfm-g1"); fmt.Sprint(got) != fmt.Sprint(wantSeg) {
		t.Errorf("sink segments of rfm-g1 = %v, want %v", got, wantSeg)
	}
	if got := pgCounts(t, pg, "SELECT run_id, customers FROM crm_results_runs"); got["rfm-g1"] != want.Input.Customers {
		t.Errorf("crm_results_runs = %v", got)
	}

	// CLV needs purchase days: the database condenses them per customer
	// around the calibration end, and the fit equals the file path's.
	clv := pgModel(ns, "clv", "warehouse", "", asOf)
	clv.Spec.Method = crmv1.Method{Type: crmv1.MethodCLV}
	clv.Spec.Output.Store = nil
	h.create(clv)
	cm := h.waitModelRun(ns, "clv", "clv-g1")
	if c := cond(cm.Status.Conditions, crmv1.ConditionReady); !condIs(c, metav1.ConditionTrue, string(crmv1.ReasonSucceeded)) {
		t.Fatalf("CLV Ready = %+v; Degraded = %+v", c, cond(cm.Status.Conditions, crmv1.ConditionDegraded))
	}
	compareFigures(t, cm.Status, expected(t, data, time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC), engine.CLV))

	// The server goes away: the run fails with a clear reason and keeps the
	// previous result ConfigMap and sink rows. pgtest runs without
	// synchronous commit and stops like a crash; a checkpoint makes the
	// committed run durable first, as synchronous commit would in production.
	if out, err := pg.Psql("", "CHECKPOINT"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	failedRun := h.runNow(ns, "rfm", "down")
	var failed *crmv1.SegmentationModel
	h.eventually(90*time.Second, "failed run absorbed", func() error {
		failed = h.model(ns, "rfm")
		if failed.Status.LastRunName != failedRun {
			return fmt.Errorf("lastRunName %q", failed.Status.LastRunName)
		}
		if c := cond(failed.Status.Conditions, crmv1.ConditionDegraded); !condIs(c, metav1.ConditionTrue, "") {
			return fmt.Errorf("degraded = %+v", c)
		}
		return nil
	})
	deg := cond(failed.Status.Conditions, crmv1.ConditionDegraded)
	if deg.Reason != "SourceUnreachable" || !strings.Contains(deg.Message, "warehouse") || !strings.Contains(deg.Message, fmt.Sprint(pg.Port)) {
		t.Errorf("Degraded = %s: %s; want SourceUnreachable naming the source and its address", deg.Reason, deg.Message)
	}
	if c := cond(failed.Status.Conditions, crmv1.ConditionReady); !condIs(c, metav1.ConditionTrue, "") {
		t.Errorf("Ready after a failed run with a good previous result = %+v", c)
	}
	compareFigures(t, failed.Status, want)
	var res corev1.ConfigMap
	if err := h.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "rfm-result"}, &res); err != nil {
		t.Fatal(err)
	}
	if res.Labels["crmlens.io/run"] != "rfm-g1" || !strings.Contains(res.Data["result.json"], fmt.Sprintf(`"customers":%d`, want.Input.Customers)) {
		t.Errorf("previous result ConfigMap changed: labels %v", res.Labels)
	}

	if err := pg.StartServer(); err != nil {
		t.Fatal(err)
	}
	if got := sinkSegments("rfm-g1"); fmt.Sprint(got) != fmt.Sprint(wantSeg) {
		t.Errorf("after the failed run the sink holds %v for rfm-g1, want %v", got, wantSeg)
	}
	if got := pgCounts(t, pg, "SELECT run_id, count(*) FROM crm_results GROUP BY run_id"); len(got) != 1 {
		t.Errorf("sink runs after the failed run = %v, want only rfm-g1", got)
	}

	// Back up: the next run recovers.
	nextRun := h.runNow(ns, "rfm", "up")
	m = h.waitModelRun(ns, "rfm", nextRun)
	if c := cond(m.Status.Conditions, crmv1.ConditionDegraded); !condIs(c, metav1.ConditionFalse, "") {
		t.Errorf("Degraded after recovery = %+v", c)
	}
	compareFigures(t, m.Status, want)
	if got := sinkSegments(nextRun); fmt.Sprint(got) != fmt.Sprint(wantSeg) {
		t.Errorf("sink segments of %s = %v, want %v", nextRun, got, wantSeg)
	}
	if got := pgCounts(t, pg, "SELECT run_id, count(*) FROM crm_results GROUP BY run_id"); len(got) != 2 {
		t.Errorf("sink runs = %v, want rfm-g1 and %s (keepRuns 3)", got, nextRun)
	}

	// Stopped mid-run: the source query is slow, the server stops while it
	// runs; the run fails as unreachable and the last good results stay.
	ds := &crmv1.DataSource{}
	if err := h.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "warehouse"}, ds); err != nil {
		t.Fatal(err)
	}
	ds.Spec.Postgres.Table = ""
	ds.Spec.Postgres.Query = "SELECT o.* FROM orders o CROSS JOIN (SELECT pg_sleep(4)) AS slow"
	if err := h.c.Update(ctx, ds); err != nil {
		t.Fatal(err)
	}
	h.dsCondition(ns, "warehouse", string(crmv1.ReasonConnected), 30*time.Second)
	midRun := h.runNow(ns, "rfm", "mid-run")
	h.eventually(30*time.Second, "the run's query is running", func() error {
		// The statement text is cut at track_activity_query_size: match the client.
		q := pgCounts(t, pg, "SELECT query, count(*) FROM pg_stat_activity WHERE state = 'active' AND application_name = 'crmlens' GROUP BY query")
		if len(q) == 0 {
			return fmt.Errorf("no query")
		}
		return nil
	})
	if out, err := pg.Psql("", "CHECKPOINT"); err != nil { // durable, as above
		t.Fatalf("%v: %s", err, out)
	}
	if err := pg.Stop(); err != nil {
		t.Fatal(err)
	}
	h.eventually(90*time.Second, "mid-run failure absorbed", func() error {
		failed = h.model(ns, "rfm")
		if failed.Status.LastRunName != midRun {
			return fmt.Errorf("lastRunName %q", failed.Status.LastRunName)
		}
		return nil
	})
	if c := cond(failed.Status.Conditions, crmv1.ConditionDegraded); !condIs(c, metav1.ConditionTrue, "SourceUnreachable") || !strings.Contains(c.Message, "warehouse") {
		t.Errorf("Degraded after a mid-run stop = %+v", c)
	}
	compareFigures(t, failed.Status, want)
	if err := h.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "rfm-result"}, &res); err != nil {
		t.Fatal(err)
	}
	if res.Labels["crmlens.io/run"] != nextRun {
		t.Errorf("result ConfigMap run = %q, want the last good %s", res.Labels["crmlens.io/run"], nextRun)
	}
	if err := pg.StartServer(); err != nil {
		t.Fatal(err)
	}
	if got := sinkSegments(nextRun); fmt.Sprint(got) != fmt.Sprint(wantSeg) {
		t.Errorf("after the mid-run stop the sink holds %v for %s, want %v", got, nextRun, wantSeg)
	}

	if l := h.leaks(ns, pg.Password); len(l) > 0 {
		t.Errorf("the password is visible:\n%s", strings.Join(l, "\n"))
	}
}
