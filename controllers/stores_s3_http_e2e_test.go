package controllers_test

import (
	"bytes"
	"context"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/s3test"
)

// splitCSV cuts a CSV with header into n files at order boundaries, each
// with the header, so no order spans two files.
func splitCSV(data []byte, n int) [][]byte {
	lines := strings.SplitAfter(strings.TrimSuffix(string(data), "\n"), "\n")
	header, body := lines[0], lines[1:]
	orderOf := func(l string) string { return strings.Split(l, ",")[1] }
	var files [][]byte
	start := 0
	for i := 1; i <= n; i++ {
		end := len(body) * i / n
		for end < len(body) && end > 0 && orderOf(body[end]) == orderOf(body[end-1]) {
			end++
		}
		if end <= start {
			continue
		}
		f := header + strings.Join(body[start:end], "")
		if !strings.HasSuffix(f, "\n") {
			f += "\n"
		}
		files = append(files, []byte(f))
		start = end
	}
	return files
}

func s3Client(t *testing.T, s *s3test.Server) *minio.Client {
	t.Helper()
	return s.Client(t)
}

func s3Conn(s *s3test.Server, bucket string) crmv1.ObjectStoreConnection {
	return crmv1.ObjectStoreConnection{Endpoint: s.URL, Region: s.Region, Bucket: bucket, PathStyle: true,
		CredentialsSecretRef: &crmv1.S3CredentialsRef{Name: "s3"}}
}

