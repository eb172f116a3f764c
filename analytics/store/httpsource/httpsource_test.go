package httpsource

import (
	"bytes"
	"compress/gzip"
	"context"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/aggregate"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/store/storeerr"
)

const token = "Bearer s3cr3t-t0ken"

func data(n int) []byte {
	var b strings.Builder
	b.WriteString("customer_id,order_id,timestamp,amount\n")
	for i := range n {
		fmt.Fprintf(&b, "c%d,o%d,2024-01-%02dT10:00:00Z,%d.50\n", i%37, i, 1+i%28, 1+i%90)
	}
	return []byte(b.String())
}

// handler serves /data.csv (token required), /data.csv.gz, /big (chunked, no
// length), /slow, /missing and /boom.
func handler(body []byte) http.Handler {
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	_, _ = zw.Write(body)
	zw.Close()
	mux := http.NewServeMux()
	mux.HandleFunc("/data.csv", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != token {
			http.Error(w, "no", http.StatusUnauthorized)
			return
		}
		w.Header().Set("Content-Length", fmt.Sprint(len(body)))
		_, _ = w.Write(body)
	})
	mux.HandleFunc("/data.csv.gz", func(w http.ResponseWriter, r *http.Request) { _, _ = w.Write(gz.Bytes()) })
	mux.HandleFunc("/big", func(w http.ResponseWriter, r *http.Request) {
		for range 100 {
			_, _ = w.Write(body)
			w.(http.Flusher).Flush()
		}
	})
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-time.After(5 * time.Second):
		case <-r.Context().Done():
		}
	})
	mux.HandleFunc("/missing", http.NotFound)
	mux.HandleFunc("/forbidden", func(w http.ResponseWriter, r *http.Request) { http.Error(w, "no read right", http.StatusForbidden) })
	mux.HandleFunc("/busy", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "maintenance", http.StatusServiceUnavailable)
	})
	mux.HandleFunc("/boom", func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, "oops "+r.Header.Get("Authorization"), 500)
	})
	return mux
}

func TestSourceAndErrors(t *testing.T) {
	body := data(500)
	srv := httptest.NewServer(handler(body))
	defer srv.Close()
	tlsSrv := httptest.NewUnstartedServer(handler(body))
	tlsSrv.Config.ErrorLog = log.New(io.Discard, "", 0)
	tlsSrv.StartTLS()
	defer tlsSrv.Close()
	ca := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: tlsSrv.Certificate().Raw})

	want, err := aggregate.Build(context.Background(), []input.Source{input.BytesSource("x", body, input.Options{}, "")}, aggregate.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		cfg    Config
		want   error
		reason string
		status int
		// probeOK: the probe reads only the header and first row, so a body
		// that grows too large later still probes fine.
		probeOK bool
	}{
		{name: "with token", cfg: Config{URL: srv.URL + "/data.csv", HeaderValue: token}},
		{name: "gzip body", cfg: Config{URL: srv.URL + "/data.csv.gz"}},
		{name: "TLS with CA", cfg: Config{URL: tlsSrv.URL + "/data.csv", HeaderValue: token, CACertPEM: ca}},
		{name: "TLS unverified by choice", cfg: Config{URL: tlsSrv.URL + "/data.csv", HeaderValue: token, InsecureSkipVerify: true}},
		{name: "TLS without CA", cfg: Config{URL: tlsSrv.URL + "/data.csv", HeaderValue: token}, want: ErrTLS, reason: "TLSFailed"},
		{name: "no token", cfg: Config{URL: srv.URL + "/data.csv"}, want: ErrAuthFailed, reason: "AuthFailed", status: 401},
		{name: "wrong token", cfg: Config{URL: srv.URL + "/data.csv?sig=query-s3cret", HeaderValue: "Bearer wrong-t0ken"}, want: ErrAuthFailed, reason: "AuthFailed", status: 401},
		{name: "not found", cfg: Config{URL: srv.URL + "/missing"}, want: ErrNotFound, reason: "NotFound", status: 404},
		{name: "forbidden", cfg: Config{URL: srv.URL + "/forbidden", HeaderValue: token}, want: ErrPermission, reason: "PermissionDenied", status: 403},
		{name: "unavailable", cfg: Config{URL: srv.URL + "/busy"}, want: ErrUnreachable, reason: "Unreachable", status: 503},
		{name: "server error", cfg: Config{URL: srv.URL + "/boom", HeaderValue: token}, want: ErrBadStatus, reason: "BadStatus", status: 500},
		{name: "too large, streamed", cfg: Config{URL: srv.URL + "/big", MaxBytes: 3 * int64(len(body))}, want: ErrTooLarge, reason: "TooLarge", probeOK: true},
		{name: "too large, by Content-Length", cfg: Config{URL: srv.URL + "/data.csv", HeaderValue: token, MaxBytes: 100}, want: ErrTooLarge, reason: "TooLarge"},
		{name: "timeout", cfg: Config{URL: srv.URL + "/slow", Timeout: 200 * time.Millisecond}, want: ErrTimeout, reason: "Timeout"},
		{name: "nothing listening", cfg: Config{URL: "http://127.0.0.1:1/x.csv"}, want: ErrUnreachable, reason: "Unreachable"},
		{name: "bad URL", cfg: Config{URL: "ftp://example.com/x"}, want: ErrInvalidConfig, reason: "InvalidConfig"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			var got error
			src, err := Source(ctx, tt.cfg)
			if err == nil {
				var set any
				s, e := aggregate.Build(ctx, []input.Source{src}, aggregate.Options{Workers: 1})
				set, err = s, e
				if err == nil && tt.want == nil {
					s.Samples, want.Samples = nil, nil
					if !reflect.DeepEqual(set, want) {
						t.Fatal("set over HTTP differs from the same bytes read locally")
					}
				}
			}
			got = err
			probeWant := tt.want
			if tt.probeOK {
				probeWant = nil
			}
			if probeErr := Probe(ctx, tt.cfg); (probeErr == nil) != (probeWant == nil) || (probeWant != nil && !errors.Is(probeErr, probeWant)) {
				t.Errorf("Probe = %v, want %v", probeErr, probeWant)
			}
			if tt.want == nil {
				if got != nil {
					t.Fatal(got)
				}
				return
			}
			if !errors.Is(got, tt.want) {
				t.Fatalf("err = %v, want %v", got, tt.want)
			}
			if r := storeerr.Reason(got); r != tt.reason {
				t.Errorf("reason %q, want %q", r, tt.reason)
			}
			if tt.status != 0 && (StatusCode(got) != tt.status || !strings.Contains(got.Error(), fmt.Sprint(tt.status))) {
				t.Errorf("status in %v: got %d, want %d", got, StatusCode(got), tt.status)
			}
			for _, secret := range []string{"s3cr3t-t0ken", "wrong-t0ken", "query-s3cret"} {
				if strings.Contains(got.Error(), secret) {
					t.Errorf("error leaks a secret: %v", got)
				}
			}
		})
	}
}

