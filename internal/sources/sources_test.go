package sources

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/store/storeerr"
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
			io.WriteString(w, csv)
		case "/two-headers.csv": // every line of the headers Secret is sent
			if gotAuth != "Bearer tok" || r.Header.Get("X-Api-Key") != "k3y-42" {
				http.Error(w, "no", http.StatusForbidden)
				return
			}
			io.WriteString(w, csv)
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
			io.WriteString(w, csv+strings.Repeat("c3,o3,2025-01-07,1.00\n", 100))
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
