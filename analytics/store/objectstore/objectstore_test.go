package objectstore

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"reflect"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/parquet-go/parquet-go"

	"github.com/crmlens/crmlens/analytics/aggregate"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/store/storeerr"
	"github.com/crmlens/crmlens/internal/s3test"
)

const header = "customer_id,order_id,timestamp,amount,channel"

// lines makes transaction lines grouped by customer (so a split at a customer
// boundary keeps every order in one file), with some rejects.
func lines(seed uint64, customers int) [][]string {
	r := rand.New(rand.NewPCG(seed, 1))
	base := time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)
	var out [][]string
	order := 0
	for c := range customers {
		var cust []string
		for range 1 + r.IntN(4) {
			order++
			ts := base.Add(time.Duration(r.IntN(300*24)) * time.Hour).Format(time.RFC3339)
			amount := fmt.Sprintf("%d.%02d", r.IntN(90), r.IntN(100))
			if r.IntN(15) == 0 {
				amount = "-3.00"
			}
			cust = append(cust, fmt.Sprintf("K%04d,O%05d,%s,%s,%s", c, order, ts, amount, []string{"web", "app"}[r.IntN(2)]))
		}
		out = append(out, cust)
	}
	return out
}

func csvOf(groups [][]string) []byte {
	var b strings.Builder
	b.WriteString(header + "\n")
	for _, g := range groups {
		for _, l := range g {
			b.WriteString(l + "\n")
		}
	}
	return []byte(b.String())
}

type pqTxn struct {
	CustomerID string `parquet:"customer_id"`
	OrderID    string `parquet:"order_id"`
	Timestamp  string `parquet:"timestamp"`
	Amount     string `parquet:"amount"`
	Channel    string `parquet:"channel"`
}

