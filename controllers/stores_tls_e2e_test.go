package controllers_test

import (
	"bytes"
	"context"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/pgtest"
	"github.com/crmlens/crmlens/internal/s3test"
)

// TestStoresPrivateCA runs PostgreSQL, S3 and HTTPS servers whose
// certificates a private CA signed. DataSources that name the CA in
// caSecretRef are Connected with full verification; without it the probe
// says TLSFailed; a missing CA Secret or key gives the same reasons as any
// missing credential. A model reads the warehouse and writes its sink over
// verify-full with the CA, which reaches the Job only through secretKeyRef.
func TestStoresPrivateCA(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{TLS: true})
	data := shopCSV(t, 120, 4)
	loadShop(t, pg, "orders", data)
	s3 := s3test.Start(t, s3test.Options{TLS: true})
	if err := s3.CreateBucket("lake"); err != nil {
		t.Fatal(err)
	}
	mc := s3.Client(t)
	if _, err := mc.PutObject(context.Background(), "lake", "orders.csv", bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = w.Write(data) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.StartTLS()
	t.Cleanup(srv.Close)
	httpCA := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw})

	h := newHarness(t)
	ns := h.ns("stores-ca")
	h.startManager(true, nil)
	caSecret := func(name, key string, pemData []byte) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Data: map[string][]byte{key: pemData}}
	}
	pgCA := func(name string, ca *crmv1.CASecretRef) *crmv1.DataSource {
		ds := pgSource(ns, name, "pg", pg, "orders")
		ds.Spec.Postgres.SSLMode = "verify-full"
		ds.Spec.Postgres.CASecretRef = ca
		return ds
	}
	s3Src := func(name string, ca *crmv1.CASecretRef) *crmv1.DataSource {
		conn := s3Conn(s3, "lake")
		conn.CASecretRef = ca
		return &crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: crmv1.DataSourceSpec{
			ObjectStore: &crmv1.ObjectStoreSource{ObjectStoreConnection: conn, Key: "orders.csv", Format: crmv1.FormatCSV},
			Schema:      sampleColumns()}}
	}
	httpSrc := func(name string, ca *crmv1.CASecretRef) *crmv1.DataSource {
		return &crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: crmv1.DataSourceSpec{
			HTTP: &crmv1.HTTPSource{URL: srv.URL + "/orders.csv", CASecretRef: ca}, Schema: sampleColumns()}}
	}
	// The sink writes to the same server with its own connection block;
	// the CA Secret's key is left to its default, ca.crt.
	m := pgModel(ns, "rfm", "warehouse", "crm_results", "2025-12-31")
	m.Spec.Output.Store.Postgres.DataSourceRef = nil
	m.Spec.Output.Store.Postgres.Connection = &crmv1.PostgresConnection{SecretRef: crmv1.PostgresSecretRef{Name: "pg"},
		Host: pg.Host, Port: int32(pg.Port), Database: pg.Database, SSLMode: "verify-full", CASecretRef: &crmv1.CASecretRef{Name: "wh-ca"}}
	h.create(pgSecret(ns, "pg", pg.User, pg.Password),
		&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "s3"},
			StringData: map[string]string{"AWS_ACCESS_KEY_ID": s3.AccessKey, "AWS_SECRET_ACCESS_KEY": s3.SecretKey}},
		caSecret("wh-ca", "ca.crt", pg.CACertPEM), caSecret("lake-ca", "bundle.pem", s3.CACertPEM), caSecret("partner-ca", "ca.crt", httpCA),
		pgCA("warehouse", &crmv1.CASecretRef{Name: "wh-ca"}),
		pgCA("pg-noca", nil),
		pgCA("pg-ca-nosecret", &crmv1.CASecretRef{Name: "absent-ca"}),
		pgCA("pg-ca-nokey", &crmv1.CASecretRef{Name: "wh-ca", Key: "tls.crt"}),
		s3Src("lake", &crmv1.CASecretRef{Name: "lake-ca", Key: "bundle.pem"}),
		s3Src("lake-noca", nil),
		httpSrc("partner", &crmv1.CASecretRef{Name: "partner-ca"}),
		httpSrc("partner-noca", nil),
		m)

	for _, tc := range []struct {
		name, reason string
		says         []string // the message must name these
	}{
		{"warehouse", string(crmv1.ReasonConnected), nil},
		{"lake", string(crmv1.ReasonConnected), nil},
		{"partner", string(crmv1.ReasonConnected), nil},
		{"pg-noca", "TLSFailed", []string{"sslMode"}},
		{"lake-noca", "TLSFailed", nil},
		{"partner-noca", "TLSFailed", nil},
		{"pg-ca-nosecret", "SecretNotFound", []string{"absent-ca"}},
		{"pg-ca-nokey", "SecretKeyMissing", []string{`"wh-ca"`, `"tls.crt"`}},
	} {
		ds := h.dsCondition(ns, tc.name, tc.reason, 30*time.Second)
		c := cond(ds.Status.Conditions, crmv1.ConditionReady)
		for _, s := range tc.says {
			if !strings.Contains(c.Message, s) {
				t.Errorf("%s: message %q does not name %s", tc.name, c.Message, s)
			}
		}
	}

	got := h.waitModelRun(ns, "rfm", "rfm-g1")
	if c := cond(got.Status.Conditions, crmv1.ConditionReady); !condIs(c, metav1.ConditionTrue, string(crmv1.ReasonSucceeded)) {
		t.Fatalf("Ready = %+v; Degraded = %+v", c, cond(got.Status.Conditions, crmv1.ConditionDegraded))
	}
	if n := pgCounts(t, pg, "SELECT run_id, count(*) FROM crm_results GROUP BY run_id")["rfm-g1"]; n != got.Status.Customers {
		t.Errorf("sink rows of rfm-g1 = %d, want %d customers", n, got.Status.Customers)
	}
	// The bundle travels by secretKeyRef, never as a value in the Job.
	for _, j := range h.jobs(ns) {
		var refs []string
		for _, e := range j.Spec.Template.Spec.Containers[0].Env {
			if e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil {
				refs = append(refs, e.Name+"="+e.ValueFrom.SecretKeyRef.Name+"/"+e.ValueFrom.SecretKeyRef.Key)
			}
		}
		slices.Sort(refs)
		want := []string{"CRMLENS_OUT_PG_CA=wh-ca/ca.crt", "CRMLENS_OUT_PG_PASSWORD=pg/password", "CRMLENS_OUT_PG_USER=pg/username",
			"CRMLENS_S0_PG_CA=wh-ca/ca.crt", "CRMLENS_S0_PG_PASSWORD=pg/password", "CRMLENS_S0_PG_USER=pg/username",
			// The namespace's privacy keys and suppression list (docs/operations.md).
			"CRMLENS_STATE_KEY=crmlens-privacy/state-key", "CRMLENS_SUPPRESSED=crmlens-privacy/suppressed", "CRMLENS_SUPPRESSION_KEY=crmlens-privacy/suppression-key"}
		if !slices.Equal(refs, want) {
			t.Errorf("Job %s secretKeyRefs %v, want %v", j.Name, refs, want)
		}
	}
	if l := h.leaks(ns, string(pg.CACertPEM[30:90])); len(l) > 0 {
		t.Errorf("the CA bundle appears as a value:\n%s", strings.Join(l, "\n"))
	}
}

