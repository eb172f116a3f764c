package deploy_test

import (
	"bytes"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// fakeBinaries makes a directory with executable kube-apiserver and etcd stubs
// (only those named in names).
func fakeBinaries(t *testing.T, names ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte("#!/bin/sh\n"), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// hack/envtest-assets.sh picks KUBEBUILDER_ASSETS, then setup-envtest, then
// the source build, and says which; the last is what this machine (no
// released binaries) exercises in make demo.
func TestEnvtestAssetsSelection(t *testing.T) {
	script := repoPath(t, "hack", "envtest-assets.sh")
	user := fakeBinaries(t, "kube-apiserver", "etcd")
	partial := fakeBinaries(t, "kube-apiserver")
	released := fakeBinaries(t, "kube-apiserver", "etcd")

	// A setup-envtest stub on PATH that prints the released directory, and
	// one that fails as it would offline.
	toolOK, toolOffline := t.TempDir(), t.TempDir()
	if err := os.WriteFile(filepath.Join(toolOK, "setup-envtest"), []byte("#!/bin/sh\necho "+released+"\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(toolOffline, "setup-envtest"), []byte("#!/bin/sh\necho 'no network' >&2\nexit 1\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// The source build stub records that it ran and creates the binaries.
	build := filepath.Join(t.TempDir(), "build.sh")
	if err := os.WriteFile(build, []byte("#!/bin/sh\ntouch \"$ENVTEST_BIN/built\"; printf '#!/bin/sh\\n' > \"$ENVTEST_BIN/kube-apiserver\"; cp \"$ENVTEST_BIN/kube-apiserver\" \"$ENVTEST_BIN/etcd\"; chmod +x \"$ENVTEST_BIN\"/*\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	basePath := "/usr/bin:/bin"
	if goBin, err := exec.LookPath("go"); err == nil {
		basePath = filepath.Dir(goBin) + ":" + basePath
	}

	cases := []struct {
		name        string
		assets      string
		path        string
		want        string // chosen directory; "BIN" is the fallback's
		built       bool
		stderrWants string
	}{
		{"the user's KUBEBUILDER_ASSETS", user, toolOK, user, false, "using KUBEBUILDER_ASSETS"},
		{"incomplete KUBEBUILDER_ASSETS: released binaries next", partial, toolOK, released, false, "released binaries from setup-envtest"},
		{"no KUBEBUILDER_ASSETS: released binaries", "", toolOK, released, false, "setup-envtest"},
		{"setup-envtest offline: source build", "", toolOffline, "BIN", true, "about 7 minutes"},
		{"nothing at all: source build", "", "", "BIN", true, "building kube-apiserver and etcd from source"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			bin := t.TempDir()
			path := basePath
			if c.path != "" {
				path = c.path + ":" + basePath
			}
			cmd := exec.Command("bash", script)
			cmd.Env = append(os.Environ(), "KUBEBUILDER_ASSETS="+c.assets, "PATH="+path, "ENVTEST_BIN="+bin,
				"BUILD_ENVTEST="+build, "ENVTEST_K8S_VERSION=1.35.0")
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v\n%s", err, stderr.String())
			}
			want := c.want
			if want == "BIN" {
				want = bin
			}
			if got := strings.TrimSpace(stdout.String()); got != want {
				t.Errorf("chose %q, want %q; stderr:\n%s", got, want, stderr.String())
			}
			if _, err := os.Stat(filepath.Join(bin, "built")); (err == nil) != c.built {
				t.Errorf("source build ran: %v, want %v", err == nil, c.built)
			}
			if !strings.Contains(stderr.String(), c.stderrWants) {
				t.Errorf("stderr lacks %q:\n%s", c.stderrWants, stderr.String())
			}
		})
	}
}
