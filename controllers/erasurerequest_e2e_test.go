package controllers_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/minio/minio-go/v7"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/pgtest"
	"github.com/crmlens/crmlens/internal/runner"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/s3test"
	"github.com/crmlens/crmlens/internal/suppress"
)

// TestErasureRequest runs two models on a real PostgreSQL (results to a
// table) and a real S3 server (results as CSV run folders), and a
// ReportSchedule writing to a table of its own, then erases
// two customers with an ErasureRequest. The manager is restarted in the
// middle (the object store refuses its credentials at first, so only the
// PostgreSQL targets are done); the new manager finishes the rest without
// redoing it. Afterwards no table, view, object or ConfigMap holds a row,
// line or state hash of theirs, though the source table still holds their
// orders, and the next runs leave them out.
func TestErasureRequest(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{})
	s3 := s3test.Start(t, s3test.Options{})
	if err := s3.CreateBucket("results"); err != nil {
		t.Fatal(err)
	}
	loadShop(t, pg, "orders", shopCSV(t, 200, 21))
	h := newHarness(t)
	ns := h.ns("erasure")
	stop := h.startManager(true, nil)
	ctx := context.Background()

	pgm := pgModel(ns, "rfm-pg", "warehouse", "crm_results", "2025-12-31")
	s3m := pgModel(ns, "rfm-s3", "warehouse", "unused", "2025-12-31")
	s3m.Spec.Output.Store = &crmv1.ResultStore{ObjectStore: &crmv1.ObjectStoreSink{ObjectStoreConnection: s3Conn(s3, "results"), Prefix: "crm", Format: crmv1.FormatCSV}}
	s3Secret := &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "s3"},
		StringData: map[string]string{"AWS_ACCESS_KEY_ID": s3.AccessKey, "AWS_SECRET_ACCESS_KEY": s3.SecretKey}}
	// A ReportSchedule with a result table of its own is erased too.
	kpi := schedule(ns, "kpi", "@yearly", crmv1.ConcurrencyForbid)
	kpi.Spec.Sources = []crmv1.SourceRef{{Name: "warehouse"}}
	kpi.Spec.Output.Store = &crmv1.ResultStore{Postgres: &crmv1.PostgresStore{DataSourceRef: &crmv1.LocalObjectReference{Name: "warehouse"}, Table: "kpi_results"}}
	kpi.Annotations = map[string]string{crmv1.RunNowAnnotation: "1"}
	h.create(pgSecret(ns, "pg", pg.User, pg.Password), s3Secret, pgSource(ns, "warehouse", "pg", pg, "orders"), pgm, s3m, kpi)
	h.waitScheduleResult(ns, "kpi")
	before := map[string]int64{}
	for _, name := range []string{"rfm-pg", "rfm-s3"} {
		m := h.waitModelRun(ns, name, name+"-g1")
		if c := cond(m.Status.Conditions, crmv1.ConditionReady); !condIs(c, metav1.ConditionTrue, "Succeeded") {
			t.Fatalf("%s: Ready = %+v", name, c)
		}
		before[name] = m.Status.Customers
	}

	// Two customers with results in both stores.
	victims := pgStrings(t, pg, "SELECT customer_id FROM crm_results ORDER BY customer_id LIMIT 2")
	if len(victims) != 2 {
		t.Fatalf("victims = %v", victims)
	}
	// The check is sound: before erasure they are found everywhere.
	hits := strings.Join(h.erasureScan(ns, pg, s3, victims), "\n")
	for _, where := range []string{"postgres crm_results: ", "postgres crm_results_latest: ", "postgres kpi_results: ", "s3 crm/" + ns + "/rfm-s3/rfm-s3-g1/customers.csv: ",
		"state rfm-pg-state: ", "state rfm-s3-state: "} {
		for _, v := range victims {
			if !strings.Contains(hits, where+v) && !strings.Contains(hits, where+"hash of "+v) {
				t.Fatalf("before erasure the scan does not find %s in %q; it finds:\n%s", v, where, hits)
			}
		}
	}

	// First manager: the object store refuses its credentials.
	s3Secret = &corev1.Secret{}
	if err := h.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: "s3"}, s3Secret); err != nil {
		t.Fatal(err)
	}
	s3Secret.Data["AWS_SECRET_ACCESS_KEY"] = []byte("wrong-secret-key-1234")
	if err := h.c.Update(ctx, s3Secret); err != nil {
		t.Fatal(err)
	}
	h.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "forget-ids"},
		StringData: map[string]string{"ids": victims[0] + "\r\n\n" + victims[1] + "\n" + victims[0] + "\n"}},
		&crmv1.ErasureRequest{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "forget"},
			Spec: crmv1.ErasureRequestSpec{CustomerIDsSecretRef: crmv1.SecretKeySelector{Name: "forget-ids", Key: "ids"}}})
	er := h.erasure(ns, "forget", func(er *crmv1.ErasureRequest) error {
		if c := cond(er.Status.Conditions, crmv1.ConditionFailed); c == nil || c.Status != metav1.ConditionTrue || c.Reason != string(crmv1.ErasureReasonStoreUnreachable) {
			return fmt.Errorf("failed = %+v, status %+v", c, er.Status)
		}
		return nil
	})
	if fmt.Sprint(er.Status.CompletedTargets) != "[ReportSchedule/kpi SegmentationModel/rfm-pg]" || er.Status.Customers != 2 || er.Status.Suppressed != 2 {
		t.Fatalf("mid-way status = %+v", er.Status)
	}
	if c := cond(er.Status.Conditions, crmv1.ConditionComplete); c == nil || c.Status != metav1.ConditionFalse {
		t.Errorf("Complete = %+v", c)
	}
	stop()

	// The restart: credentials fixed, a fresh manager resumes.
	s3Secret.Data["AWS_SECRET_ACCESS_KEY"] = []byte(s3.SecretKey)
	if err := h.c.Update(ctx, s3Secret); err != nil {
		t.Fatal(err)
	}
	h.startManager(true, nil)
	er = h.erasure(ns, "forget", func(er *crmv1.ErasureRequest) error {
		if c := cond(er.Status.Conditions, crmv1.ConditionComplete); c == nil || c.Status != metav1.ConditionTrue || c.Reason != string(crmv1.ErasureReasonErased) {
			return fmt.Errorf("complete = %+v", c)
		}
		return nil
	})
	if c := cond(er.Status.Conditions, crmv1.ConditionFailed); c == nil || c.Status != metav1.ConditionFalse || er.Status.CompletionTime == nil {
		t.Errorf("Failed = %+v, completionTime %v", c, er.Status.CompletionTime)
	}
	// Per store, what went: one run each, so one row, one line and one
	// hash per customer; each target erased once.
	got := map[string]string{}
	for _, e := range er.Status.Erased {
		got[e.Owner+" "+e.Store] = fmt.Sprintf("%d/%d", e.Rows, e.Objects)
	}
	want := map[string]string{
		"ReportSchedule/kpi PostgreSQL":            "2/0",
		"ReportSchedule/kpi ResultConfigMap":       "0/0",
		"SegmentationModel/rfm-pg PostgreSQL":      "2/0",
		"SegmentationModel/rfm-pg StateConfigMap":  "2/0",
		"SegmentationModel/rfm-pg ResultConfigMap": "0/0",
		"SegmentationModel/rfm-s3 ObjectStore":     "2/1",
		"SegmentationModel/rfm-s3 StateConfigMap":  "2/0",
		"SegmentationModel/rfm-s3 ResultConfigMap": "0/0",
	}
	if fmt.Sprint(got) != fmt.Sprint(want) || len(er.Status.Erased) != len(want) {
		t.Errorf("erased = %v\nwant     %v", got, want)
	}
	if hits := h.erasureScan(ns, pg, s3, victims); len(hits) > 0 {
		t.Errorf("after erasure they are still found:\n%s", strings.Join(hits, "\n"))
	}
	// The run history counts follow.
	if n := pgStrings(t, pg, "SELECT customers::text FROM crm_results_runs"); fmt.Sprint(n) != fmt.Sprint([]string{fmt.Sprint(before["rfm-pg"] - 2)}) {
		t.Errorf("crm_results_runs customers = %v, want %d", n, before["rfm-pg"]-2)
	}
	// The source still has them: the suppression list keeps them out of
	// the next runs.
	if n := pgStrings(t, pg, "SELECT count(*)::text FROM orders WHERE customer_id = ANY($1)", victims); n[0] == "0" {
		t.Fatal("the source lost the customers; the test needs them there")
	}
	for _, name := range []string{"rfm-pg", "rfm-s3"} {
		run := h.runNow(ns, name, "after-erasure")
		m := h.waitModelRun(ns, name, run)
		if m.Status.Customers != before[name]-2 {
			t.Errorf("%s: %d customers after erasure, want %d", name, m.Status.Customers, before[name]-2)
		}
		if c := cond(m.Status.Conditions, crmv1.ConditionReady); !condIs(c, metav1.ConditionTrue, "Succeeded") {
			t.Errorf("%s: Ready = %+v", name, c)
		}
	}
	if hits := h.erasureScan(ns, pg, s3, victims); len(hits) > 0 {
		t.Errorf("after the next runs they are found again:\n%s", strings.Join(hits, "\n"))
	}
	// The suppression list is keyed: no ID in clear.
	var priv corev1.Secret
	if err := h.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: suppress.SecretName}, &priv); err != nil {
		t.Fatal(err)
	}
	list := string(priv.Data[suppress.KeyList])
	if strings.Count(list, "\n") != 2 || strings.Contains(list, victims[0]) || strings.Contains(list, victims[1]) {
		t.Errorf("suppression list = %q", list)
	}
	// IDs never reach the request's status or Events.
	var el eventsv1.EventList
	if err := h.c.List(ctx, &el, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	texts := []string{fmt.Sprintf("%+v", er.Status)}
	for _, e := range el.Items {
		texts = append(texts, e.Note)
	}
	for _, txt := range texts {
		for _, v := range victims {
			if strings.Contains(txt, v) {
				t.Errorf("ID %s visible in %q", v, txt)
			}
		}
	}
	if n := h.eventReasons(ns, "forget")[string(crmv1.ErasureReasonErased)]; n != 1 {
		t.Errorf("%d Erased Events, want 1", n)
	}
}

