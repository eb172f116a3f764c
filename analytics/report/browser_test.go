package report_test

import (
	"bufio"
	"bytes"
	"context"
	"image/png"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/engine"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/report"
	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/analytics/sample"
)

// The browser test renders a report of a real engine run in Debian's
// chromium (headless) and checks that the page renders with no console
// message, makes no request beyond the page itself, and paints a non-trivial
// screenshot. REPORT_SCREENSHOT=path keeps a copy of the screenshot.

func inCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false" && v != "0"
}

func chromiumPath(t *testing.T) string {
	t.Helper()
	for _, name := range []string{"chromium", "chromium-browser"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	if inCI() {
		t.Fatal("chromium is not installed; CI needs it (apt-get install chromium, see .ci/run)")
	}
	t.Skip("chromium is not installed: apt-get install chromium to run the browser test")
	return ""
}

// engineRun analyses the built-in sample shop.
func engineRun(t *testing.T, method engine.Method, seed uint64, reports ...engine.Report) *result.Document {
	t.Helper()
	sc := sample.DefaultConfig(2000)
	sc.Seed = seed
	cfg := engine.Config{
		Sources: []input.Source{sample.Source(sc)},
		Rules:   clean.Rules{DropGifts: true, DedupeOrders: true},
		Method:  method,
		Reports: reports,
	}
	doc, err := engine.Run(context.Background(), cfg, nil)
	if err != nil {
		t.Fatalf("engine.Run(%s): %v", method, err)
	}
	return doc
}

// pageServer serves one page and records every request path.
type pageServer struct {
	*httptest.Server
	mu    sync.Mutex
	paths []string
}

func servePage(t *testing.T, page []byte) *pageServer {
	t.Helper()
	s := &pageServer{}
	s.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		s.paths = append(s.paths, r.URL.Path)
		s.mu.Unlock()
		if r.URL.Path != "/" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		_, _ = w.Write(page)
	}))
	t.Cleanup(s.Close)
	return s
}

func (s *pageServer) requests() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.paths...)
}

// chromium runs headless chromium with extra flags on url and returns its
// stdout and stderr.
func chromium(t *testing.T, bin, url string, flags ...string) (stdout, stderr string) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	args := []string{"--headless", "--no-sandbox", "--disable-gpu", "--disable-dev-shm-usage", "--disable-quic",
		"--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync",
		"--user-data-dir=" + t.TempDir(), "--enable-logging=stderr", "--v=0"}
	args = append(append(args, flags...), url)
	cmd := exec.CommandContext(ctx, bin, args...)
	var out, errb bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errb
	if err := cmd.Run(); err != nil {
		t.Fatalf("chromium %v: %v\n%s", flags, err, errb.String())
	}
	return out.String(), errb.String()
}

// consoleLines returns chromium's log lines of page console messages and
// uncaught errors ("…:INFO:CONSOLE:12] "message", source: …").
func consoleLines(stderr string) []string {
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(stderr))
	sc.Buffer(make([]byte, 1<<20), 1<<20)
	for sc.Scan() {
		if strings.Contains(sc.Text(), ":CONSOLE") {
			lines = append(lines, sc.Text())
		}
	}
	return lines
}

// The detector must see what it is meant to catch, or a clean result says
// nothing: a script error and a CSP-blocked request both show as console
// lines, and the blocked request never reaches the server.
func TestBrowserConsoleDetectorControl(t *testing.T) {
	bin := chromiumPath(t)
	bad := servePage(t, []byte(`<!DOCTYPE html><html><head><meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'"><title>control</title></head>
<body><p>control</p><img src="/tracker.png" alt=""><script>console.error("control-error"); notDefined();</script></body></html>`))
	_, stderr := chromium(t, bin, bad.URL+"/", "--dump-dom")
	lines := strings.Join(consoleLines(stderr), "\n")
	for _, want := range []string{"control-error", "notDefined", "Content Security Policy"} {
		if !strings.Contains(lines, want) {
			t.Errorf("console lines miss %q:\n%s", want, lines)
		}
	}
	for _, p := range bad.requests() {
		if p == "/tracker.png" {
			t.Error("the CSP-blocked image was requested")
		}
	}
}

