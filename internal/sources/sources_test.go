package sources

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"testing"
	"time"

	"sigs.k8s.io/yaml"

	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/store/storeerr"
	"github.com/crmlens/crmlens/analytics/txn"
	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/runplan"
)

const csv = "customer_id,order_id,timestamp,amount\nc1,o1,2025-01-05,10.00\nc2,o2,2025-01-06,20.00\n"

func cmReader(data map[string]string) ConfigMapReader {
	return func(_ context.Context, name, key string) ([]byte, error) {
		v, ok := data[name+"/"+key]
		if !ok {
			return nil, storeerr.ErrNotFound
		}
		return []byte(v), nil
	}
}

func noCreds(string) string { return "" }

func TestProbe(t *testing.T) {
	var gotAuth string
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		gotAuth = r.Header.Get("Authorization")
		switch r.URL.Path {
		case "/ok.csv":
			if gotAuth != "Bearer tok" {
				http.Error(w, "no", http.StatusUnauthorized)
				return
			}
			_, _ = io.WriteString(w, csv)
		case "/two-headers.csv": // every line of the headers Secret is sent
			if gotAuth != "Bearer tok" || r.Header.Get("X-Api-Key") != "k3y-42" {
				http.Error(w, "no", http.StatusForbidden)
				return
			}
			_, _ = io.WriteString(w, csv)
		case "/boom.csv": // servers echo request details in error pages: never shown
			http.Error(w, "internal error for "+gotAuth, http.StatusInternalServerError)
		case "/maintenance.csv":
			http.Error(w, "down for maintenance", http.StatusServiceUnavailable)
		case "/slow.csv":
			select {
			case <-time.After(10 * time.Second):
			case <-r.Context().Done():
			}
		case "/big.csv":
			_, _ = io.WriteString(w, csv+strings.Repeat("c3,o3,2025-01-07,1.00\n", 100))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cols := map[string]string{"customer": "customer_id", "order": "order_id", "time": "timestamp", "amount": "amount"}
	creds := func(k string) string {
		switch k {
		case "H":
			return "Authorization: Bearer tok"
		case "H2":
			return "Authorization: Bearer tok\r\n\nX-Api-Key:  k3y-42\n"
		case "BAD":
			return "Bearer tok" // no header name
		}
		return ""
	}
	cases := []struct {
		name   string
		src    runplan.Source
		creds  Creds
		reason string // storeerr.Reason of the error; "" = success
		rows   int64
		says   []string // the error message names these
	}{
		{"configMap ok", runplan.Source{Name: "a", ConfigMap: &runplan.ConfigMap{Name: "cm", Key: "tx"}, Columns: cols}, noCreds, "", 2, nil},
		{"configMap missing", runplan.Source{Name: "a", ConfigMap: &runplan.ConfigMap{Name: "gone", Key: "tx"}, Columns: cols}, noCreds, "NotFound", 0, nil},
		{"missing column", runplan.Source{Name: "a", ConfigMap: &runplan.ConfigMap{Name: "cm", Key: "tx"}, Columns: map[string]string{"customer": "cust", "time": "timestamp", "amount": "amount"}}, noCreds, "SchemaMismatch", 0, nil},
		{"nothing parses", runplan.Source{Name: "a", ConfigMap: &runplan.ConfigMap{Name: "cm", Key: "tx"}, Columns: map[string]string{"customer": "customer_id", "time": "amount", "amount": "timestamp"}}, noCreds, "SchemaMismatch", 2, nil},
		{"http with header", runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: srv.URL + "/ok.csv", HeadersEnv: "H"}, Columns: cols}, creds, "", 2, nil},
		{"http with two headers", runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: srv.URL + "/two-headers.csv", HeadersEnv: "H2"}, Columns: cols}, creds, "", 2, nil},
		{"http forbidden", runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: srv.URL + "/two-headers.csv", HeadersEnv: "H"}, Columns: cols}, creds, "PermissionDenied", 0, []string{"403"}},
		{"http unauthorized", runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: srv.URL + "/ok.csv"}, Columns: cols}, noCreds, "AuthFailed", 0, []string{"401", "/ok.csv"}},
		{"http not found", runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: srv.URL + "/nope.csv"}, Columns: cols}, noCreds, "NotFound", 0, []string{"404", "/nope.csv"}},
		{"http server error", runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: srv.URL + "/boom.csv", HeadersEnv: "H"}, Columns: cols}, creds, "BadStatus", 0, []string{"500", "/boom.csv"}},
		{"http unavailable", runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: srv.URL + "/maintenance.csv"}, Columns: cols}, noCreds, "Unreachable", 0, []string{"503"}},
		{"http timeout", runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: srv.URL + "/slow.csv", TimeoutSeconds: 1}, Columns: cols}, noCreds, "Timeout", 0, []string{"/slow.csv"}},
		{"http credentials in the URL are cut", runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: strings.Replace(srv.URL, "://", "://user:tok@", 1) + "/nope.csv?sig=tok"}, Columns: cols}, noCreds, "NotFound", 0, []string{"404"}},
		{"http too large", runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: srv.URL + "/big.csv", MaxBytes: 64}, Columns: cols}, noCreds, "TooLarge", 0, nil},
		{"http unreachable", runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: "http://127.0.0.1:1/x.csv"}, Columns: cols}, noCreds, "Unreachable", 0, nil},
		{"http headers without a name", runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: srv.URL + "/ok.csv", HeadersEnv: "BAD"}, Columns: cols}, creds, "InvalidConfig", 0, []string{"line 1"}},
		{"sample", runplan.Source{Name: "s", Sample: &runplan.Sample{Customers: 50, Seed: 1, Months: 12}}, noCreds, "", 100, nil},
	}
	cms := cmReader(map[string]string{"cm/tx": csv})
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			res, err := Probe(context.Background(), c.src, c.creds, cms)
			if got := storeerr.Reason(err); got != c.reason {
				t.Fatalf("reason %q (%v), want %q", got, err, c.reason)
			}
			if c.reason == "" && res.Rows != c.rows {
				t.Errorf("rows %d, want %d", res.Rows, c.rows)
			}
			if err != nil && strings.Contains(err.Error(), "tok") {
				t.Errorf("error leaks the header: %v", err)
			}
			for _, w := range c.says {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v does not name %q", err, w)
				}
			}
		})
	}
}

