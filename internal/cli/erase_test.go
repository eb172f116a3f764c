package cli

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestEraseResultFiles: analyze writes per-customer CSV and NDJSON and a
// result document; erase takes two customers out of every file, prints
// counts only, and a second erase finds nothing; the other customers stay.
func TestEraseResultFiles(t *testing.T) {
	dir := t.TempDir()
	data := writeFile(t, "orders.csv", "customer,time,amount\namy,2024-01-05,10.00\nbob,2024-02-10,5.00\ncy,2024-03-01,20.00\ndee,2024-03-02,7.00\n")
	csvOut, ndOut, docOut := filepath.Join(dir, "customers.csv"), filepath.Join(dir, "customers.ndjson"), filepath.Join(dir, "result.json")
	for _, out := range []string{csvOut, ndOut} {
		code, stdout, errs := analyze(t, "-f", data, "--as-of", "2024-03-31", "--customers-out", out)
		if code != 0 {
			t.Fatalf("analyze: %s", errs)
		}
		if err := os.WriteFile(docOut, []byte(stdout), 0o600); err != nil {
			t.Fatal(err)
		}
	}
	ids := writeFile(t, "ids.txt", "bob\ndee\n")
	run := func(args ...string) (int, string, string) {
		var o, e bytes.Buffer
		code := Erase(context.Background(), args, &o, &e)
		return code, o.String(), e.String()
	}
	code, out, errs := run("--ids", ids, csvOut, ndOut, docOut)
	if code != 0 {
		t.Fatalf("exit %d: %s", code, errs)
	}
	for _, want := range []string{csvOut + ": 2 rows removed", ndOut + ": 2 rows removed", docOut + ": nothing to erase"} {
		if !strings.Contains(out, want) {
			t.Errorf("output lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "bob") || strings.Contains(out, "dee") {
		t.Errorf("output names a customer:\n%s", out)
	}
	for _, f := range []string{csvOut, ndOut} {
		b, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		s := string(b)
		if strings.Contains(s, "bob") || strings.Contains(s, "dee") || !strings.Contains(s, "amy") || !strings.Contains(s, "cy") {
			t.Errorf("%s after erase:\n%s", f, s)
		}
	}
	if _, out, _ := run("--ids", ids, csvOut, ndOut); strings.Count(out, "nothing to erase") != 2 {
		t.Errorf("second erase:\n%s", out)
	}
	if code, _, _ := run(csvOut); code != 2 {
		t.Errorf("missing --ids: exit %d", code)
	}
}
