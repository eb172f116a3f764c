package controllers_test

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"
	corev1 "k8s.io/api/core/v1"
	eventsv1 "k8s.io/api/events/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/engine"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/sample"
	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/pgtest"
)

// shopCSV generates sample shop data without malformed rows, so PostgreSQL's
// COPY can load exactly the rows the file path reads.
func shopCSV(t *testing.T, customers int, seed uint64) []byte {
	t.Helper()
	cfg := sample.DefaultConfig(customers)
	cfg.Seed = seed
	cfg.MalformedShare = 0
	cfg.DuplicateShare = 0.01
	cfg.RefundShare = 0.02
	var buf bytes.Buffer
	if _, err := sample.Generate(cfg, &buf); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// sampleColumns maps the sample generator's header.
func sampleColumns() *crmv1.SchemaMapping {
	return &crmv1.SchemaMapping{Transactions: &crmv1.TransactionColumns{CustomerID: "customer_id", OrderID: "order_id", Timestamp: "timestamp",
		Amount: "amount", Channel: "channel", Category: "category", Product: "product", Quantity: "quantity", Gift: "gift"}}
}

// expectedRFM is expected for the RFM method.
func expectedRFM(t *testing.T, data []byte, asOf time.Time) *result.Document {
	t.Helper()
	return expected(t, data, asOf, engine.RFM)
}

// expected computes what a model with default cleaning rules, asOf and
// method should report for data, through the engine's file path.
func expected(t *testing.T, data []byte, asOf time.Time, method engine.Method) *result.Document {
	t.Helper()
	cfg := engine.Config{
		Sources: []input.Source{input.BytesSource("orders.csv", data, sample.Options(), "")},
		Method:  method,
		Rules:   clean.Rules{DropGifts: true, DedupeOrders: true, Refunds: clean.RefundNet},
		AsOf:    asOf,
	}
	doc, err := engine.Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatal(err)
	}
	if doc.Input.Customers < 100 || len(doc.Segments) < 4 || len(doc.Input.Rejected) == 0 {
		t.Fatalf("test data too thin: %+v, %d segments", doc.Input, len(doc.Segments))
	}
	return doc
}

// compareFigures checks a model's status figures against an engine result.
func compareFigures(t *testing.T, st crmv1.SegmentationModelStatus, want *result.Document) {
	t.Helper()
	if st.Customers != want.Input.Customers || st.Transactions != want.Input.Transactions {
		t.Errorf("customers/transactions = %d/%d, want %d/%d", st.Customers, st.Transactions, want.Input.Customers, want.Input.Transactions)
	}
	gotRej := map[string]int64{}
	for _, r := range st.Rejected {
		gotRej[r.Reason] = r.Rows
	}
	wantRej := map[string]int64{}
	for k, v := range want.Input.Rejected {
		if v > 0 {
			wantRej[string(k)] = v
		}
	}
	if fmt.Sprint(gotRej) != fmt.Sprint(wantRej) {
		t.Errorf("rejected = %v, want %v", gotRej, wantRej)
	}
	got := map[string]string{}
	for _, s := range st.Segments {
		got[s.Name] = fmt.Sprintf("%d/%s", s.Customers, s.RevenueShare)
	}
	exp := map[string]string{}
	for _, s := range want.Segments {
		exp[s.Name] = fmt.Sprintf("%d/%s", s.Customers, strconv.FormatFloat(s.RevenueShare, 'f', 4, 64))
	}
	if fmt.Sprint(got) != fmt.Sprint(exp) {
		t.Errorf("segments = %v\nwant       %v", got, exp)
	}
}

