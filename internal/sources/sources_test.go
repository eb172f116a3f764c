package sources

import (
	"context"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"

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
		case "/big.csv":
			io.WriteString(w, csv+strings.Repeat("c3,o3,2025-01-07,1.00\n", 100))
		default:
			http.NotFound(w, r)
		}
	}))
	defer srv.Close()
	cols := map[string]string{"customer": "customer_id", "order": "order_id", "time": "timestamp", "amount": "amount"}
	creds := func(k string) string {
		if k == "H" {
			return "Authorization: Bearer tok"
		}
		return ""
	}
	cases := []struct {
		name   string
		src    runplan.Source
		creds  Creds
		reason string // storeerr.Reason of the error; "" = success
		rows   int64
	}{
		{"configMap ok", runplan.Source{Name: "a", ConfigMap: &runplan.ConfigMap{Name: "cm", Key: "tx"}, Columns: cols}, noCreds, "", 2},
		{"configMap missing", runplan.Source{Name: "a", ConfigMap: &runplan.ConfigMap{Name: "gone", Key: "tx"}, Columns: cols}, noCreds, "NotFound", 0},
		{"missing column", runplan.Source{Name: "a", ConfigMap: &runplan.ConfigMap{Name: "cm", Key: "tx"}, Columns: map[string]string{"customer": "cust", "time": "timestamp", "amount": "amount"}}, noCreds, "SchemaMismatch", 0},
		{"nothing parses", runplan.Source{Name: "a", ConfigMap: &runplan.ConfigMap{Name: "cm", Key: "tx"}, Columns: map[string]string{"customer": "customer_id", "time": "amount", "amount": "timestamp"}}, noCreds, "SchemaMismatch", 2},
		{"http with header", runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: srv.URL + "/ok.csv", HeadersEnv: "H"}, Columns: cols}, creds, "", 2},
		{"http unauthorized", runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: srv.URL + "/ok.csv"}, Columns: cols}, noCreds, "AuthFailed", 0},
		{"http not found", runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: srv.URL + "/nope.csv"}, Columns: cols}, noCreds, "NotFound", 0},
		{"http too large", runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: srv.URL + "/big.csv", MaxBytes: 64}, Columns: cols}, noCreds, "TooLarge", 0},
		{"http unreachable", runplan.Source{Name: "h", HTTP: &runplan.HTTP{URL: "http://127.0.0.1:1/x.csv"}, Columns: cols}, noCreds, "Unreachable", 0},
		{"sample", runplan.Source{Name: "s", Sample: &runplan.Sample{Customers: 50, Seed: 1, Months: 12}}, noCreds, "", 100},
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
		})
	}
}

func TestRedactURL(t *testing.T) {
	for in, want := range map[string]string{
		"https://user:pw@host/x.csv?token=abc": "https://host/x.csv?…",
		"http://host/path":                     "http://host/path",
	} {
		if got := redactURL(in); got != want {
			t.Errorf("redactURL(%q) = %q, want %q", in, got, want)
		}
	}
}