func TestReportInHeadlessChromium(t *testing.T) {
	bin := chromiumPath(t)
	all := []engine.Report{engine.KPI, engine.VIP, engine.Pareto, engine.Cohort, engine.Forecast, engine.Basket}
	doc := engineRun(t, engine.RFM, 1, all...)
	prev := engineRun(t, engine.RFM, 2, all...)
	// One run holds one method's section; the value matrix comes from a
	// second run on the same data so the page shows every section.
	doc.ValueMatrix = engineRun(t, engine.ValueMatrix, 1).ValueMatrix
	// A name that would load /xss and log to the console if escaping failed.
	doc.Segments[len(doc.Segments)-1].Name += ` <img src="/xss" onerror="console.error('xss')">`
	alerts := []report.Alert{{Name: "churn-too-high", Severity: "warning", Value: "0.36", Threshold: "> 0.25",
		Message: "churn rate above 25 %", Since: time.Date(2026, 1, 5, 6, 0, 0, 0, time.UTC)}}

	var page bytes.Buffer
	if err := report.Render(&page, doc, report.Options{Title: "Sample shop", Previous: prev, Alerts: alerts}); err != nil {
		t.Fatal(err)
	}
	srv := servePage(t, page.Bytes())
	wantCharts := strings.Count(page.String(), "<figure class=\"chart\"")
	for _, id := range []string{"alerts", "segments", "rfm", "value-matrix", "kpi", "pareto", "cohort", "vip", "basket", "forecast", "input"} {
		if !strings.Contains(page.String(), `<section id="`+id+`"`) {
			t.Errorf("the sample report has no %s section", id)
		}
	}

	dom, stderr := chromium(t, bin, srv.URL+"/", "--dump-dom")
	if lines := consoleLines(stderr); len(lines) > 0 {
		t.Errorf("console messages while rendering:\n%s", strings.Join(lines, "\n"))
	}
	// The browser built the whole document: every chart reached the DOM.
	if got := strings.Count(dom, `<figure class="chart"`); got != wantCharts || wantCharts < 12 {
		t.Errorf("charts in the DOM = %d, in the page = %d (want ≥ 12)", got, wantCharts)
	}
	if n := len(regexp.MustCompile(`<svg `).FindAllString(dom, -1)); n != wantCharts {
		t.Errorf("svg elements in the DOM = %d, want %d", n, wantCharts)
	}

	shot := filepath.Join(t.TempDir(), "report.png")
	_, stderr = chromium(t, bin, srv.URL+"/", "--screenshot="+shot, "--window-size=1280,4000", "--hide-scrollbars")
	if lines := consoleLines(stderr); len(lines) > 0 {
		t.Errorf("console messages while taking the screenshot:\n%s", strings.Join(lines, "\n"))
	}
	for _, p := range srv.requests() {
		// favicon.ico is the browser's own request, not the page's.
		if p != "/" && p != "/favicon.ico" {
			t.Errorf("the page requested %s", p)
		}
	}
	checkScreenshot(t, shot)
}

// checkScreenshot decodes the PNG and requires real drawing: many distinct
// colours and a good share of non-white pixels.
func checkScreenshot(t *testing.T, path string) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no screenshot: %v", err)
	}
	if keep := os.Getenv("REPORT_SCREENSHOT"); keep != "" {
		if err := os.WriteFile(keep, b, 0o644); err != nil {
			t.Errorf("keeping the screenshot: %v", err)
		}
	}
	img, err := png.Decode(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("decoding the screenshot: %v", err)
	}
	r := img.Bounds()
	if r.Dx() != 1280 || r.Dy() != 4000 {
		t.Errorf("screenshot %v, want 1280×4000", r.Size())
	}
	colours := map[[3]uint32]struct{}{}
	nonWhite := 0
	for y := r.Min.Y; y < r.Max.Y; y += 2 {
		for x := r.Min.X; x < r.Max.X; x += 2 {
			cr, cg, cb, _ := img.At(x, y).RGBA()
			colours[[3]uint32{cr >> 8, cg >> 8, cb >> 8}] = struct{}{}
			if cr>>8 < 245 || cg>>8 < 245 || cb>>8 < 245 {
				nonWhite++
			}
		}
	}
	sampled := (r.Dx() / 2) * (r.Dy() / 2)
	share := float64(nonWhite) / float64(sampled)
	t.Logf("screenshot: %d distinct colours, %.1f %% non-white", len(colours), share*100)
	if len(colours) < 64 {
		t.Errorf("screenshot has %d distinct colours, want ≥ 64 (charts, text, tiles)", len(colours))
	}
	if share < 0.08 {
		t.Errorf("screenshot is %.1f %% non-white, want ≥ 8 %%", share*100)
	}
	// The header band at the top is the dark page heading.
	if cr, cg, cb, _ := img.At(20, 10).RGBA(); cr>>8 > 80 || cg>>8 > 100 || cb>>8 > 120 {
		t.Errorf("header pixel (%d,%d,%d) is not the dark heading colour", cr>>8, cg>>8, cb>>8)
	}
}