// TestDataSourceTimestampLayouts reads through the seam a run and a probe
// share (Options → Build → input.Read) with the source config the reconciler
// renders for a DataSource whose timestamp block keeps its defaults
// (layout RFC3339, timeZone UTC), as config/samples/stores/datasource-http.yaml
// does, and with the other named layouts. Before the names were resolved, the
// default layout rejected every row.
func TestDataSourceTimestampLayouts(t *testing.T) {
	cols := map[string]string{"customer": "buyer_id", "order": "order_no", "time": "order_date", "amount": "gross_amount"}
	cases := []struct {
		layout, tz string
		data       string
		want       []time.Time
	}{
		{"RFC3339", "UTC", "buyer_id,order_no,order_date,gross_amount\nb1,n1,2025-01-05T10:00:00Z,10.00\nb2,n2,2025-01-06T09:30:00.5+01:00,20.00\n",
			[]time.Time{time.Date(2025, 1, 5, 10, 0, 0, 0, time.UTC), time.Date(2025, 1, 6, 8, 30, 0, 500000000, time.UTC)}},
		{"Unix", "Europe/Berlin", "buyer_id,order_no,order_date,gross_amount\nb1,n1,1736071200,10.00\n",
			[]time.Time{time.Date(2025, 1, 5, 10, 0, 0, 0, time.UTC)}},
		{"UnixMilli", "", "buyer_id,order_no,order_date,gross_amount\nb1,n1,1736071200250,10.00\n",
			[]time.Time{time.Date(2025, 1, 5, 10, 0, 0, 250000000, time.UTC)}},
		{"2006-01-02 15:04", "Europe/Berlin", "buyer_id,order_no,order_date,gross_amount\nb1,n1,2025-01-05 11:00,10.00\n",
			[]time.Time{time.Date(2025, 1, 5, 10, 0, 0, 0, time.UTC)}},
		// The API default: a DataSource that sets only timeZone reads local
		// times in it, and times with an offset by their offset.
		{"Auto", "Europe/Berlin", "buyer_id,order_no,order_date,gross_amount\nb1,n1,2025-07-05 12:00:00,10.00\nb2,n2,2025-01-05T10:00:00Z,5\n",
			[]time.Time{time.Date(2025, 7, 5, 10, 0, 0, 0, time.UTC), time.Date(2025, 1, 5, 10, 0, 0, 0, time.UTC)}},
	}
	for _, tc := range cases {
		t.Run(tc.layout, func(t *testing.T) {
			srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, _ *http.Request) { _, _ = io.WriteString(w, tc.data) }))
			defer srv.Close()
			for name, s := range map[string]runplan.Source{
				"configMap": {Name: "partner-orders", ConfigMap: &runplan.ConfigMap{Name: "cm", Key: "tx"}},
				"http":      {Name: "partner-orders", HTTP: &runplan.HTTP{URL: srv.URL + "/orders.csv"}},
			} {
				s.Delimiter, s.TimeLayout, s.TimeZone, s.Columns = ",", tc.layout, tc.tz, cols
				cms := cmReader(map[string]string{"cm/tx": tc.data})
				srcs, err := Build(context.Background(), s, noCreds, cms)
				if err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				var got []time.Time
				var rejects []string
				h := handler{
					record: func(r *input.Record) { got = append(got, r.Time) },
					reject: func(line int64, reason txn.RejectReason, detail string) {
						rejects = append(rejects, fmt.Sprintf("%d %s %s", line, reason, detail))
					},
				}
				if err := input.Read(context.Background(), srcs[0], h); err != nil {
					t.Fatalf("%s: %v", name, err)
				}
				if len(rejects) > 0 || len(got) != len(tc.want) {
					t.Fatalf("%s: times %v, rejects %v", name, got, rejects)
				}
				for i := range got {
					if !got[i].Equal(tc.want[i]) {
						t.Errorf("%s: row %d time %v, want %v", name, i, got[i], tc.want[i])
					}
				}
				if res, err := Probe(context.Background(), s, noCreds, cms); err != nil || res.Rejected != 0 {
					t.Errorf("%s: probe %+v, %v", name, res, err)
				}
			}
		})
	}
	// Layout RFC3339 is RFC 3339 proper: offset-less local times are a
	// schema mismatch at probe time, not silently read in some zone.
	s := runplan.Source{Name: "p", ConfigMap: &runplan.ConfigMap{Name: "cm", Key: "tx"}, TimeLayout: "RFC3339", Columns: cols}
	_, err := Probe(context.Background(), s, noCreds, cmReader(map[string]string{"cm/tx": "buyer_id,order_no,order_date,gross_amount\nb1,n1,2025-01-05 10:00:00,1\n"}))
	if storeerr.Reason(err) != "SchemaMismatch" {
		t.Errorf("offset-less times under RFC3339: %v, want SchemaMismatch", err)
	}
	// A name in the wrong case is a configuration error naming the fix.
	s.TimeLayout = "rfc3339"
	if _, err := Options(s); storeerr.Reason(err) != "InvalidConfig" || !strings.Contains(err.Error(), `"RFC3339"`) {
		t.Errorf("layout rfc3339: %v", err)
	}
}

