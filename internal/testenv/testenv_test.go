package testenv

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
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