func parquetOf(t *testing.T, groups [][]string) []byte {
	var rows []pqTxn
	for _, g := range groups {
		for _, l := range g {
			f := strings.Split(l, ",")
			rows = append(rows, pqTxn{f[0], f[1], f[2], f[3], f[4]})
		}
	}
	var buf bytes.Buffer
	if err := parquet.Write(&buf, rows); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func gz(data []byte) []byte {
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	_, _ = zw.Write(data)
	zw.Close()
	return buf.Bytes()
}

func put(t *testing.T, cl *minio.Client, bucket, key string, data []byte) {
	t.Helper()
	if _, err := cl.PutObject(context.Background(), bucket, key, bytes.NewReader(data), int64(len(data)), minio.PutObjectOptions{}); err != nil {
		t.Fatalf("put %s: %v", key, err)
	}
}

func setup(t *testing.T, tlsOn bool) (*s3test.Server, Config, *minio.Client) {
	t.Helper()
	s := s3test.Start(t, s3test.Options{TLS: tlsOn})
	if err := s.CreateBucket("shop"); err != nil {
		t.Fatal(err)
	}
	cfg := Config{Endpoint: s.URL, CACertPEM: s.CACertPEM, PathStyle: true, AccessKey: s.AccessKey, SecretKey: s.SecretKey, Bucket: "shop"}
	cl, err := cfg.client()
	if err != nil {
		t.Fatal(err)
	}
	return s, cfg, cl
}

func build(t *testing.T, srcs []input.Source) *customer.Set {
	t.Helper()
	set, err := aggregate.Build(context.Background(), srcs, aggregate.Options{History: true, Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	set.Samples = nil // line numbers differ between one file and several
	return set
}

// Several objects under a prefix — plain CSV, gzip CSV and Parquet — read in
// key order give the same customer view as one CSV file with all the rows.
func TestSourcesPrefixCSVGzipParquet(t *testing.T) {
	_, cfg, cl := setup(t, false)
	groups := lines(1, 200)
	parts := [][][]string{groups[:50], groups[50:100], groups[100:150], groups[150:]}
	put(t, cl, "shop", "tx/2024/01.csv", csvOf(parts[0]))
	put(t, cl, "shop", "tx/2024/02.csv.gz", gz(csvOf(parts[1])))
	put(t, cl, "shop", "tx/2024/03.parquet", parquetOf(t, parts[2]))
	put(t, cl, "shop", "tx/2024/04.csv", csvOf(parts[3]))
	put(t, cl, "shop", "other/ignored.csv", []byte("garbage\n")) // outside the prefix

	srcs, err := Sources(context.Background(), SourceConfig{Config: cfg, Prefix: "tx/2024/"})
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range srcs {
		names = append(names, s.Name+":"+s.Options.Format)
	}
	wantNames := []string{"s3://shop/tx/2024/01.csv:csv", "s3://shop/tx/2024/02.csv.gz:csv", "s3://shop/tx/2024/03.parquet:parquet", "s3://shop/tx/2024/04.csv:csv"}
	if !reflect.DeepEqual(names, wantNames) {
		t.Fatalf("sources = %v, want %v", names, wantNames)
	}
	got := build(t, srcs)
	want := build(t, []input.Source{input.BytesSource("all.csv", csvOf(groups), input.Options{}, "")})
	if len(want.Customers) < 150 || want.Rejected["refund"] == 0 {
		t.Fatalf("thin test data: %d customers, rejected %v", len(want.Customers), want.Rejected)
	}
	if !reflect.DeepEqual(got, want) {
		t.Fatalf("prefix read differs from one file: rows %d/%d customers %d/%d rejected %v/%v",
			got.Rows, want.Rows, len(got.Customers), len(want.Customers), got.Rejected, want.Rejected)
	}

	// One key.
	one, err := Sources(context.Background(), SourceConfig{Config: cfg, Key: "tx/2024/03.parquet"})
	if err != nil || len(one) != 1 {
		t.Fatalf("key source: %v (%d)", err, len(one))
	}
	if got, want := build(t, one), build(t, []input.Source{input.BytesSource("p.csv", csvOf(parts[2]), input.Options{}, "")}); !reflect.DeepEqual(got.Customers, want.Customers) {
		t.Fatal("single Parquet object differs from the same rows as CSV")
	}
}

func TestProbe(t *testing.T) {
	s, cfg, cl := setup(t, false)
	put(t, cl, "shop", "tx/a.csv", csvOf(lines(2, 3)))
	tlsS, tlsCfg, tlsCl := setup(t, true)
	put(t, tlsCl, "shop", "tx/a.csv", csvOf(lines(2, 3)))
	_ = tlsS
	l, _ := net.Listen("tcp", "127.0.0.1:0")
	deadAddr := l.Addr().String()
	l.Close()
	tests := []struct {
		name   string
		cfg    SourceConfig
		want   error
		reason string
	}{
		{"key", SourceConfig{Config: cfg, Key: "tx/a.csv"}, nil, ""},
		{"prefix", SourceConfig{Config: cfg, Prefix: "tx/"}, nil, ""},
		{"wrong secret key", SourceConfig{Config: with(cfg, func(c *Config) { c.SecretKey = "wrong-secret" }), Key: "tx/a.csv"}, ErrAuthFailed, "AuthFailed"},
		{"wrong access key", SourceConfig{Config: with(cfg, func(c *Config) { c.AccessKey = "NOBODY" }), Prefix: "tx/"}, ErrAuthFailed, "AuthFailed"},
		{"missing bucket", SourceConfig{Config: with(cfg, func(c *Config) { c.Bucket = "nobucket" }), Key: "tx/a.csv"}, ErrNotFound, "NotFound"},
		{"missing bucket by prefix", SourceConfig{Config: with(cfg, func(c *Config) { c.Bucket = "nobucket" }), Prefix: "tx/"}, ErrNotFound, "NotFound"},
		{"missing key", SourceConfig{Config: cfg, Key: "tx/none.csv"}, ErrNotFound, "NotFound"},
		{"empty prefix", SourceConfig{Config: cfg, Prefix: "nothing/"}, ErrNotFound, "NotFound"},
		{"unknown column", SourceConfig{Config: cfg, Key: "tx/a.csv", Options: input.Options{Mapping: input.Mapping{Amount: input.Column{Name: "umsatz"}}}}, ErrSchemaMismatch, "SchemaMismatch"},
		{"nothing listening", SourceConfig{Config: with(cfg, func(c *Config) { c.Endpoint = "http://" + deadAddr }), Key: "tx/a.csv"}, ErrUnreachable, "Unreachable"},
		{"key and prefix", SourceConfig{Config: cfg, Key: "a", Prefix: "b"}, ErrInvalidConfig, "InvalidConfig"},
		{"TLS verified with CA", SourceConfig{Config: tlsCfg, Key: "tx/a.csv"}, nil, ""},
		{"TLS without CA", SourceConfig{Config: with(tlsCfg, func(c *Config) { c.CACertPEM = nil }), Key: "tx/a.csv"}, ErrTLS, "TLSFailed"},
		{"TLS verification off explicitly", SourceConfig{Config: with(tlsCfg, func(c *Config) { c.CACertPEM, c.InsecureSkipVerify = nil, true }), Key: "tx/a.csv"}, nil, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := Probe(ctx, tt.cfg)
			if tt.want == nil {
				if err != nil {
					t.Fatal(err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Probe = %v, want %v", err, tt.want)
			}
			if r := storeerr.Reason(err); r != tt.reason {
				t.Errorf("reason %q, want %q", r, tt.reason)
			}
			for _, secret := range []string{s.SecretKey, "wrong-secret"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error leaks the secret key: %v", err)
				}
			}
		})
	}
}

func with(c Config, f func(*Config)) Config { f(&c); return c }

func resultRows(n int) []result.Row {
	rows := make([]result.Row, n)
	for i := range rows {
		rows[i] = result.Row{Customer: fmt.Sprintf("cust-%06d", i), R: uint8(1 + i%5), F: 2, M: 3, Segment: "Loyal", Monetary: 123456, CLV: 1.5}
	}
	return rows
}

func sinkCfg(cfg Config, run string) SinkConfig {
	return SinkConfig{Config: cfg, Prefix: "results", Namespace: "shop-ns", Name: "rfm-model", RunID: run, KeepRuns: 2,
		Columns: []result.Column{result.ColCustomer, result.ColR, result.ColF, result.ColM, result.ColSegment}}
}

func writeRun(ctx context.Context, sc SinkConfig, rows []result.Row) error {
	w, err := OpenRun(ctx, sc)
	if err != nil {
		return err
	}
	for i := range rows {
		if err := w.Write(&rows[i]); err != nil {
			w.Abort()
			return err
		}
	}
	doc := result.New()
	doc.Run.Method = "rfm"
	doc.Input.Customers = int64(len(rows))
	return w.Finish(doc)
}

func keys(t *testing.T, cl *minio.Client, prefix string) []string {
	t.Helper()
	var out []string
	for o := range cl.ListObjects(context.Background(), "shop", minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		out = append(out, o.Key)
	}
	return out
}

func get(t *testing.T, cl *minio.Client, key string) []byte {
	t.Helper()
	o, err := cl.GetObject(context.Background(), "shop", key, minio.GetObjectOptions{})
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(o)
	if err != nil {
		t.Fatalf("read %s: %v", key, err)
	}
	return b
}

func runIDs(t *testing.T, cfg Config) []string {
	t.Helper()
	runs, err := CompleteRuns(context.Background(), sinkCfg(cfg, "x"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, r := range runs {
		ids = append(ids, r.ID)
	}
	return ids
}

func TestSinkFinaliseAndRetention(t *testing.T) {
	_, cfg, cl := setup(t, false)
	ctx := context.Background()
	if err := writeRun(ctx, sinkCfg(cfg, "run-1"), resultRows(3)); err != nil {
		t.Fatal(err)
	}
	wantKeys := []string{"results/shop-ns/rfm-model/run-1/_COMPLETE", "results/shop-ns/rfm-model/run-1/customers.csv", "results/shop-ns/rfm-model/run-1/result.json"}
	if got := keys(t, cl, "results/"); !reflect.DeepEqual(got, wantKeys) {
		t.Fatalf("objects = %v, want %v (no staging leftovers)", got, wantKeys)
	}
	wantCSV := "customer,r,f,m,segment\ncust-000000,1,2,3,Loyal\ncust-000001,2,2,3,Loyal\ncust-000002,3,2,3,Loyal\n"
	if got := string(get(t, cl, wantKeys[1])); got != wantCSV {
		t.Errorf("customers.csv =\n%s\nwant\n%s", got, wantCSV)
	}
	var doc result.Document
	if err := json.Unmarshal(get(t, cl, wantKeys[2]), &doc); err != nil || doc.Run.Method != "rfm" || doc.Input.Customers != 3 {
		t.Errorf("result.json: %v %+v", err, doc.Run)
	}

	// Parquet, then retention keeps the two newest complete runs.
	pq := sinkCfg(cfg, "run-2")
	pq.Format = "parquet"
	if err := writeRun(ctx, pq, resultRows(1000)); err != nil {
		t.Fatal(err)
	}
	data := get(t, cl, "results/shop-ns/rfm-model/run-2/customers.parquet")
	rows, err := parquet.Read[parquetRow](bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	if len(rows) != 1000 || rows[7].Customer != "cust-000007" || *rows[7].R != 3 || *rows[7].Segment != "Loyal" || rows[7].CLV != nil {
		t.Fatalf("parquet rows: %d, row 7 = %+v", len(rows), rows[7])
	}
	time.Sleep(1100 * time.Millisecond) // marker times have one-second resolution in some stores
	if err := writeRun(ctx, sinkCfg(cfg, "run-3"), resultRows(2)); err != nil {
		t.Fatal(err)
	}
	if got := runIDs(t, cfg); !reflect.DeepEqual(got, []string{"run-3", "run-2"}) {
		t.Fatalf("complete runs = %v, want run-3, run-2", got)
	}
	if got := keys(t, cl, "results/shop-ns/rfm-model/run-1/"); len(got) != 0 {
		t.Fatalf("run-1 not removed by retention: %v", got)
	}
}

// Cancelling the run's context while the customers file is uploading leaves
// nothing visible: no run directory, no marker, no staging leftovers.
func TestSinkInterruptedUpload(t *testing.T) {
	s, cfg, cl := setup(t, false)
	if err := writeRun(context.Background(), sinkCfg(cfg, "good"), resultRows(5)); err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	var hit atomic.Bool
	s.OnRequest(func(r *http.Request) {
		if strings.Contains(r.URL.Path, ".staging/bad/") && r.URL.Query().Get("partNumber") == "2" {
			hit.Store(true)
			cancel() // the second part is on the wire
			time.Sleep(50 * time.Millisecond)
		}
	})
	sc := sinkCfg(cfg, "bad")
	sc.PartSize = 5 << 20
	sc.Columns = nil                             // all columns: wide rows
	err := writeRun(ctx, sc, resultRows(300000)) // ≈ 30 MB of CSV
	s.OnRequest(nil)
	if err == nil {
		t.Fatal("interrupted run reported success")
	}
	if !hit.Load() || !errors.Is(err, context.Canceled) {
		t.Fatalf("the upload was not interrupted mid-way as planned (hit %v): %v", hit.Load(), err)
	}
	if got := keys(t, cl, "results/shop-ns/rfm-model/bad/"); len(got) != 0 {
		t.Fatalf("interrupted run left %v", got)
	}
	if got := keys(t, cl, "results/shop-ns/rfm-model/.staging/"); len(got) != 0 {
		t.Fatalf("staging leftovers: %v", got)
	}
	if got := runIDs(t, cfg); !reflect.DeepEqual(got, []string{"good"}) {
		t.Fatalf("complete runs = %v", got)
	}
}

// Interrupted while publishing (customers copied, result.json not yet): the
// run directory holds a partial copy but no marker, so readers do not see it.
func TestSinkInterruptedPublish(t *testing.T) {
	s, cfg, cl := setup(t, false)
	ctx, cancel := context.WithCancel(context.Background())
	s.OnRequest(func(r *http.Request) {
		if r.Method == http.MethodPut && strings.HasSuffix(r.URL.Path, "/half/result.json") {
			cancel()
			time.Sleep(50 * time.Millisecond)
		}
	})
	err := writeRun(ctx, sinkCfg(cfg, "half"), resultRows(10))
	s.OnRequest(nil)
	if err == nil {
		t.Fatal("interrupted publish reported success")
	}
	if got := runIDs(t, cfg); len(got) != 0 {
		t.Fatalf("complete runs = %v, want none", got)
	}
	for _, k := range keys(t, cl, "results/") {
		if strings.HasSuffix(k, CompleteMarker) {
			t.Fatalf("marker written for an interrupted run: %s", k)
		}
	}
}

// Retention also clears incomplete runs once they are older than StaleAfter,
// and leaves younger ones (possibly another writer's) alone.
func TestSinkRetentionOfIncompleteRuns(t *testing.T) {
	_, cfg, cl := setup(t, false)
	ctx := context.Background()
	put(t, cl, "shop", "results/shop-ns/rfm-model/crashed/customers.csv", []byte("customer\n"))
	if err := writeRun(ctx, sinkCfg(cfg, "run-1"), resultRows(1)); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, cl, "results/shop-ns/rfm-model/crashed/"); len(got) != 1 {
		t.Fatalf("a young incomplete run was removed: %v", got)
	}
	sc := sinkCfg(cfg, "run-2")
	sc.StaleAfter = time.Nanosecond
	if err := writeRun(ctx, sc, resultRows(1)); err != nil {
		t.Fatal(err)
	}
	if got := keys(t, cl, "results/shop-ns/rfm-model/crashed/"); len(got) != 0 {
		t.Fatalf("a stale incomplete run survived: %v", got)
	}
	if got := runIDs(t, cfg); !reflect.DeepEqual(got, []string{"run-2", "run-1"}) && !reflect.DeepEqual(got, []string{"run-1", "run-2"}) {
		t.Fatalf("complete runs = %v", got)
	}
}

func TestSinkRejectsBadOptions(t *testing.T) {
	_, cfg, _ := setup(t, false)
	for _, sc := range []SinkConfig{
		{Config: cfg, Namespace: "ns", Name: "m", RunID: "../x"},
		{Config: cfg, Namespace: "ns", Name: "", RunID: "r"},
		{Config: cfg, Namespace: "ns", Name: "m", RunID: ".staging"},
		{Config: cfg, Namespace: "ns", Name: "m", RunID: "r", Format: "xlsx"},
		{Config: with(cfg, func(c *Config) { c.Bucket = "" }), Namespace: "ns", Name: "m", RunID: "r"},
	} {
		if _, err := OpenRun(context.Background(), sc); !errors.Is(err, ErrInvalidConfig) {
			t.Errorf("OpenRun(%+v) = %v, want ErrInvalidConfig", sc.RunID, err)
		}
	}
	if err := ProbeSink(context.Background(), sinkCfg(cfg, "")); err != nil {
		t.Fatalf("ProbeSink: %v", err)
	}
	if err := ProbeSink(context.Background(), sinkCfg(with(cfg, func(c *Config) { c.SecretKey = "nope" }), "")); !errors.Is(err, ErrAuthFailed) {
		t.Fatalf("ProbeSink with a wrong secret: %v", err)
	}
	sc := sinkCfg(with(cfg, func(c *Config) { c.Bucket = "nobucket" }), "r")
	if _, err := OpenRun(context.Background(), sc); !errors.Is(err, ErrNotFound) {
		t.Errorf("missing bucket: %v, want ErrNotFound", err)
	}
}
