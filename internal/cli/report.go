package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/crmlens/crmlens/analytics/report"
	"github.com/crmlens/crmlens/analytics/result"
)

const reportUsage = `usage: crmlens report -f RESULT.json [--previous PREV.json] [-o REPORT.html | --serve ADDR]

Renders a result document (the JSON printed by crmlens analyze, or a run's
summary) as one self-contained HTML page: no external assets, no network.

  -f FILE            result document (JSON); "-" reads stdin
  --previous FILE    an earlier result of the same analysis: KPI tiles and
                     segments show the change since that run
  --alerts FILE      firing alerts to list, JSON: [{"name", "severity", "value",
                     "threshold", "message", "since"}]
  --title TEXT       page heading (default "crmlens report")
  -o FILE            write the page to FILE ("-" or absent: stdout)
  --serve ADDR       serve the page over HTTP instead, e.g. :8080; a bare
                     port binds to 127.0.0.1 only. Stops on Ctrl-C.
`

// reportUsageErr is a bad command line (exit code 2).
type reportUsageErr struct{ error }

type reportOptions struct {
	file, previous, alerts, title, out, serve string
}

// Report renders a result document as HTML and writes it to a file, stdout,
// or serves it on a local address. It returns the process exit code: 0 on
// success, 1 when reading, rendering or serving fails, 2 for a bad command
// line.
func Report(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	o, err := parseReport(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprint(stdout, reportUsage)
		return 0
	}
	if err != nil {
		fmt.Fprintf(stderr, "crmlens report: %v (see crmlens report -h)\n", err)
		return 2
	}
	if err := runReport(ctx, o, stdout, stderr); err != nil {
		var ue reportUsageErr
		fmt.Fprintf(stderr, "crmlens report: %v\n", strings.ReplaceAll(err.Error(), "\n", "; "))
		if errors.As(err, &ue) {
			return 2
		}
		return 1
	}
	return 0
}

func parseReport(args []string) (*reportOptions, error) {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	o := &reportOptions{}
	fs.StringVar(&o.file, "f", "", "")
	fs.StringVar(&o.previous, "previous", "", "")
	fs.StringVar(&o.alerts, "alerts", "", "")
	fs.StringVar(&o.title, "title", "", "")
	fs.StringVar(&o.out, "o", "", "")
	fs.StringVar(&o.serve, "serve", "", "")
	if err := fs.Parse(args); err != nil {
		return nil, err
	}
	switch {
	case fs.NArg() > 0:
		return nil, fmt.Errorf("unexpected argument %q", fs.Arg(0))
	case o.file == "":
		return nil, errors.New("no result document: give -f FILE")
	case o.out != "" && o.serve != "":
		return nil, errors.New("give either -o or --serve, not both")
	case o.previous == "-" || o.alerts == "-":
		return nil, errors.New("only -f may read stdin")
	}
	return o, nil
}

func runReport(ctx context.Context, o *reportOptions, stdout, stderr io.Writer) error {
	doc, err := readDocument(o.file)
	if err != nil {
		return err
	}
	opts := report.Options{Title: o.title}
	if o.previous != "" {
		if opts.Previous, err = readDocument(o.previous); err != nil {
			return fmt.Errorf("--previous: %w", err)
		}
	}
	if o.alerts != "" {
		if opts.Alerts, err = readAlerts(o.alerts); err != nil {
			return fmt.Errorf("--alerts: %w", err)
		}
	}
	var page bytes.Buffer
	if err := report.Render(&page, doc, opts); err != nil {
		return err
	}
	switch {
	case o.serve != "":
		return serveReport(ctx, o.serve, page.Bytes(), stderr)
	case o.out == "" || o.out == "-":
		_, err := stdout.Write(page.Bytes())
		return err
	default:
		return writeFileAtomic(o.out, page.Bytes())
	}
}

// readDocument reads and checks a result document; path "-" is stdin.
func readDocument(path string) (*result.Document, error) {
	var r io.Reader
	if path == "-" {
		r = os.Stdin
	} else {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("reading the result document: %w", err)
		}
		defer f.Close()
		r = f
	}
	var doc result.Document
	if err := json.NewDecoder(r).Decode(&doc); err != nil {
		return nil, fmt.Errorf("%s: not a result document: %w", path, err)
	}
	if doc.APIVersion != result.APIVersion || doc.Kind != result.Kind {
		return nil, fmt.Errorf("%s: apiVersion %q, kind %q: want %s %s", path, doc.APIVersion, doc.Kind, result.APIVersion, result.Kind)
	}
	return &doc, nil
}

func readAlerts(path string) ([]report.Alert, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("reading alerts: %w", err)
	}
	var alerts []report.Alert
	if err := json.Unmarshal(b, &alerts); err != nil {
		return nil, fmt.Errorf("%s: want a JSON list of alerts: %w", path, err)
	}
	return alerts, nil
}

// writeFileAtomic writes through a temporary file in the same directory so a
// failed write never leaves a half page under the final name.
func writeFileAtomic(path string, data []byte) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), ".crmlens-report-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer os.Remove(tmp.Name())
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// localAddr binds a bare ":port" to loopback: a report holds business
// figures and must not be published to the network by accident.
func localAddr(addr string) (string, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return "", reportUsageErr{fmt.Errorf("--serve %q: want HOST:PORT or :PORT: %w", addr, err)}
	}
	if host == "" {
		host = "127.0.0.1"
	}
	return net.JoinHostPort(host, port), nil
}

// reportHandler serves the page at / and nothing else.
func reportHandler(page []byte) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/" && r.URL.Path != "/index.html" {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		h := w.Header()
		h.Set("Content-Type", "text/html; charset=utf-8")
		h.Set("Content-Security-Policy", "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; form-action 'none'")
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "no-referrer")
		h.Set("Cache-Control", "no-store")
		_, _ = w.Write(page)
	})
}

func serveReport(ctx context.Context, addr string, page []byte, stderr io.Writer) error {
	addr, err := localAddr(addr)
	if err != nil {
		return err
	}
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return fmt.Errorf("--serve: %w", err)
	}
	srv := &http.Server{Handler: reportHandler(page), ReadHeaderTimeout: 10 * time.Second}
	fmt.Fprintf(stderr, "serving the report on http://%s/ (Ctrl-C stops)\n", ln.Addr())
	done := make(chan error, 1)
	go func() { done <- srv.Serve(ln) }()
	select {
	case err := <-done:
		return fmt.Errorf("serving the report: %w", err)
	case <-ctx.Done():
	}
	shutdownCtx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutdownCtx); err != nil {
		return fmt.Errorf("stopping the server: %w", err)
	}
	return nil
}
