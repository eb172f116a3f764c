package v1alpha1_test

import (
	"context"
	"testing"
	"time"

	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/yaml"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
)

// TestStoreTLSAndRetentionDefaults creates a postgres DataSource with a CA
// reference and a statement timeout, and a model with an object-store sink,
// and reads back what the API server stored: the CA key defaults to ca.crt,
// the timeout is kept as given, and the sink keeps 3 runs unless told.
func TestStoreTLSAndRetentionDefaults(t *testing.T) {
	e, ns := apiServer(t)
	ctx := context.Background()
	ds := newObject(t, "DataSource", basePostgresSource, `postgres: {caSecretRef: {name: wh-ca}, statementTimeout: 15m}`)
	ds.SetNamespace(ns)
	if err := e.Client.Create(ctx, ds, strict); err != nil {
		t.Fatal(err)
	}
	var gotDS crmv1.DataSource
	decodeInto(t, ds, &gotDS)
	pg := gotDS.Spec.Postgres
	if pg.CASecretRef == nil || *pg.CASecretRef != (crmv1.CASecretRef{Name: "wh-ca", Key: "ca.crt"}) {
		t.Errorf("caSecretRef = %+v, want {wh-ca ca.crt}", pg.CASecretRef)
	}
	if pg.StatementTimeout == nil || pg.StatementTimeout.Duration != 15*time.Minute {
		t.Errorf("statementTimeout = %v, want 15m", pg.StatementTimeout)
	}
	noTimeout := newObject(t, "DataSource", basePostgresSource, "")
	noTimeout.SetNamespace(ns)
	noTimeout.SetName("no-timeout")
	if err := e.Client.Create(ctx, noTimeout, strict); err != nil {
		t.Fatal(err)
	}
	var gotNT crmv1.DataSource
	decodeInto(t, noTimeout, &gotNT)
	if gotNT.Spec.Postgres.StatementTimeout != nil || gotNT.Spec.Postgres.CASecretRef != nil {
		t.Errorf("unset statementTimeout/caSecretRef defaulted to %v/%v; want both absent (server setting, system CAs)",
			gotNT.Spec.Postgres.StatementTimeout, gotNT.Spec.Postgres.CASecretRef)
	}

	for _, tc := range []struct {
		name, patch string
		want        int32
	}{
		{"sink-default", `output: {store: {objectStore: {bucket: crm-out}}}`, 3},
		{"sink-two", `output: {store: {objectStore: {bucket: crm-out, keepRuns: 2}}}`, 2},
	} {
		m := newObject(t, "SegmentationModel", baseModel, tc.patch)
		m.SetNamespace(ns)
		m.SetName(tc.name)
		if err := e.Client.Create(ctx, m, strict); err != nil {
			t.Fatal(err)
		}
		var got crmv1.SegmentationModel
		decodeInto(t, m, &got)
		if k := got.Spec.Output.Store.ObjectStore.KeepRuns; k != tc.want {
			t.Errorf("%s: keepRuns = %d, want %d", tc.name, k, tc.want)
		}
	}
}

func decodeInto(t *testing.T, u *unstructured.Unstructured, out any) {
	t.Helper()
	b, err := yaml.Marshal(u.Object)
	if err != nil {
		t.Fatal(err)
	}
	if err := yaml.Unmarshal(b, out); err != nil {
		t.Fatal(err)
	}
}
