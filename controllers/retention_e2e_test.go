package controllers_test

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/pgtest"
)

// TestRetentionMaxAge: a model with output.retention.maxAge 1h writes three
// runs to PostgreSQL; the manager's clock (a fake) is then set just past
// maxAge after the second run finished. Exactly the first two runs go —
// from the result table, the run history and as Jobs — and the third stays.
func TestRetentionMaxAge(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{})
	loadShop(t, pg, "orders", shopCSV(t, 120, 4))
	h := newHarness(t)
	ns := h.ns("retention")
	clock := &fakeClock{}
	clock.Set(time.Now())
	h.startManager(true, clock)
	m := pgModel(ns, "rfm", "warehouse", "crm_results", "2025-12-31")
	m.Spec.Output.Store.Postgres.KeepRuns = 10
	m.Spec.Output.Retention = &crmv1.Retention{MaxAge: &metav1.Duration{Duration: time.Hour}}
	h.create(pgSecret(ns, "pg", pg.User, pg.Password), pgSource(ns, "warehouse", "pg", pg, "orders"), m)
	runs := []string{"rfm-g1"}
	h.waitModelRun(ns, "rfm", "rfm-g1")
	for _, v := range []string{"a", "b"} {
		if v == "b" {
			// Job times have whole seconds: keep the last run clear of the cut.
			time.Sleep(2500 * time.Millisecond)
		}
		run := h.runNow(ns, "rfm", v)
		h.waitModelRun(ns, "rfm", run)
		runs = append(runs, run)
	}
	finished := map[string]time.Time{}
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, pg.URI("disable"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, _ := conn.Query(ctx, "SELECT run_id, finished_at FROM crm_results_runs")
	for rows.Next() {
		var id string
		var at time.Time
		if err := rows.Scan(&id, &at); err != nil {
			t.Fatal(err)
		}
		finished[id] = at
	}
	if len(finished) != 3 {
		t.Fatalf("runs in the table: %v", finished)
	}
	// The second run's end, Job or table, whichever is later; the third
	// finished seconds after it.
	cut := finished[runs[1]]
	for _, j := range h.jobs(ns) {
		if j.Name == runs[1] && j.Status.CompletionTime != nil && j.Status.CompletionTime.After(cut) {
			cut = j.Status.CompletionTime.Time
		}
	}
	if !finished[runs[2]].After(cut.Add(time.Second)) {
		t.Fatalf("runs too close to tell apart: %v", finished)
	}
	clock.Set(cut.Add(time.Hour + time.Millisecond))
	poke := h.model(ns, "rfm")
	patch := client.MergeFrom(poke.DeepCopy())
	poke.Annotations["test/poke"] = strconv.Itoa(1)
	if err := h.c.Patch(ctx, poke, patch); err != nil {
		t.Fatal(err)
	}
	h.eventually(60*time.Second, "runs past maxAge deleted", func() error {
		var left []string
		rows, err := conn.Query(ctx, "SELECT DISTINCT run_id FROM crm_results UNION SELECT run_id FROM crm_results_runs")
		if err != nil {
			return err
		}
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			left = append(left, id)
		}
		var jobs []string
		for _, j := range h.jobs(ns) {
			if j.DeletionTimestamp == nil {
				jobs = append(jobs, j.Name)
			}
		}
		slices.Sort(jobs)
		if fmt.Sprint(left) != fmt.Sprint(runs[2:]) || fmt.Sprint(jobs) != fmt.Sprint(runs[2:]) {
			return fmt.Errorf("store holds %v, Jobs %v; want only %s", left, jobs, runs[2])
		}
		return nil
	})
	if c := cond(h.model(ns, "rfm").Status.Conditions, crmv1.ConditionReady); c == nil || c.Status != metav1.ConditionTrue {
		t.Errorf("Ready = %+v", c)
	}
}
