package runner

import (
	"context"
	"slices"
	"strings"
	"testing"

	"github.com/go-logr/logr/testr"
	"github.com/minio/minio-go/v7"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crmlens/crmlens/internal/pgtest"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/s3test"
)

// runFolders lists the run folders of model shop/rfm under prefix out/
// (staging excluded) on the store.
func runFolders(t *testing.T, s3 *s3test.Server, bucket string) []string {
	t.Helper()
	mc := s3.Client(t)
	var dirs []string
	for o := range mc.ListObjects(context.Background(), bucket, minio.ListObjectsOptions{Prefix: "out/shop/rfm/", Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		top, _, _ := strings.Cut(strings.TrimPrefix(o.Key, "out/shop/rfm/"), "/")
		if top != ".staging" && !slices.Contains(dirs, top) {
			dirs = append(dirs, top)
		}
	}
	slices.Sort(dirs)
	return dirs
}

// TestObjectStoreSinkKeepRuns runs a model three times into the in-process S3
// server with keepRuns 2 in the plan: only the last two run folders remain
// (the sink's own default would keep all three).
func TestObjectStoreSinkKeepRuns(t *testing.T) {
	s3 := s3test.Start(t, s3test.Options{})
	if err := s3.CreateBucket("results"); err != nil {
		t.Fatal(err)
	}
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).Build()
	env := map[string]string{"AK": s3.AccessKey, "SK": s3.SecretKey}
	r := &Runner{Client: c, Log: testr.New(t), Creds: func(k string) string { return env[k] }}
	for _, run := range []string{"rfm-g1", "rfm-g2", "rfm-g3"} {
		p := plan(7, 12)
		p.Run = run
		p.Store = &runplan.Store{ObjectStore: &runplan.ObjectStoreSink{Format: "csv", KeepRuns: 2, ObjectStore: runplan.ObjectStore{
			Endpoint: s3.URL, Region: s3.Region, Bucket: "results", Prefix: "out", PathStyle: true, AccessKeyEnv: "AK", SecretKeyEnv: "SK"}}}
		if err := r.Run(context.Background(), p); err != nil {
			t.Fatalf("%s: %v", run, err)
		}
	}
	if got := runFolders(t, s3, "results"); !slices.Equal(got, []string{"rfm-g2", "rfm-g3"}) {
		t.Errorf("run folders after three runs with keepRuns 2: %v, want [rfm-g2 rfm-g3]", got)
	}
}

// TestSinksVerifyPrivateCA writes results over TLS to servers whose
// certificates a private CA signed: with the CA named in the plan (as the
// Job gets it, from a variable) the run succeeds; without it the system pool
// does not know the CA and the run fails as a TLS problem of the store.
func TestSinksVerifyPrivateCA(t *testing.T) {
	s3 := s3test.Start(t, s3test.Options{TLS: true})
	if err := s3.CreateBucket("results"); err != nil {
		t.Fatal(err)
	}
	pg := pgtest.Start(t, pgtest.Options{TLS: true})
	env := map[string]string{"AK": s3.AccessKey, "SK": s3.SecretKey, "S3CA": string(s3.CACertPEM),
		"PGU": pg.User, "PGP": pg.Password, "PGCA": string(pg.CACertPEM)}
	s3Sink := func(caEnv string) *runplan.Store {
		return &runplan.Store{ObjectStore: &runplan.ObjectStoreSink{Format: "csv", ObjectStore: runplan.ObjectStore{
			Endpoint: s3.URL, Region: s3.Region, Bucket: "results", Prefix: "out", PathStyle: true, AccessKeyEnv: "AK", SecretKeyEnv: "SK",
			CACertEnv: caEnv}}}
	}
	pgSink := func(caEnv string) *runplan.Store {
		return &runplan.Store{Postgres: &runplan.PostgresSink{Postgres: runplan.Postgres{Host: pg.Host, Port: pg.Port, Database: pg.Database,
			SSLMode: "verify-full", UserEnv: "PGU", PasswordEnv: "PGP", CACertEnv: caEnv, Table: "results"}}}
	}
	for _, tc := range []struct {
		name   string
		store  *runplan.Store
		reason string // "" = success
	}{
		{"s3 with the CA", s3Sink("S3CA"), ""},
		{"s3 without the CA", s3Sink(""), "StoreTLSFailed"},
		{"postgres verify-full with the CA", pgSink("PGCA"), ""},
		{"postgres verify-full without the CA", pgSink(""), "StoreTLSFailed"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithScheme(scheme.Scheme).Build()
			r := &Runner{Client: c, Log: testr.New(t), Creds: func(k string) string { return env[k] }}
			p := plan(7, 12)
			p.Store = tc.store
			err := r.Run(context.Background(), p)
			if got := reasonOf(err); got != tc.reason {
				t.Fatalf("reason %q (%v), want %q", got, err, tc.reason)
			}
		})
	}
}

// TestStatementTimeoutCutsSlowSource gives a postgres source a statement
// timeout in the plan: a query that runs longer fails the run with reason
// SourceTimeout and a message naming the limit; without the timeout the same
// query completes.
func TestStatementTimeoutCutsSlowSource(t *testing.T) {
	pg := pgtest.Start(t, pgtest.Options{})
	env := map[string]string{"PGU": pg.User, "PGP": pg.Password}
	src := func(timeoutMillis int64) runplan.Source {
		return runplan.Source{Name: "wh", Postgres: &runplan.Postgres{Host: pg.Host, Port: pg.Port, Database: pg.Database, SSLMode: "disable",
			UserEnv: "PGU", PasswordEnv: "PGP", StatementTimeoutMillis: timeoutMillis,
			Query: `SELECT 'c1'::text AS customer_id, 'o1'::text AS order_id, timestamptz '2025-06-01' AS ts, 10::numeric AS amount FROM pg_sleep(1.5)`},
			Columns: map[string]string{"customer": "customer_id", "order": "order_id", "time": "ts", "amount": "amount"}}
	}
	for _, tc := range []struct {
		name    string
		millis  int64
		reason  string
		message string
	}{
		{"shorter than the query", 500, "SourceTimeout", "statementTimeout 500ms"},
		{"longer than the query", 60_000, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c := fake.NewClientBuilder().WithScheme(scheme.Scheme).Build()
			r := &Runner{Client: c, Log: testr.New(t), Creds: func(k string) string { return env[k] }}
			p := plan(7, 12)
			p.Sources = []runplan.Source{src(tc.millis)}
			err := r.Run(context.Background(), p)
			if got := reasonOf(err); got != tc.reason {
				t.Fatalf("reason %q (%v), want %q", got, err, tc.reason)
			}
			if tc.message != "" && !strings.Contains(err.Error(), tc.message) {
				t.Errorf("error %q does not name %q", err, tc.message)
			}
			if err != nil {
				t.Logf("run error: %v", err)
			}
		})
	}
}

// reasonOf is the run's failure reason, "" for a successful run.
func reasonOf(err error) string {
	if err == nil {
		return ""
	}
	return Reason(err)
}
