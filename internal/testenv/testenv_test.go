package testenv

import (
	"errors"
	"net"
	"os"
	"path/filepath"
	"testing"
	"time"
)

func TestMissingBinaries(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("KUBEBUILDER_ASSETS", dir)
	if err := os.WriteFile(filepath.Join(dir, "etcd"), []byte("#!/bin/sh\n"), 0o755); err != nil {
		t.Fatal(err)
	}
	// kube-apiserver present but not executable counts as missing too.
	if err := os.WriteFile(filepath.Join(dir, "kube-apiserver"), nil, 0o644); err != nil {
		t.Fatal(err)
	}
	_, _, err := New()
	if !errors.Is(err, ErrMissingBinaries) {
		t.Fatalf("New() = %v, want ErrMissingBinaries", err)
	}

	cases := []struct {
		ci   string
		skip bool
	}{
		{"", true}, {"false", true}, {"0", true}, {"true", false}, {"1", false},
	}
	for _, c := range cases {
		t.Setenv("CI", c.ci)
		if got := SkipOrFail(err); got != c.skip {
			t.Errorf("CI=%q: SkipOrFail = %v, want %v", c.ci, got, c.skip)
		}
	}
	t.Setenv("CI", "")
	if SkipOrFail(errors.New("apiserver crashed")) {
		t.Error("a start failure other than missing binaries must never skip")
	}

	t.Run("Start skips outside CI", func(t *testing.T) {
		t.Setenv("CI", "")
		defer func() {
			if !t.Skipped() {
				t.Error("Start did not skip with missing binaries outside CI")
			}
		}()
		Start(t)
	})
}

func TestRepoRootAndAssets(t *testing.T) {
	root, err := RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "config", "crd", "bases")); err != nil {
		t.Errorf("repository root %s has no config/crd/bases: %v", root, err)
	}
	t.Setenv("KUBEBUILDER_ASSETS", "")
	dir, err := AssetsDir()
	if err != nil {
		t.Fatal(err)
	}
	if want := filepath.Join(root, "bin"); dir != want {
		t.Errorf("AssetsDir() = %s, want %s", dir, want)
	}
}

// TestInvalidCRDLeavesNoControlPlane makes CRD installation fail and checks
// that the API server started for it is stopped again.
func TestInvalidCRDLeavesNoControlPlane(t *testing.T) {
	dir := t.TempDir()
	// A structural-schema violation: the API server refuses this CRD.
	bad := `apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: widgets.example.com
spec:
  group: example.com
  names: {kind: Widget, plural: widgets}
  scope: Namespaced
  versions:
    - name: v1
      served: true
      storage: true
      schema:
        openAPIV3Schema:
          type: object
          properties:
            spec: {type: object, x-kubernetes-validations: [{rule: "self.nope ==", message: broken}]}
`
	if err := os.WriteFile(filepath.Join(dir, "bad.yaml"), []byte(bad), 0o644); err != nil {
		t.Fatal(err)
	}
	env, err := environment(dir)
	if errors.Is(err, ErrMissingBinaries) && SkipOrFail(err) {
		t.Skip(err)
	}
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := start(env); err == nil {
		t.Fatal("a CRD with a broken CEL rule was installed")
	}
	addr := env.ControlPlane.APIServer.ListenAddr
	if addr.Address == "" {
		t.Fatal("the API server was never started, so the test proves nothing")
	}
	conn, err := net.DialTimeout("tcp", net.JoinHostPort(addr.Address, addr.Port), time.Second)
	if err == nil {
		conn.Close()
		t.Errorf("the API server on %s:%s still runs after the failed start", addr.Address, addr.Port)
	}
}