// TestStoresObjectStoreModel reads a prefix of CSV files from a real S3
// server and writes the per-customer results to another bucket: the
// figures equal the file path on the whole data, and the run directory
// holds the results and the completion marker, nothing staged.
func TestStoresObjectStoreModel(t *testing.T) {
	s3 := s3test.Start(t, s3test.Options{})
	for _, b := range []string{"lake", "results"} {
		if err := s3.CreateBucket(b); err != nil {
			t.Fatal(err)
		}
	}
	data := shopCSV(t, 300, 5)
	want := expectedRFM(t, data, time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC))
	cl := s3Client(t, s3)
	ctx := context.Background()
	files := splitCSV(data, 3)
	if len(files) != 3 {
		t.Fatalf("%d files", len(files))
	}
	for i, f := range files {
		if _, err := cl.PutObject(ctx, "lake", fmt.Sprintf("orders/2025/part-%d.csv", i), bytes.NewReader(f), int64(len(f)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	// Outside the prefix: must not be read.
	if _, err := cl.PutObject(ctx, "lake", "other/junk.csv", strings.NewReader("x\n1\n"), 4, minio.PutObjectOptions{}); err != nil {
		t.Fatal(err)
	}

	h := newHarness(t)
	ns := h.ns("stores-s3")
	h.startManager(true, nil)
	src := &crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "lake"}, Spec: crmv1.DataSourceSpec{
		ObjectStore: &crmv1.ObjectStoreSource{ObjectStoreConnection: s3Conn(s3, "lake"), Prefix: "orders/", Format: crmv1.FormatCSV},
		Schema:      sampleColumns(),
	}}
	m := pgModel(ns, "rfm", "lake", "unused", "2025-12-31")
	m.Spec.Output.Store = &crmv1.ResultStore{ObjectStore: &crmv1.ObjectStoreSink{ObjectStoreConnection: s3Conn(s3, "results"), Prefix: "crm", Format: crmv1.FormatCSV}}
	h.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "s3"},
		StringData: map[string]string{"AWS_ACCESS_KEY_ID": s3.AccessKey, "AWS_SECRET_ACCESS_KEY": s3.SecretKey}}, src, m)

	// Wrong keys and a missing bucket say what to fix.
	badKey := src.DeepCopy()
	badKey.ObjectMeta = metav1.ObjectMeta{Namespace: ns, Name: "lake-badkey"}
	badKey.Status = crmv1.DataSourceStatus{}
	badKey.Spec.ObjectStore.CredentialsSecretRef.Name = "s3-old"
	noBucket := src.DeepCopy()
	noBucket.ObjectMeta = metav1.ObjectMeta{Namespace: ns, Name: "lake-nobucket"}
	noBucket.Status = crmv1.DataSourceStatus{}
	noBucket.Spec.ObjectStore.Bucket = "archive"
	h.create(&corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: "s3-old"},
		StringData: map[string]string{"AWS_ACCESS_KEY_ID": s3.AccessKey, "AWS_SECRET_ACCESS_KEY": "old-secret-key-123"}}, badKey, noBucket)
	h.dsCondition(ns, "lake", string(crmv1.ReasonConnected), 30*time.Second)
	for _, tc := range []struct{ name, reason, says string }{
		{"lake-badkey", "AuthFailed", `"s3-old"`},
		{"lake-nobucket", "NotFound", "archive"},
	} {
		ds := h.dsCondition(ns, tc.name, tc.reason, 30*time.Second)
		if c := cond(ds.Status.Conditions, crmv1.ConditionReady); c.Status != metav1.ConditionFalse || !strings.Contains(c.Message, tc.says) {
			t.Errorf("%s: Ready = %+v; want the message to name %s", tc.name, c, tc.says)
		}
	}
	m = h.waitModelRun(ns, "rfm", "rfm-g1")
	if c := cond(m.Status.Conditions, crmv1.ConditionReady); !condIs(c, metav1.ConditionTrue, string(crmv1.ReasonSucceeded)) {
		t.Fatalf("Ready = %+v; Degraded = %+v", c, cond(m.Status.Conditions, crmv1.ConditionDegraded))
	}
	compareFigures(t, m.Status, want)

	dir := "crm/" + ns + "/rfm/rfm-g1/"
	if m.Status.ResultLocation != "s3://results/"+dir {
		t.Errorf("resultLocation = %q, want s3://results/%s", m.Status.ResultLocation, dir)
	}
	var keys []string
	for o := range cl.ListObjects(ctx, "results", minio.ListObjectsOptions{Prefix: "crm/", Recursive: true}) {
		if o.Err != nil {
			t.Fatal(o.Err)
		}
		keys = append(keys, o.Key)
	}
	sort.Strings(keys)
	// The HTML report, when the run renders one, is published with the rest.
	wantKeys := []string{dir + "_COMPLETE", dir + "customers.csv", dir + "result.json"}
	if slices.Contains(keys, dir+"report.html") {
		wantKeys = []string{dir + "_COMPLETE", dir + "customers.csv", dir + "report.html", dir + "result.json"}
	}
	if fmt.Sprint(keys) != fmt.Sprint(wantKeys) {
		t.Errorf("result keys = %v, want %v (nothing staged or outside the run directory)", keys, wantKeys)
	}
	get := func(key string) []byte {
		o, err := cl.GetObject(ctx, "results", key, minio.GetObjectOptions{})
		if err != nil {
			t.Fatal(err)
		}
		defer o.Close()
		b, err := io.ReadAll(o)
		if err != nil {
			t.Fatalf("%s: %v", key, err)
		}
		return b
	}
	rows, err := csv.NewReader(bytes.NewReader(get(dir + "customers.csv"))).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	seg := -1
	for i, c := range rows[0] {
		if c == "segment" {
			seg = i
		}
	}
	if seg < 0 || int64(len(rows)-1) != want.Input.Customers {
		t.Fatalf("customers.csv: header %v, %d rows; want a segment column and %d rows", rows[0], len(rows)-1, want.Input.Customers)
	}
	perSeg := map[string]int64{}
	for _, r := range rows[1:] {
		perSeg[r[seg]]++
	}
	for _, s := range m.Status.Segments {
		if perSeg[s.Name] != s.Customers {
			t.Errorf("customers.csv has %d in %s, status %d", perSeg[s.Name], s.Name, s.Customers)
		}
	}
	var marker struct {
		Run       string `json:"run"`
		Customers int64  `json:"customers"`
	}
	if err := json.Unmarshal(get(dir+"_COMPLETE"), &marker); err != nil || marker.Run != "rfm-g1" || marker.Customers != want.Input.Customers {
		t.Errorf("completion marker = %+v (%v)", marker, err)
	}
	var doc struct {
		Input struct{ Customers int64 } `json:"input"`
	}
	if err := json.Unmarshal(get(dir+"result.json"), &doc); err != nil || doc.Input.Customers != want.Input.Customers {
		t.Errorf("result.json input = %+v (%v)", doc.Input, err)
	}
	if l := h.leaks(ns, s3.SecretKey, "old-secret-key-123"); len(l) > 0 {
		t.Errorf("the secret key is visible:\n%s", strings.Join(l, "\n"))
	}
}

