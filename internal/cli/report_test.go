package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"html"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/result"
)

// writeDoc writes a small result document with the given segment names.
func writeDoc(t *testing.T, dir, name string, customers int64, segs ...string) string {
	t.Helper()
	d := result.New()
	d.Run.Method = "rfm"
	d.Input.Customers = customers
	for _, s := range segs {
		d.Segments = append(d.Segments, result.Segment{Name: s, Customers: customers})
	}
	b, err := json.Marshal(d)
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestReportCommandLine(t *testing.T) {
	dir := t.TempDir()
	doc := writeDoc(t, dir, "r.json", 120, "Champions", "Lost & <Found>")
	prev := writeDoc(t, dir, "p.json", 100, "Champions")
	alerts := filepath.Join(dir, "alerts.json")
	if err := os.WriteFile(alerts, []byte(`[{"name":"churn-high","severity":"warning","value":"0.3","threshold":"> 0.25"}]`), 0o644); err != nil {
		t.Fatal(err)
	}
	notDoc := filepath.Join(dir, "other.json")
	if err := os.WriteFile(notDoc, []byte(`{"apiVersion":"v1","kind":"ConfigMap"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	out := filepath.Join(dir, "out.html")

	tests := []struct {
		name       string
		args       []string
		code       int
		stdoutHas  []string
		stderrHas  string
		fileHas    []string
		noFileMade bool
	}{
		{name: "stdout", args: []string{"-f", doc}, code: 0,
			stdoutHas: []string{"<!DOCTYPE html>", "Lost &amp; &lt;Found&gt;", "crmlens report"}},
		{name: "file with previous, alerts and title", args: []string{"-f", doc, "--previous", prev, "--alerts", alerts, "--title", "Weekly", "-o", out}, code: 0,
			fileHas: []string{"<title>Weekly</title>", "▲ +20 (+20.0 %) since last run", "churn-high", `id="alerts"`}},
		{name: "help", args: []string{"-h"}, code: 0, stdoutHas: []string{"usage: crmlens report"}},
		{name: "no input", args: nil, code: 2, stderrHas: "give -f FILE"},
		{name: "both outputs", args: []string{"-f", doc, "-o", out, "--serve", ":0"}, code: 2, stderrHas: "not both"},
		{name: "stray argument", args: []string{"-f", doc, "extra"}, code: 2, stderrHas: `unexpected argument "extra"`},
		{name: "unknown flag", args: []string{"-x"}, code: 2, stderrHas: "flag provided but not defined"},
		{name: "missing file", args: []string{"-f", filepath.Join(dir, "nope.json")}, code: 1, stderrHas: "no such file"},
		{name: "not a result document", args: []string{"-f", notDoc}, code: 1, stderrHas: `want crmlens.io/result/v1 AnalysisResult`},
		{name: "bad previous", args: []string{"-f", doc, "--previous", notDoc}, code: 1, stderrHas: "--previous:"},
		{name: "bad alerts", args: []string{"-f", doc, "--alerts", doc}, code: 1, stderrHas: "--alerts:"},
		{name: "bad serve address", args: []string{"-f", doc, "--serve", "8080"}, code: 2, stderrHas: "want HOST:PORT"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_ = os.Remove(out)
			var stdout, stderr bytes.Buffer
			code := Report(context.Background(), tt.args, &stdout, &stderr)
			if code != tt.code {
				t.Fatalf("exit code %d, want %d; stderr: %s", code, tt.code, stderr.String())
			}
			for _, s := range tt.stdoutHas {
				if !strings.Contains(stdout.String(), s) {
					t.Errorf("stdout lacks %q", s)
				}
			}
			if tt.stderrHas != "" && !strings.Contains(stderr.String(), tt.stderrHas) {
				t.Errorf("stderr %q lacks %q", stderr.String(), tt.stderrHas)
			}
			if tt.fileHas != nil {
				b, err := os.ReadFile(out)
				if err != nil {
					t.Fatal(err)
				}
				page := html.UnescapeString(string(b))
				for _, s := range tt.fileHas {
					if !strings.Contains(page, s) {
						t.Errorf("%s lacks %q", out, s)
					}
				}
			}
		})
	}
	// A failed run leaves no temporary file behind.
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.HasPrefix(e.Name(), ".crmlens-report-") {
			t.Errorf("temporary file %s left behind", e.Name())
		}
	}
}

func TestLocalAddr(t *testing.T) {
	tests := []struct{ in, want string }{
		{":8080", "127.0.0.1:8080"},
		{"0.0.0.0:9000", "0.0.0.0:9000"},
		{"localhost:0", "localhost:0"},
		{"[::1]:80", "[::1]:80"},
	}
	for _, tt := range tests {
		got, err := localAddr(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("localAddr(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
	}
}

// syncBuffer is a bytes.Buffer safe for the server goroutine and the test.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

func TestReportServe(t *testing.T) {
	doc := writeDoc(t, t.TempDir(), "r.json", 5, "Champions")
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	var stderr syncBuffer
	done := make(chan int, 1)
	go func() { done <- Report(ctx, []string{"-f", doc, "--serve", ":0"}, io.Discard, &stderr) }()

	addrRE := regexp.MustCompile(`http://(127\.0\.0\.1:\d+)/`)
	var addr string
	for deadline := time.Now().Add(10 * time.Second); addr == "" && time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
		if m := addrRE.FindStringSubmatch(stderr.String()); m != nil {
			addr = m[1]
		}
	}
	if addr == "" {
		t.Fatalf("no loopback address announced; stderr: %s", stderr.String())
	}
	type reply struct {
		StatusCode int
		Header     http.Header
	}
	get := func(path string) (reply, string) {
		t.Helper()
		resp, err := http.Get("http://" + addr + path)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return reply{resp.StatusCode, resp.Header}, string(b)
	}
	resp, body := get("/")
	if resp.StatusCode != http.StatusOK || !strings.Contains(body, "Champions") {
		t.Errorf("GET / = %d, body has Champions: %v", resp.StatusCode, strings.Contains(body, "Champions"))
	}
	if csp := resp.Header.Get("Content-Security-Policy"); !strings.Contains(csp, "default-src 'none'") {
		t.Errorf("CSP header %q", csp)
	}
	if resp, _ := get("/etc/passwd"); resp.StatusCode != http.StatusNotFound {
		t.Errorf("GET /etc/passwd = %d, want 404", resp.StatusCode)
	}
	cancel()
	select {
	case code := <-done:
		if code != 0 {
			t.Errorf("exit code after Ctrl-C %d, want 0; stderr: %s", code, stderr.String())
		}
	case <-time.After(10 * time.Second):
		t.Fatal("server did not stop")
	}
}