// pgExec runs one statement on the test server.
func pgExec(t *testing.T, s *pgtest.Server, sql string, args ...any) {
	t.Helper()
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URI("disable"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.Exec(ctx, sql, args...); err != nil {
		t.Fatalf("%s: %v", sql, err)
	}
}

// pgCounts returns the rows of a two-column (text, count) query as a map.
func pgCounts(t *testing.T, s *pgtest.Server, sql string, args ...any) map[string]int64 {
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
	out := map[string]int64{}
	for rows.Next() {
		var k string
		var n int64
		if err := rows.Scan(&k, &n); err != nil {
			t.Fatal(err)
		}
		out[k] = n
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

// loadShop creates table name holding the sample CSV.
func loadShop(t *testing.T, s *pgtest.Server, name string, data []byte) {
	t.Helper()
	id := pgx.Identifier{name}.Sanitize()
	pgExec(t, s, "CREATE TABLE "+id+` (customer_id text, order_id text, "timestamp" timestamptz, amount numeric(12,2),
		channel text, category text, product text, quantity integer, gift boolean)`)
	ctx := context.Background()
	conn, err := pgx.Connect(ctx, s.URI("disable"))
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	if _, err := conn.PgConn().CopyFrom(ctx, bytes.NewReader(data), "COPY "+id+" FROM STDIN WITH (FORMAT csv, HEADER true)"); err != nil {
		t.Fatalf("load %s: %v", name, err)
	}
}

// dsCondition waits until the DataSource's Ready condition has reason want.
func (h *harness) dsCondition(ns, name, want string, timeout time.Duration) *crmv1.DataSource {
	h.t.Helper()
	var ds crmv1.DataSource
	h.eventually(timeout, "DataSource "+name+" Ready reason "+want, func() error {
		if err := h.c.Get(context.Background(), client.ObjectKey{Namespace: ns, Name: name}, &ds); err != nil {
			return err
		}
		c := cond(ds.Status.Conditions, crmv1.ConditionReady)
		if c == nil || c.Reason != want || ds.Status.ObservedGeneration != ds.Generation {
			return fmt.Errorf("ready = %+v", c)
		}
		return nil
	})
	return &ds
}

// leaks returns where in the namespace's DataSource and model statuses,
// Events, ConfigMaps and Job specs any of the secrets appears.
func (h *harness) leaks(ns string, secrets ...string) []string {
	h.t.Helper()
	ctx := context.Background()
	var texts []string
	var dsl crmv1.DataSourceList
	if err := h.c.List(ctx, &dsl, client.InNamespace(ns)); err != nil {
		h.t.Fatal(err)
	}
	for _, ds := range dsl.Items {
		b, _ := json.Marshal(ds.Status)
		texts = append(texts, "DataSource "+ds.Name+" status: "+string(b))
	}
	var ml crmv1.SegmentationModelList
	if err := h.c.List(ctx, &ml, client.InNamespace(ns)); err != nil {
		h.t.Fatal(err)
	}
	for _, m := range ml.Items {
		b, _ := json.Marshal(m.Status)
		texts = append(texts, "model "+m.Name+" status: "+string(b))
	}
	var el eventsv1.EventList
	if err := h.c.List(ctx, &el, client.InNamespace(ns)); err != nil {
		h.t.Fatal(err)
	}
	for _, e := range el.Items {
		texts = append(texts, "Event "+e.Reason+": "+e.Note)
	}
	var cml corev1.ConfigMapList
	if err := h.c.List(ctx, &cml, client.InNamespace(ns)); err != nil {
		h.t.Fatal(err)
	}
	for _, cm := range cml.Items {
		b, _ := json.Marshal(cm.Data)
		texts = append(texts, "ConfigMap "+cm.Name+": "+string(b))
	}
	// Jobs carry credentials only as secretKeyRef, never as values.
	for _, j := range h.jobs(ns) {
		b, _ := json.Marshal(j.Spec)
		texts = append(texts, "Job "+j.Name+": "+string(b))
	}
	var out []string
	for _, s := range secrets {
		for _, txt := range texts {
			if s != "" && strings.Contains(txt, s) {
				out = append(out, txt)
			}
		}
	}
	sort.Strings(out)
	return out
}

// runNow asks for a new run of a model and returns the new Job's name.
func (h *harness) runNow(ns, name, value string) string {
	h.t.Helper()
	ctx := context.Background()
	m := h.model(ns, name)
	before := map[string]bool{}
	for _, j := range h.jobs(ns) {
		before[j.Name] = true
	}
	patch := client.MergeFrom(m.DeepCopy())
	if m.Annotations == nil {
		m.Annotations = map[string]string{}
	}
	m.Annotations[crmv1.RunNowAnnotation] = value
	if err := h.c.Patch(ctx, m, patch); err != nil {
		h.t.Fatal(err)
	}
	run := ""
	h.eventually(30*time.Second, "run-now Job for "+name, func() error {
		for _, j := range h.jobs(ns) {
			if !before[j.Name] && strings.HasPrefix(j.Name, name+"-n") {
				run = j.Name
				return nil
			}
		}
		return fmt.Errorf("no new Job")
	})
	return run
}

func condIs(c *metav1.Condition, status metav1.ConditionStatus, reason string) bool {
	return c != nil && c.Status == status && (reason == "" || c.Reason == reason)
}