// TestStoresHTTPSource reads CSV over HTTP with an Authorization header from
// a Secret: the probe connects and a model runs; a wrong token and a missing
// document give reasons a person can act on, and the token never shows.
func TestStoresHTTPSource(t *testing.T) {
	const token = "tok-7c1d2e9f"
	data := shopCSV(t, 150, 9)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer "+token {
			http.Error(w, "unauthorized", http.StatusUnauthorized)
			return
		}
		if r.URL.Path != "/exports/orders.csv" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/csv")
		_, _ = w.Write(data)
	}))
	t.Cleanup(srv.Close)
	want := expectedRFM(t, data, time.Date(2025, 12, 31, 23, 59, 59, 0, time.UTC))

	h := newHarness(t)
	ns := h.ns("stores-http")
	h.startManager(true, nil)
	httpSource := func(name, path, secret string) *crmv1.DataSource {
		return &crmv1.DataSource{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name}, Spec: crmv1.DataSourceSpec{
			HTTP:   &crmv1.HTTPSource{URL: srv.URL + path, HeadersSecretRef: &crmv1.LocalObjectReference{Name: secret}},
			Schema: sampleColumns(),
		}}
	}
	headers := func(name, tok string) *corev1.Secret {
		return &corev1.Secret{ObjectMeta: metav1.ObjectMeta{Namespace: ns, Name: name},
			StringData: map[string]string{"headers": "Authorization: Bearer " + tok + "\n"}}
	}
	m := pgModel(ns, "rfm", "partner", "unused", "2025-12-31")
	m.Spec.Output.Store = nil
	h.create(headers("api", token), headers("api-old", "tok-expired"),
		httpSource("partner", "/exports/orders.csv", "api"),
		httpSource("partner-404", "/exports/missing.csv", "api"),
		httpSource("partner-401", "/exports/orders.csv", "api-old"), m)

	ok := h.dsCondition(ns, "partner", string(crmv1.ReasonConnected), 30*time.Second)
	if c := cond(ok.Status.Conditions, crmv1.ConditionReady); c.Status != metav1.ConditionTrue || ok.Status.Probe == nil || ok.Status.Probe.SampledRows == 0 || len(ok.Status.Probe.ColumnsFound) == 0 {
		t.Errorf("partner: %+v", ok.Status)
	}
	for _, tc := range []struct {
		name, reason string
		says         []string
	}{
		{"partner-404", "NotFound", []string{"404", "/exports/missing.csv"}},
		{"partner-401", "AuthFailed", []string{"401", `"api-old"`}},
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
	}

	// The header reaches the Job through secretKeyRef, and the run reads the CSV.
	m = h.waitModelRun(ns, "rfm", "rfm-g1")
	if c := cond(m.Status.Conditions, crmv1.ConditionReady); !condIs(c, metav1.ConditionTrue, string(crmv1.ReasonSucceeded)) {
		t.Fatalf("Ready = %+v; Degraded = %+v", c, cond(m.Status.Conditions, crmv1.ConditionDegraded))
	}
	compareFigures(t, m.Status, want)
	if l := h.leaks(ns, token, "tok-expired"); len(l) > 0 {
		t.Errorf("a token is visible:\n%s", strings.Join(l, "\n"))
	}
}
