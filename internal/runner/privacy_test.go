package runner

import (
	"context"
	"encoding/json"
	"fmt"
	"testing"

	"github.com/go-logr/logr/testr"
	corev1 "k8s.io/api/core/v1"
	"k8s.io/client-go/kubernetes/scheme"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/controller-runtime/pkg/client/fake"

	"github.com/crmlens/crmlens/analytics/result"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/suppress"
)

// TestRunKeyedStateAndSuppression: the state hashes are keyed by the
// secret with the UID (the UID alone no longer finds anyone), and customers
// on the suppression list are left out of the next run — two fewer
// customers, no hash of theirs — while the source still has them.
func TestRunKeyedStateAndSuppression(t *testing.T) {
	c := fake.NewClientBuilder().WithScheme(scheme.Scheme).Build()
	const stateSecret, supKey = "state-secret-0123456789abcdef", "suppression-key-0123456789abcdef"
	env := map[string]string{"STATE": stateSecret, "SUPKEY": supKey}
	r := &Runner{Client: c, Log: testr.New(t), Creds: func(k string) string { return env[k] }}
	ctx := context.Background()
	p := plan(7, 24)
	p.StateKeyEnv = "STATE"
	p.Suppression = &runplan.Suppression{KeyEnv: "SUPKEY", ListEnv: "LIST"}
	if err := r.Run(ctx, p); err != nil {
		t.Fatal(err)
	}
	state := func() *Assignments {
		var cm corev1.ConfigMap
		if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "rfm-state"}, &cm); err != nil {
			t.Fatal(err)
		}
		a, err := DecodeAssignments(cm.BinaryData[runplan.KeyAssignments])
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	customers := func() int64 {
		var cm corev1.ConfigMap
		if err := c.Get(ctx, client.ObjectKey{Namespace: "shop", Name: "rfm-result"}, &cm); err != nil {
			t.Fatal(err)
		}
		var doc result.Document
		if err := json.Unmarshal([]byte(cm.Data[runplan.KeyResult]), &doc); err != nil {
			t.Fatal(err)
		}
		return doc.Input.Customers
	}
	a := state()
	keyed, legacy := StateHashKey(stateSecret, "u-1"), StateHashKey("", "u-1")
	var present []string
	for i := 1; i <= 300 && len(present) < 2; i++ {
		id := fmt.Sprintf("C%07d", i)
		if _, ok := a.ByHash[HashCustomer(keyed, id)]; ok {
			present = append(present, id)
		}
		if _, ok := a.ByHash[HashCustomer(legacy, id)]; ok {
			t.Fatalf("%s found under the UID-only key", id)
		}
	}
	if len(present) != 2 {
		t.Fatalf("no customers found under the keyed hash: %d hashes", a.Len())
	}
	n0 := customers()
	if int64(a.Len()) != n0 {
		t.Fatalf("state holds %d customers, result %d", a.Len(), n0)
	}

	l, err := suppress.Parse([]byte(supKey), "")
	if err != nil {
		t.Fatal(err)
	}
	l.Add(present)
	env["LIST"] = l.String()
	p.Run = "rfm-g2"
	if err := r.Run(ctx, p); err != nil {
		t.Fatal(err)
	}
	if n := customers(); n != n0-2 {
		t.Errorf("after suppression %d customers, want %d", n, n0-2)
	}
	a = state()
	for _, id := range present {
		if _, ok := a.ByHash[HashCustomer(keyed, id)]; ok {
			t.Errorf("suppressed %s still in the state", id)
		}
	}
	// A list without its key is refused rather than ignored.
	delete(env, "SUPKEY")
	p.Run = "rfm-g3"
	if err := r.Run(ctx, p); err == nil || Reason(err) != "Suppression" {
		t.Errorf("run with a list but no key: %v", err)
	}
}
