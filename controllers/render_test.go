package controllers

import (
	"context"
	"reflect"
	"strings"
	"testing"
	"time"

	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/runplan"
)

// refsOf lists uses as ENV=secret/key.
func refsOf(uses []secretUse) string {
	var s []string
	for _, u := range uses {
		s = append(s, u.Env+"="+u.Secret+"/"+u.Key)
	}
	return strings.Join(s, " ")
}

// TestRenderStoreTLSAndTimeouts maps the CA references, the statement
// timeout and the object-store sink's keepRuns to the run plan: CA bundles
// travel as secretKeyRef variables (default key ca.crt), the plan names only
// the variable, and sinks keep their connection's CA and timeout.
func TestRenderStoreTLSAndTimeouts(t *testing.T) {
	pgConn := crmv1.PostgresConnection{SecretRef: crmv1.PostgresSecretRef{Name: "pg"}, Host: "db", Database: "shop",
		CASecretRef: &crmv1.CASecretRef{Name: "wh-ca"}, StatementTimeout: &metav1.Duration{Duration: 90 * time.Second}}
	s3Conn := crmv1.ObjectStoreConnection{Bucket: "lake", CredentialsSecretRef: &crmv1.S3CredentialsRef{Name: "s3"},
		CASecretRef: &crmv1.CASecretRef{Name: "lake-ca", Key: "bundle.pem"}}
	srcCases := []struct {
		name     string
		spec     crmv1.DataSourceSpec
		wantRefs string
		check    func(s runplan.Source) bool
	}{
		{"postgres", crmv1.DataSourceSpec{Postgres: &crmv1.PostgresSource{PostgresConnection: pgConn, Table: "orders"}},
			"S0_PG_USER=pg/username S0_PG_PASSWORD=pg/password S0_PG_CA=wh-ca/ca.crt",
			func(s runplan.Source) bool {
				return s.Postgres.CACertEnv == "S0_PG_CA" && s.Postgres.StatementTimeoutMillis == 90_000
			}},
		{"postgres without timeout or CA", crmv1.DataSourceSpec{Postgres: &crmv1.PostgresSource{PostgresConnection: crmv1.PostgresConnection{
			SecretRef: crmv1.PostgresSecretRef{Name: "pg"}, Host: "db"}, Table: "orders"}},
			"S0_PG_USER=pg/username S0_PG_PASSWORD=pg/password",
			func(s runplan.Source) bool {
				return s.Postgres.CACertEnv == "" && s.Postgres.StatementTimeoutMillis == 0
			}},
		{"objectStore", crmv1.DataSourceSpec{ObjectStore: &crmv1.ObjectStoreSource{ObjectStoreConnection: s3Conn, Key: "o.csv"}},
			"S0_S3_ACCESS_KEY=s3/accessKeyID S0_S3_SECRET_KEY=s3/secretAccessKey S0_S3_CA=lake-ca/bundle.pem",
			func(s runplan.Source) bool { return s.ObjectStore.CACertEnv == "S0_S3_CA" }},
		{"http", crmv1.DataSourceSpec{HTTP: &crmv1.HTTPSource{URL: "https://partner.example.com/o.csv", CASecretRef: &crmv1.CASecretRef{Name: "partner-ca", Key: "ca.crt"}}},
			"S0_HTTP_CA=partner-ca/ca.crt",
			func(s runplan.Source) bool { return s.HTTP.CACertEnv == "S0_HTTP_CA" }},
	}
	for _, tc := range srcCases {
		t.Run(tc.name, func(t *testing.T) {
			rs := renderSource(&crmv1.DataSource{Spec: tc.spec}, "", "S0_")
			if got := refsOf(rs.Secrets); got != tc.wantRefs {
				t.Errorf("secret uses %q, want %q", got, tc.wantRefs)
			}
			if !tc.check(rs.Source) {
				t.Errorf("plan source %+v", rs.Source)
			}
		})
	}

	ctx := context.Background()
	st, uses, err := renderStore(ctx, nil, "shop", &crmv1.ResultStore{Postgres: &crmv1.PostgresStore{Connection: &pgConn, Table: "crm.out", KeepRuns: 5}})
	if err != nil {
		t.Fatal(err)
	}
	if p := st.Postgres; p.CACertEnv != "CRMLENS_OUT_PG_CA" || p.StatementTimeoutMillis != 90_000 || p.Table != "crm.out" || p.KeepRuns != 5 || p.Query != "" {
		t.Errorf("postgres sink %+v", p)
	}
	if got := refsOf(uses); !strings.Contains(got, "CRMLENS_OUT_PG_CA=wh-ca/ca.crt") {
		t.Errorf("postgres sink secret uses %q", got)
	}
	st, uses, err = renderStore(ctx, nil, "shop", &crmv1.ResultStore{ObjectStore: &crmv1.ObjectStoreSink{ObjectStoreConnection: s3Conn, Prefix: "out", KeepRuns: 2}})
	if err != nil {
		t.Fatal(err)
	}
	if o := st.ObjectStore; o.KeepRuns != 2 || o.CACertEnv != "CRMLENS_OUT_S3_CA" || o.Prefix != "out" {
		t.Errorf("object-store sink %+v", o)
	}
	if got := refsOf(uses); !strings.Contains(got, "CRMLENS_OUT_S3_CA=lake-ca/bundle.pem") {
		t.Errorf("object-store sink secret uses %q", got)
	}

	// The Job gets the bundle by secretKeyRef only; the plan names the variable.
	rs := renderSource(&crmv1.DataSource{Spec: srcCases[0].spec}, "", "CRMLENS_S0_")
	plan := runplan.Plan{Sources: []runplan.Source{rs.Source}}
	enc, err := plan.Encode()
	if err != nil {
		t.Fatal(err)
	}
	job := Config{Image: "img:1"}.buildJob(jobSpec{owner: &crmv1.SegmentationModel{ObjectMeta: metav1.ObjectMeta{Namespace: "shop", Name: "m"}},
		kind: kindModel, name: "m-g1", plan: enc, secrets: rs.Secrets, trigger: "generation"})
	found := false
	for _, e := range job.Spec.Template.Spec.Containers[0].Env {
		if e.Name == "CRMLENS_S0_PG_CA" {
			found = e.Value == "" && e.ValueFrom != nil && e.ValueFrom.SecretKeyRef != nil &&
				e.ValueFrom.SecretKeyRef.Name == "wh-ca" && e.ValueFrom.SecretKeyRef.Key == "ca.crt"
		}
	}
	if !found || !strings.Contains(enc, `"caCertEnv":"CRMLENS_S0_PG_CA"`) || !strings.Contains(enc, `"statementTimeoutMillis":90000`) {
		t.Errorf("CA variable not passed by secretKeyRef, or plan lacks it: env %+v plan %s", job.Spec.Template.Spec.Containers[0].Env, enc)
	}
}

