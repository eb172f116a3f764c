package sources

import (
	"context"
	"encoding/pem"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"

	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/store/storeerr"
	"github.com/crmlens/crmlens/internal/pgtest"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/s3test"
)

// TestStoreConfigMapping checks that the plan's statement timeout and CA
// variables reach the store configurations: no variable means the system
// pool (nil), a variable the bundle it holds, and a named but empty variable
// a non-nil empty bundle, which the stores refuse instead of falling back.
func TestStoreConfigMapping(t *testing.T) {
	creds := func(k string) string {
		return map[string]string{"CA": "-----BEGIN CERTIFICATE-----\n...", "EMPTY": ""}[k]
	}
	for _, tc := range []struct {
		name    string
		env     string
		millis  int64
		wantCA  []byte
		wantNil bool
		wantTO  time.Duration
	}{
		{name: "none", wantNil: true},
		{name: "CA and timeout", env: "CA", millis: 90_000, wantCA: []byte("-----BEGIN CERTIFICATE-----\n..."), wantTO: 90 * time.Second},
		{name: "named but empty CA", env: "EMPTY", wantCA: []byte{}, millis: 1500, wantTO: 1500 * time.Millisecond},
	} {
		t.Run(tc.name, func(t *testing.T) {
			pc := PostgresConfig(&runplan.Postgres{Host: "db", CACertEnv: tc.env, StatementTimeoutMillis: tc.millis}, creds, input.Options{}, "")
			oc := ObjectStoreConfig(&runplan.ObjectStore{Bucket: "b", CACertEnv: tc.env}, creds, input.Options{}, "")
			for what, got := range map[string][]byte{"postgres": pc.CACertPEM, "objectStore": oc.CACertPEM} {
				if (got == nil) != tc.wantNil || string(got) != string(tc.wantCA) {
					t.Errorf("%s CACertPEM = %q (nil %v), want %q (nil %v)", what, got, got == nil, tc.wantCA, tc.wantNil)
				}
			}
			if pc.StatementTimeout != tc.wantTO {
				t.Errorf("StatementTimeout = %v, want %v", pc.StatementTimeout, tc.wantTO)
			}
		})
	}
}

// TestProbeVerifiesPrivateCA probes HTTPS, S3-over-TLS and PostgreSQL
// (verify-full) servers with certificates from a CA the system pool does not
// know, as the DataSource reconciler does: with the CA from the plan's
// variable the probe connects; without it the reason is TLSFailed; a value
// that is no PEM is InvalidConfig.
func TestProbeVerifiesPrivateCA(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, csv) }))
	srv.Config.ErrorLog = log.New(io.Discard, "", 0) // refused handshakes are the point
	srv.StartTLS()
	defer srv.Close()
	httpCA := string(pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: srv.Certificate().Raw}))
	s3 := s3test.Start(t, s3test.Options{TLS: true})
	if err := s3.CreateBucket("lake"); err != nil {
		t.Fatal(err)
	}
	mc := s3.Client(t)
	if _, err := mc.PutObject(context.Background(), "lake", "orders.csv", strings.NewReader(csv), int64(len(csv)), minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}
	pg := pgtest.Start(t, pgtest.Options{TLS: true})
	if out, err := pg.Psql("", "CREATE TABLE orders (customer_id text, order_id text, timestamp timestamptz, amount numeric)"); err != nil {
		t.Fatalf("%v: %s", err, out)
	}
	env := map[string]string{"HTTPCA": httpCA, "S3CA": string(s3.CACertPEM), "PGCA": string(pg.CACertPEM), "JUNK": "not a certificate",
		"AK": s3.AccessKey, "SK": s3.SecretKey, "PGU": pg.User, "PGP": pg.Password}
	cols := map[string]string{"customer": "customer_id", "order": "order_id", "time": "timestamp", "amount": "amount"}
	httpSrc := func(ca string) runplan.Source {
		return runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: srv.URL + "/orders.csv", CACertEnv: ca}, Columns: cols, TimeLayout: "2006-01-02"}
	}
	s3Src := func(ca string) runplan.Source {
		return runplan.Source{Name: "s", Format: "csv", Columns: cols, TimeLayout: "2006-01-02", ObjectStore: &runplan.ObjectStore{
			Endpoint: s3.URL, Region: s3.Region, Bucket: "lake", Key: "orders.csv", PathStyle: true, AccessKeyEnv: "AK", SecretKeyEnv: "SK", CACertEnv: ca}}
	}
	pgSrc := func(ca string) runplan.Source {
		return runplan.Source{Name: "p", Columns: cols, Postgres: &runplan.Postgres{Host: pg.Host, Port: pg.Port, Database: pg.Database,
			SSLMode: "verify-full", Table: "orders", UserEnv: "PGU", PasswordEnv: "PGP", CACertEnv: ca}}
	}
	for _, tc := range []struct {
		name   string
		src    runplan.Source
		reason string // "" = connected
	}{
		{"http with the CA", httpSrc("HTTPCA"), ""},
		{"http without the CA", httpSrc(""), "TLSFailed"},
		{"http with another server's CA", httpSrc("PGCA"), "TLSFailed"},
		{"http CA not PEM", httpSrc("JUNK"), "InvalidConfig"},
		{"s3 with the CA", s3Src("S3CA"), ""},
		{"s3 without the CA", s3Src(""), "TLSFailed"},
		{"s3 CA not PEM", s3Src("JUNK"), "InvalidConfig"},
		{"postgres verify-full with the CA", pgSrc("PGCA"), ""},
		{"postgres verify-full without the CA", pgSrc(""), "TLSFailed"},
		{"postgres CA not PEM", pgSrc("JUNK"), "InvalidConfig"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			_, err := Probe(ctx, tc.src, func(k string) string { return env[k] }, nil)
			got := ""
			if err != nil {
				got = storeerr.Reason(err)
			}
			if got != tc.reason {
				t.Errorf("reason %q (%v), want %q", got, err, tc.reason)
			}
		})
	}
}