// TestStoresStatementTimeout runs a model whose postgres source has
// statementTimeout 1s and a query that takes longer: the server cancels it,
// and the model is Degraded with reason SourceTimeout and a message naming
// the limit. The DataSource probe describes the query without running it,
// so the source itself is Connected.
func TestStoresStatementTimeout(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{})
	loadShop(t, pg, "orders", shopCSV(t, 50, 6))
	h := newHarness(t)
	ns := h.ns("stores-pg-timeout")
	h.startManager(true, nil)
	slow := pgSource(ns, "slow", "pg", pg, "")
	slow.Spec.Postgres.Query = "SELECT o.* FROM orders o, pg_sleep(3)"
	slow.Spec.Postgres.StatementTimeout = &metav1.Duration{Duration: time.Second}
	m := pgModel(ns, "rfm", "slow", "", "2025-12-31")
	m.Spec.Output.Store = nil
	h.create(pgSecret(ns, "pg", pg.User, pg.Password), slow, m)
	h.dsCondition(ns, "slow", string(crmv1.ReasonConnected), 30*time.Second)

	var deg *metav1.Condition
	h.eventually(90*time.Second, "failed run absorbed", func() error {
		deg = cond(h.model(ns, "rfm").Status.Conditions, crmv1.ConditionDegraded)
		if !condIs(deg, metav1.ConditionTrue, "") {
			return fmt.Errorf("degraded = %+v", deg)
		}
		return nil
	})
	if deg.Reason != "SourceTimeout" || !strings.Contains(deg.Message, "statementTimeout 1s") || !strings.Contains(deg.Message, "slow") {
		t.Errorf("Degraded = %s: %s; want SourceTimeout naming the source and statementTimeout 1s", deg.Reason, deg.Message)
	}
}
