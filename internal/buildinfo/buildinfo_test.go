package buildinfo

import (
	"bytes"
	"runtime"
	"strings"
	"testing"

	"github.com/crmlens/crmlens/analytics/engine"
)

func TestMain_Version(t *testing.T) {
	oldV, oldR := engine.Version, Revision
	engine.Version, Revision = "1.2.3", "abc123"
	defer func() { engine.Version, Revision = oldV, oldR }()

	cases := []struct {
		name       string
		args       []string
		code       int
		out, errIn string
	}{
		{"text", nil, 0, "crmlens 1.2.3 (revision abc123, " + runtime.Version() + ")\n", ""},
		{"json", []string{"-o", "json"}, 0, `{"version":"1.2.3","revision":"abc123","goVersion":"` + runtime.Version() + `"}` + "\n", ""},
		{"json equals form", []string{"-o=json"}, 0, `{"version":"1.2.3","revision":"abc123","goVersion":"` + runtime.Version() + `"}` + "\n", ""},
		{"help", []string{"-h"}, 0, "usage: crmlens version [-o json]\n", ""},
		{"unknown", []string{"--bogus"}, 2, "", "unexpected arguments"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			var out, errb bytes.Buffer
			if code := Main(c.args, &out, &errb); code != c.code {
				t.Fatalf("exit %d, want %d (stderr %q)", code, c.code, errb.String())
			}
			if out.String() != c.out {
				t.Errorf("stdout %q, want %q", out.String(), c.out)
			}
			if !strings.Contains(errb.String(), c.errIn) {
				t.Errorf("stderr %q lacks %q", errb.String(), c.errIn)
			}
		})
	}
}

// The version is engine.Version: the one a result document carries.
func TestGetIsEngineVersion(t *testing.T) {
	old := engine.Version
	engine.Version = "9.9.9"
	defer func() { engine.Version = old }()
	if got := Get().Version; got != "9.9.9" {
		t.Errorf("version %q, want engine.Version", got)
	}
	if Get().Revision == "" {
		t.Error("revision empty; want a value or \"unknown\"")
	}
}