// erasure waits until the request satisfies ok.
func (h *harness) erasure(ns, name string, ok func(*crmv1.ErasureRequest) error) *crmv1.ErasureRequest {
	h.t.Helper()
	var er crmv1.ErasureRequest
	h.eventually(90*time.Second, "ErasureRequest "+name, func() error {
		if err := h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &er); err != nil {
			return err
		}
		return ok(&er)
	})
	return &er
}

// erasureScan lists where any of ids is found: any row of any table or
// view but the source table "orders", any object of the results bucket,
// any ConfigMap value, and any state ConfigMap hash (under the keyed and
// the UID-only key).
func (h *harness) erasureScan(ns string, pg *pgtest.Server, s3 *s3test.Server, ids []string) []string {
	h.t.Helper()
	t := h.t
	ctx := context.Background()
	var hits []string
	rels := pgStrings(t, pg, "SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'orders'")
	if len(rels) < 3 {
		t.Fatalf("tables and views: %v", rels)
	}
	for _, rel := range rels {
		rows := pgStrings(t, pg, "SELECT t::text FROM "+pgx.Identifier{rel}.Sanitize()+" t")
		for _, r := range rows {
			for _, id := range ids {
				if strings.Contains(r, id) {
					hits = append(hits, "postgres "+rel+": "+id)
				}
			}
		}
	}
	cl := s3.Client(t)
	for o := range cl.ListObjects(ctx, "results", minio.ListObjectsOptions{Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		obj, err := cl.GetObject(ctx, "results", o.Key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(obj)
		obj.Close()
		if err != nil {
			t.Fatal(err)
		}
		for _, id := range ids {
			if bytes.Contains(b, []byte(id)) {
				hits = append(hits, "s3 "+o.Key+": "+id)
			}
		}
	}
	var priv corev1.Secret
	stateSecret := ""
	if err := h.c.Get(ctx, client.ObjectKey{Namespace: ns, Name: suppress.SecretName}, &priv); err == nil {
		stateSecret = string(priv.Data[suppress.KeyStateKey])
	}
	var cml corev1.ConfigMapList
	if err := h.c.List(ctx, &cml, client.InNamespace(ns)); err != nil {
		t.Fatal(err)
	}
	for _, cm := range cml.Items {
		for k, v := range cm.Data {
			for _, id := range ids {
				if strings.Contains(v, id) {
					hits = append(hits, "configmap "+cm.Name+" "+k+": "+id)
				}
			}
		}
		raw, ok := cm.BinaryData[runplan.KeyAssignments]
		if !ok {
			continue
		}
		a, err := runner.DecodeAssignments(raw)
		if err != nil {
			t.Fatal(err)
		}
		uid := ""
		for _, ref := range cm.OwnerReferences {
			uid = string(ref.UID)
		}
		for _, key := range []string{runner.StateHashKey(stateSecret, uid), runner.StateHashKey("", uid)} {
			for _, id := range ids {
				if _, ok := a.ByHash[runner.HashCustomer(key, id)]; ok {
					hits = append(hits, "state "+cm.Name+": hash of "+id)
				}
			}
		}
	}
	return hits
}

// pgStrings returns the first column of a query's rows.
func pgStrings(t *testing.T, s *pgtest.Server, sql string, args ...any) []string {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URI("disable"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	rows, err := conn.Query(ctx, sql, args...)
	if err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
	var out []string
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			t.Fatal(err)
		}
		out = append(out, s)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
