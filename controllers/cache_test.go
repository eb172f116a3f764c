package controllers

import (
	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"

	"context"
	"errors"
	"testing"
	"time"

	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"k8s.io/apimachinery/pkg/runtime/schema"
	"sigs.k8s.io/controller-runtime/pkg/client"
)

// countingReader answers ServiceAccount GETs from a set of names and counts them.
type countingReader struct {
	client.Reader
	exists map[string]bool
	gets   int
}

func (c *countingReader) Get(_ context.Context, key client.ObjectKey, _ client.Object, _ ...client.GetOption) error {
	c.gets++
	if !c.exists[key.Name] {
		return apierrors.NewNotFound(schema.GroupResource{Resource: "serviceaccounts"}, key.Name)
	}
	return nil
}

// A ServiceAccount found is trusted for serviceAccountTTL; one missing is
// looked up again every time, so it is noticed as soon as it is created.
func TestServiceAccountCheckRemembersOnlyWhatExists(t *testing.T) {
	t0 := time.Date(2026, 12, 2, 10, 0, 0, 0, time.UTC)
	steps := []struct {
		name     string
		sa       string
		at       time.Duration
		wantErr  bool
		wantGets int
	}{
		{"first check asks the API", "runner", 0, false, 1},
		{"within the TTL: remembered", "runner", 30 * time.Second, false, 1},
		{"after the TTL: asked again", "runner", serviceAccountTTL + time.Second, false, 2},
		{"missing: asked", "ghost", 0, true, 3},
		{"missing again: asked again", "ghost", time.Second, true, 4},
		{"no name: the namespace default, never asked", "", 0, false, 4},
	}
	r := &countingReader{exists: map[string]bool{"runner": true}}
	var s seenAccounts
	for _, st := range steps {
		err := s.check(context.Background(), r, "ns", st.sa, t0.Add(st.at))
		var missing *MissingRefError
		if st.wantErr != errors.As(err, &missing) || (st.wantErr && missing.Reason != crmv1.ReasonServiceAccountNotFound) {
			t.Errorf("%s: error %v, want missing=%v", st.name, err, st.wantErr)
		}
		if r.gets != st.wantGets {
			t.Errorf("%s: %d GETs so far, want %d", st.name, r.gets, st.wantGets)
		}
	}
}