func TestLimitExactlyReached(t *testing.T) {
	body := data(50)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.(http.Flusher).Flush() // no Content-Length: the streaming check decides
		_, _ = w.Write(body)
	}))
	defer srv.Close()
	for _, tt := range []struct {
		limit int64
		fail  bool
	}{{int64(len(body)), false}, {int64(len(body)) - 1, true}} {
		cfg := Config{URL: srv.URL, MaxBytes: tt.limit}
		rc, err := cfg.open(context.Background())
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if tt.fail != errors.Is(err, ErrTooLarge) {
			t.Errorf("limit %d for %d bytes: err %v", tt.limit, len(body), err)
		}
		if !tt.fail && (!bytes.Equal(b, body) || BytesRead(rc) != int64(len(body))) {
			t.Errorf("limit %d: read %d bytes (counted %d)", tt.limit, len(b), BytesRead(rc))
		}
	}
}

func TestHeaders(t *testing.T) {
	var got []http.Header
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Clone())
		_, _ = io.WriteString(w, "customer_id,order_id,timestamp,amount\nc1,o1,2024-01-01,1.00\n")
	}))
	defer other.Close()
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got = append(got, r.Header.Clone())
		if r.URL.Path == "/away" { // another host (port): the secrets must stay behind
			http.Redirect(w, r, other.URL+"/x.csv", http.StatusFound)
			return
		}
		_, _ = io.WriteString(w, "customer_id,order_id,timestamp,amount\nc1,o1,2024-01-01,1.00\n")
	}))
	defer srv.Close()

	h, err := ParseHeaders("Authorization: Bearer s3cr3t-t0ken\r\n\n  X-Api-Key :k3y-s3cret \nAccept: text/plain\n")
	if err != nil {
		t.Fatal(err)
	}
	for _, path := range []string{"/here", "/away"} {
		got = nil
		if err := Probe(context.Background(), Config{URL: srv.URL + path, Headers: h}); err != nil {
			t.Fatal(err)
		}
		first := got[0]
		if first.Get("Authorization") != token || first.Get("X-Api-Key") != "k3y-s3cret" || first.Get("Accept") != "text/plain" {
			t.Errorf("%s: sent %v", path, first)
		}
		if path == "/away" {
			if len(got) != 2 || got[1].Get("Authorization") != "" || got[1].Get("X-Api-Key") != "" {
				t.Errorf("redirect to another host: sent %v", got[1:])
			}
		}
	}
	for _, bad := range []string{"Bearer s3cr3t-t0ken", ": s3cr3t-t0ken", "X Key: s3cr3t-t0ken"} {
		_, err := ParseHeaders("Accept: text/csv\n" + bad)
		if !errors.Is(err, ErrInvalidConfig) || !strings.Contains(err.Error(), "line 2") || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("ParseHeaders(%q) = %v, want an InvalidConfig error naming line 2 only", bad, err)
		}
	}
	// A server that fails reflects nothing secret into the error.
	boom := httptest.NewServer(handler(data(1)))
	defer boom.Close()
	err = Probe(context.Background(), Config{URL: boom.URL + "/boom", Headers: h})
	if !errors.Is(err, ErrBadStatus) || strings.Contains(err.Error(), "s3cret") || strings.Contains(err.Error(), "t0ken") {
		t.Errorf("Probe = %v", err)
	}
}