func TestCleaningCarriesEveryRule(t *testing.T) {
	lo, hi := crmv1.Money("1"), crmv1.Money("500.50")
	no, yes := false, true
	cases := []struct {
		name string
		in   *crmv1.CleaningRules
		want runplan.Cleaning
	}{
		{"defaults", nil, runplan.Cleaning{DropGifts: true, DedupeOrders: true, Refunds: "net"}},
		{"every rule", &crmv1.CleaningRules{DropGifts: &no, DedupeOrders: &yes, Refunds: "Drop",
			MinAmount: &lo, MaxAmount: &hi, MergeSameDay: true, CancellationPrefix: "C"},
			runplan.Cleaning{DropGifts: false, DedupeOrders: true, Refunds: "drop", MinAmount: "1", MaxAmount: "500.50", MergeSameDay: true, CancellationPrefix: "C"}},
	}
	for _, c := range cases {
		if got := cleaning(c.in); !reflect.DeepEqual(got, c.want) {
			t.Errorf("%s: cleaning = %+v, want %+v", c.name, got, c.want)
		}
	}
}

// TestRenderLineItemColumns: a DataSource mapping quantity and unitPrice
// (no amount) hands the engine price=COL, so the line amount is quantity ×
// unit price.
func TestRenderLineItemColumns(t *testing.T) {
	ds := &crmv1.DataSource{Spec: crmv1.DataSourceSpec{
		HTTP: &crmv1.HTTPSource{URL: "https://data.example.com/lines.csv"},
		Schema: &crmv1.SchemaMapping{Transactions: &crmv1.TransactionColumns{CustomerID: "CustomerID", OrderID: "InvoiceNo",
			Timestamp: "InvoiceDate", Quantity: "Quantity", UnitPrice: "UnitPrice"}},
	}}
	got := renderSource(ds, "", "S0_").Source.Columns
	want := map[string]string{"customer": "CustomerID", "order": "InvoiceNo", "time": "InvoiceDate", "quantity": "Quantity", "price": "UnitPrice"}
	if !reflect.DeepEqual(got, want) {
		t.Errorf("columns %v, want %v", got, want)
	}
}
