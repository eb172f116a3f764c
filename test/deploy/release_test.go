package deploy_test

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"errors"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// makeIn runs make in the repository with extra environment and returns its
// combined output and error.
func makeIn(t *testing.T, env []string, args ...string) (string, error) {
	t.Helper()
	if _, err := exec.LookPath("make"); err != nil {
		t.Skip("make not installed")
	}
	cmd := exec.Command("make", append([]string{"--no-print-directory", "-C", repoPath(t)}, args...)...)
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// `make build` stamps VERSION and REVISION, and `crmlens version` prints them
// (before this, the unknown role fell through to the manager).
func TestMakeBuildStampsVersion(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "crmlens")
	if out, err := makeIn(t, nil, "build", "VERSION=4.5.6-rc.1", "REVISION=0123abc", "BIN="+bin); err != nil {
		t.Fatalf("make build: %v\n%s", err, out)
	}
	out, err := exec.Command(bin, "version").CombinedOutput()
	if err != nil {
		t.Fatalf("crmlens version: %v\n%s", err, out)
	}
	if !regexp.MustCompile(`^crmlens 4\.5\.6-rc\.1 \(revision 0123abc, go1\.[0-9.]+\)\n$`).Match(out) {
		t.Errorf("crmlens version printed %q", out)
	}
	// The same version names the engine in every result document (and so
	// in the HTML report's "Engine:" line).
	res, err := exec.Command(bin, "analyze", "--sample", "50", "-o", "json").Output()
	if err != nil {
		t.Fatalf("crmlens analyze: %v", err)
	}
	var doc struct {
		Run struct {
			Engine string `json:"engine"`
		} `json:"run"`
	}
	if err := json.Unmarshal(res, &doc); err != nil {
		t.Fatal(err)
	}
	if doc.Run.Engine != "4.5.6-rc.1" {
		t.Errorf("result document run.engine %q, want 4.5.6-rc.1", doc.Run.Engine)
	}
}

// The Makefile's image default is the version, never :latest.
func TestMakeImageDefaultIsVersioned(t *testing.T) {
	out, err := makeIn(t, nil, "-n", "build-installer")
	if err != nil {
		t.Fatalf("make -n build-installer: %v\n%s", err, out)
	}
	m := regexp.MustCompile(`--image (\S+)`).FindStringSubmatch(out)
	if m == nil {
		t.Fatalf("no --image in\n%s", out)
	}
	if strings.HasSuffix(m[1], ":latest") || !regexp.MustCompile(`:[0-9]+\.[0-9]+\.[0-9]+`).MatchString(m[1]) {
		t.Errorf("default image %q: want a version tag, never :latest", m[1])
	}
}

// `make release VERSION=x.y.z` writes dist/install.yaml with that image, and
// refuses to run without a semver VERSION.
func TestMakeRelease(t *testing.T) {
	dist := t.TempDir()
	cases := []struct {
		name string
		args []string
		ok   bool
		want string
	}{
		{"no version", []string{"release"}, false, "usage: make release VERSION=x.y.z"},
		{"not semver", []string{"release", "VERSION=v1"}, false, "not semver"},
		{"release", []string{"release", "VERSION=0.3.1"}, true, "wrote " + dist + "/install.yaml (image ghcr.io/crmlens/crmlens:0.3.1)"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			out, err := makeIn(t, []string{"DIST=" + dist}, c.args...)
			if (err == nil) != c.ok || !strings.Contains(out, c.want) {
				t.Fatalf("make %v: err %v, want ok=%v and %q in\n%s", c.args, err, c.ok, c.want, out)
			}
		})
	}
	b, err := os.ReadFile(filepath.Join(dist, "install.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	images := regexp.MustCompile(`(?m)^\s*image: (\S+)$`).FindAllStringSubmatch(string(b), -1)
	if len(images) == 0 {
		t.Fatal("no image in install.yaml")
	}
	for _, m := range images {
		if m[1] != "ghcr.io/crmlens/crmlens:0.3.1" {
			t.Errorf("install.yaml image %q, want ghcr.io/crmlens/crmlens:0.3.1", m[1])
		}
	}
	if !strings.Contains(string(b), "value: ghcr.io/crmlens/crmlens:0.3.1") {
		t.Error("CRMLENS_IMAGE (the Jobs' image) is not the release image")
	}
	// The chart archive: crmlens/Chart.yaml with version and appVersion 0.3.1
	// (the image tag defaults to appVersion), crmlens/crds and templates.
	files := chartArchive(t, filepath.Join(dist, "crmlens-0.3.1.tgz"))
	chartYAML := files["crmlens/Chart.yaml"]
	if !strings.Contains(chartYAML, "\nversion: 0.3.1\n") || !strings.Contains(chartYAML, "\nappVersion: \"0.3.1\"\n") {
		t.Errorf("Chart.yaml in the archive:\n%s", chartYAML)
	}
	for _, f := range []string{"crmlens/values.yaml", "crmlens/templates/deployment.yaml", "crmlens/crds/datasources.analytics.crmlens.io.yaml"} {
		if files[f] == "" {
			t.Errorf("archive lacks %s", f)
		}
	}
}

// chartArchive reads a .tgz into path → content.
func chartArchive(t *testing.T, path string) map[string]string {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	tr := tar.NewReader(zr)
	out := map[string]string{}
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return out
		}
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(tr)
		if err != nil {
			t.Fatal(err)
		}
		out[h.Name] = string(b)
	}
}