type handler struct {
	record func(*input.Record)
	reject func(int64, txn.RejectReason, string)
}

func (h handler) Record(r *input.Record) error { h.record(r); return nil }
func (h handler) Reject(line int64, reason txn.RejectReason, detail string) {
	h.reject(line, reason, detail)
}

// TestHTTPSampleLayout reads partner data with the timestamp layout and
// columns of config/samples/stores/datasource-http.yaml itself (as the
// reconciler copies them into the plan), so the sample stays readable.
func TestHTTPSampleLayout(t *testing.T) {
	raw, err := os.ReadFile("../../config/samples/stores/datasource-http.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var ds crmv1.DataSource
	if err := yaml.Unmarshal(raw, &ds); err != nil {
		t.Fatal(err)
	}
	if ds.Spec.Timestamp == nil || ds.Spec.CSV == nil || ds.Spec.Schema == nil || ds.Spec.Schema.Transactions == nil {
		t.Fatalf("sample lost its timestamp, csv or schema block: %+v", ds.Spec)
	}
	tc := ds.Spec.Schema.Transactions
	cols := map[string]string{"customer": string(tc.CustomerID), "order": string(tc.OrderID), "time": string(tc.Timestamp), "amount": string(tc.Amount)}
	data := strings.Join([]string{cols["customer"] + "," + cols["order"] + "," + cols["time"] + "," + cols["amount"],
		"b1,n1,2025-01-05T10:00:00Z,10.00", "b2,n2,2025-01-06T09:30:00+01:00,20.00"}, "\n")
	s := runplan.Source{Name: ds.Name, ConfigMap: &runplan.ConfigMap{Name: "cm", Key: "tx"}, Delimiter: ds.Spec.CSV.Delimiter,
		TimeLayout: ds.Spec.Timestamp.Layout, TimeZone: ds.Spec.Timestamp.TimeZone, Columns: cols}
	res, err := Probe(context.Background(), s, noCreds, cmReader(map[string]string{"cm/tx": data}))
	if err != nil || res.Rows != 2 || res.Rejected != 0 {
		t.Fatalf("sample layout %q: probe %+v, %v", s.TimeLayout, res, err)
	}
}

// TestProbeReportsSampledTimeRange: the probe reports the time range of the
// rows it sampled (here a ConfigMap source of three days).
func TestProbeReportsSampledTimeRange(t *testing.T) {
	data := csv + "c3,o3,2025-01-02,5.00\n"
	s := runplan.Source{Name: "cm", ConfigMap: &runplan.ConfigMap{Name: "tx", Key: "csv"},
		Columns: map[string]string{"customer": "customer_id", "order": "order_id", "time": "timestamp", "amount": "amount"}}
	res, err := Probe(context.Background(), s, func(string) string { return "" }, cmReader(map[string]string{"tx/csv": data}))
	if err != nil {
		t.Fatal(err)
	}
	from, to := time.Date(2025, 1, 2, 0, 0, 0, 0, time.UTC), time.Date(2025, 1, 6, 0, 0, 0, 0, time.UTC)
	if res.Rows != 3 || !res.Oldest.Equal(from) || !res.Newest.Equal(to) {
		t.Errorf("rows %d, range %v – %v, want 3 rows from %v to %v", res.Rows, res.Oldest, res.Newest, from, to)
	}
}
