// Package testenv starts a real kube-apiserver and etcd (controller-runtime's
// envtest) with the crmlens CRDs installed, for tests of anything that talks
// to the Kubernetes API.
//
// The binaries come from the repository's bin/ directory, built from Go
// modules by hack/build-envtest.sh (make envtest); KUBEBUILDER_ASSETS
// overrides the directory. When they are missing the test fails in CI
// (CI=true) and is skipped elsewhere with a message saying how to build them.
package testenv

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"testing"

	apiextensionsv1 "k8s.io/apiextensions-apiserver/pkg/apis/apiextensions/v1"
	kruntime "k8s.io/apimachinery/pkg/runtime"
	clientgoscheme "k8s.io/client-go/kubernetes/scheme"
	"k8s.io/client-go/rest"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/envtest"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// ErrMissingBinaries says kube-apiserver or etcd is not built yet.
var ErrMissingBinaries = errors.New("envtest binaries missing")

// Env is a running test API server.
type Env struct {
	// Config reaches the API server as an administrator.
	Config *rest.Config
	// Client is a client with the Kubernetes and crmlens kinds registered.
	Client client.Client
	// Environment is the underlying envtest environment, for the CRDs it
	// installed and the control plane.
	Environment *envtest.Environment
}

// RepoRoot returns the repository root, found from this source file's
// location so it works from any package directory.
func RepoRoot() (string, error) {
	_, file, _, ok := runtime.Caller(0)
	if !ok {
		return "", errors.New("cannot locate the testenv package source")
	}
	root := filepath.Join(filepath.Dir(file), "..", "..")
	if _, err := os.Stat(filepath.Join(root, "go.mod")); err != nil {
		return "", fmt.Errorf("repository root %s has no go.mod: %w", root, err)
	}
	return root, nil
}

// AssetsDir returns the directory holding kube-apiserver and etcd:
// KUBEBUILDER_ASSETS when set, else the repository's bin/.
func AssetsDir() (string, error) {
	if d := os.Getenv("KUBEBUILDER_ASSETS"); d != "" {
		return d, nil
	}
	root, err := RepoRoot()
	if err != nil {
		return "", err
	}
	return filepath.Join(root, "bin"), nil
}

// missingBinaries lists the control plane binaries absent from dir.
func missingBinaries(dir string) []string {
	var missing []string
	for _, b := range []string{"kube-apiserver", "etcd"} {
		if fi, err := os.Stat(filepath.Join(dir, b)); err != nil || fi.IsDir() || fi.Mode()&0o111 == 0 {
			missing = append(missing, b)
		}
	}
	return missing
}

// inCI reports whether a missing real part must fail instead of skip.
func inCI() bool {
	v := os.Getenv("CI")
	return v != "" && v != "false" && v != "0"
}

// Scheme returns a scheme with the Kubernetes kinds, CustomResourceDefinition
// and the crmlens kinds. The package
// builds its own instead of importing the manager's so that tests inside
// controllers can use it without an import cycle.
func Scheme() (*kruntime.Scheme, error) {
	s := kruntime.NewScheme()
	if err := clientgoscheme.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("registering Kubernetes kinds: %w", err)
	}
	if err := crmv1.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("registering crmlens kinds: %w", err)
	}
	if err := apiextensionsv1.AddToScheme(s); err != nil {
		return nil, fmt.Errorf("registering CustomResourceDefinition: %w", err)
	}
	return s, nil
}

// New starts the API server with the CRDs from config/crd/bases, for
// TestMain-style use; stop it with the returned function. It returns an error
// wrapping ErrMissingBinaries when the binaries are not built.
func New() (*Env, func() error, error) {
	root, err := RepoRoot()
	if err != nil {
		return nil, nil, err
	}
	return newWithCRDs(filepath.Join(root, "config", "crd", "bases"))
}

// newWithCRDs starts the control plane with the CRDs found in crdDirs.
func newWithCRDs(crdDirs ...string) (*Env, func() error, error) {
	env, err := environment(crdDirs...)
	if err != nil {
		return nil, nil, err
	}
	return start(env)
}

// environment describes the control plane, after checking the binaries.
func environment(crdDirs ...string) (*envtest.Environment, error) {
	dir, err := AssetsDir()
	if err != nil {
		return nil, err
	}
	if missing := missingBinaries(dir); len(missing) > 0 {
		return nil, fmt.Errorf("%w: %v not in %s; build them with `make envtest` (hack/build-envtest.sh)", ErrMissingBinaries, missing, dir)
	}
	scheme, err := Scheme()
	if err != nil {
		return nil, err
	}
	return &envtest.Environment{
		BinaryAssetsDirectory: dir,
		CRDDirectoryPaths:     crdDirs,
		ErrorIfCRDPathMissing: true,
		Scheme:                scheme,
	}, nil
}

// start starts env and connects a client to it.
func start(env *envtest.Environment) (*Env, func() error, error) {
	cfg, err := env.Start()
	if err != nil {
		// Start leaves the control plane running when installing the CRDs
		// fails (an invalid CRD); stop it so no orphan survives the test.
		if stopErr := env.Stop(); stopErr != nil {
			err = errors.Join(err, fmt.Errorf("stopping the control plane: %w", stopErr))
		}
		return nil, nil, fmt.Errorf("starting kube-apiserver and etcd from %s: %w", env.BinaryAssetsDirectory, err)
	}
	c, err := client.New(cfg, client.Options{Scheme: env.Scheme})
	if err != nil {
		_ = env.Stop()
		return nil, nil, fmt.Errorf("creating a client: %w", err)
	}
	return &Env{Config: cfg, Client: c, Environment: env}, env.Stop, nil
}

// Start starts the API server for one test and stops it when the test ends.
// Outside CI it skips the test when the binaries are missing; in CI
// (CI=true) it fails, because a missing real part must never pass silently.
func Start(t testing.TB) *Env {
	t.Helper()
	env, stop, err := New()
	if errors.Is(err, ErrMissingBinaries) && !inCI() {
		t.Skipf("testenv: %v", err)
	}
	if err != nil {
		t.Fatalf("testenv: %v", err)
	}
	t.Cleanup(func() {
		if err := stop(); err != nil {
			t.Errorf("testenv: stopping the control plane: %v", err)
		}
	})
	return env
}

// SkipOrFail is for TestMain: it reports whether err (from New) means the
// suite should be skipped, which is only when binaries are missing outside
// CI. In every other case of a non-nil err the caller must fail.
func SkipOrFail(err error) (skip bool) {
	return errors.Is(err, ErrMissingBinaries) && !inCI()
}
