package v1alpha1_test

import (
	"context"
	"fmt"
	"os"
	"testing"

	corev1 "k8s.io/api/core/v1"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"

	"github.com/crmlens/crmlens/internal/testenv"
)

// The API server is shared by the tests of this package: starting one takes
// seconds, and every test works in a namespace of its own.
var (
	env        *testenv.Env
	skipReason string
)

func TestMain(m *testing.M) {
	e, stop, err := testenv.New()
	switch {
	case err != nil && testenv.SkipOrFail(err):
		skipReason = err.Error()
	case err != nil:
		fmt.Fprintf(os.Stderr, "FAIL: %v\n", err)
		os.Exit(1)
	default:
		env = e
	}
	code := m.Run()
	if stop != nil {
		if err := stop(); err != nil {
			fmt.Fprintf(os.Stderr, "stopping the control plane: %v\n", err)
		}
	}
	os.Exit(code)
}

// apiServer returns the shared API server and a fresh namespace, or skips the
// test when the binaries are missing outside CI.
func apiServer(t *testing.T) (*testenv.Env, string) {
	t.Helper()
	if env == nil {
		t.Skip(skipReason)
	}
	ns := &corev1.Namespace{ObjectMeta: metav1.ObjectMeta{GenerateName: "t-"}}
	if err := env.Client.Create(context.Background(), ns); err != nil {
		t.Fatalf("creating a namespace: %v", err)
	}
	return env, ns.Name
}
