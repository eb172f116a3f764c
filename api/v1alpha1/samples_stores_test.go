package v1alpha1_test

import (
	"context"
	"encoding/json"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"testing"

	corev1 "k8s.io/api/core/v1"
	"k8s.io/apimachinery/pkg/apis/meta/v1/unstructured"
	"sigs.k8s.io/controller-runtime/pkg/client"
	"sigs.k8s.io/kustomize/api/krusty"
	"sigs.k8s.io/kustomize/kyaml/filesys"
	"sigs.k8s.io/yaml"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/testenv"
)

// storeSamples renders config/samples/stores with kustomize (as `kubectl
// apply -k` would) and returns its objects, after checking that the
// kustomization lists every manifest in the folder, so none escapes this test.
func storeSamples(t *testing.T) []*unstructured.Unstructured {
	t.Helper()
	root, err := testenv.RepoRoot()
	if err != nil {
		t.Fatal(err)
	}
	dir := filepath.Join(root, "config", "samples", "stores")
	files, err := filepath.Glob(filepath.Join(dir, "*.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var onDisk []string
	for _, f := range files {
		if b := filepath.Base(f); b != "kustomization.yaml" {
			onDisk = append(onDisk, b)
		}
	}
	raw, err := os.ReadFile(filepath.Join(dir, "kustomization.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var k struct {
		Resources []string `json:"resources"`
	}
	if err := yaml.Unmarshal(raw, &k); err != nil {
		t.Fatalf("kustomization.yaml: %v", err)
	}
	listed := slices.Clone(k.Resources)
	sort.Strings(listed)
	if !slices.Equal(listed, onDisk) {
		t.Fatalf("config/samples/stores/kustomization.yaml lists %v, but the folder holds %v", listed, onDisk)
	}

	m, err := krusty.MakeKustomizer(krusty.MakeDefaultOptions()).Run(filesys.MakeFsOnDisk(), dir)
	if err != nil {
		t.Fatalf("rendering %s: %v", dir, err)
	}
	var objs []*unstructured.Unstructured
	for _, r := range m.Resources() {
		obj, err := r.Map()
		if err != nil {
			t.Fatal(err)
		}
		objs = append(objs, &unstructured.Unstructured{Object: obj})
	}
	if len(objs) != len(onDisk) {
		t.Fatalf("rendered %d objects from %d manifests; want one object per file", len(objs), len(onDisk))
	}
	return objs
}

// secretKey is one Secret key a sample references; credential marks keys whose
// value is a credential (everything but a user name), which a sample must
// fill with an obviously fake value.
type secretKey struct {
	secret, key string
	credential  bool
}

// acceptStoreSamples creates every store sample (Secrets included) on the
// API server, then checks on the stored objects, defaults applied, that the
// samples cover every external backend and sink and that every Secret key
// they reference exists in a sample Secret with an obviously fake value.
func acceptStoreSamples(t *testing.T, e *testenv.Env, ns string) {
	ctx := context.Background()
	secrets := map[string]*corev1.Secret{}
	var stored []any
	for _, u := range storeSamples(t) {
		u.SetNamespace(ns)
		name := u.GetKind() + "/" + u.GetName()
		if err := e.Client.Create(ctx, u, strict); err != nil {
			t.Fatalf("%s refused: %v", name, err)
		}
		data, err := json.Marshal(u.Object) // as stored: defaults applied
		if err != nil {
			t.Fatal(err)
		}
		typed, err := decodeStrict(u.GetKind(), data)
		if err != nil {
			t.Fatalf("%s: %v", name, err)
		}
		if s, ok := typed.(*corev1.Secret); ok {
			// Reading back gives data, not stringData: check what a Job would see.
			got := &corev1.Secret{}
			if err := e.Client.Get(ctx, client.ObjectKey{Namespace: ns, Name: s.Name}, got); err != nil {
				t.Fatal(err)
			}
			secrets[s.Name] = got
			continue
		}
		stored = append(stored, typed)
	}

	backends := map[string]bool{}
	sinks := map[string]bool{}
	sources := map[string]bool{}
	var refs []secretKey
	var sourceRefs []string
	for _, obj := range stored {
		switch o := obj.(type) {
		case *crmv1.DataSource:
			sources[o.Name] = true
			refs = append(refs, dataSourceSecrets(t, o, backends)...)
		case *crmv1.SegmentationModel:
			for _, s := range o.Spec.Sources {
				sourceRefs = append(sourceRefs, s.Name)
			}
			st := o.Spec.Output.Store
			switch {
			case st == nil:
				t.Errorf("SegmentationModel %s writes to no external store", o.Name)
			case st.Postgres != nil:
				sinks["postgres"] = true
				if c := st.Postgres.Connection; c != nil {
					refs = append(refs, postgresSecrets(*c)...)
				}
			case st.ObjectStore != nil:
				sinks["objectStore"] = true
				refs = append(refs, s3Secrets(st.ObjectStore.ObjectStoreConnection)...)
			}
		}
	}
	for _, want := range []string{"postgres/table", "postgres/query", "objectStore/parquet", "objectStore/csv+gzip", "http"} {
		if !backends[want] {
			t.Errorf("no store sample DataSource for backend %s (have %v)", want, backends)
		}
	}
	for _, want := range []string{"postgres", "objectStore"} {
		if !sinks[want] {
			t.Errorf("no store sample SegmentationModel writing to a %s sink", want)
		}
	}
	for _, s := range sourceRefs {
		if !sources[s] {
			t.Errorf("a store sample model reads DataSource %q, which no store sample defines", s)
		}
	}
	used := map[string]bool{}
	for _, r := range refs {
		used[r.secret] = true
		s, ok := secrets[r.secret]
		if !ok {
			t.Errorf("Secret %q is referenced but not among the store samples", r.secret)
			continue
		}
		v, ok := s.Data[r.key]
		if !ok {
			t.Errorf("Secret %q lacks the referenced key %q (has %v)", r.secret, r.key, slices.Sorted(maps.Keys(s.Data)))
			continue
		}
		if r.credential && !strings.Contains(strings.ToLower(string(v)), "example") {
			t.Errorf("Secret %q key %q does not look like an example value: samples must never carry real credentials", r.secret, r.key)
		}
	}
	for name := range secrets {
		if !used[name] {
			t.Errorf("sample Secret %q is referenced by no store sample", name)
		}
	}
}

// dataSourceSecrets records the backend of a DataSource and returns the
// Secret keys it references.
func dataSourceSecrets(t *testing.T, ds *crmv1.DataSource, backends map[string]bool) []secretKey {
	t.Helper()
	sp := ds.Spec
	switch {
	case sp.Postgres != nil:
		kind := "postgres/table"
		if sp.Postgres.Query != "" {
			kind = "postgres/query"
		}
		backends[kind] = true
		return postgresSecrets(sp.Postgres.PostgresConnection)
	case sp.ObjectStore != nil:
		kind := "objectStore/" + string(sp.ObjectStore.Format)
		if sp.ObjectStore.Compression == crmv1.CompressionGzip {
			kind += "+gzip"
		}
		backends[kind] = true
		return s3Secrets(sp.ObjectStore.ObjectStoreConnection)
	case sp.HTTP != nil:
		backends["http"] = true
		if r := sp.HTTP.HeadersSecretRef; r != nil {
			// The reconciler hands the key "headers" ("Name: value" lines) to the Job.
			return []secretKey{{r.Name, "headers", true}}
		}
		return nil
	}
	t.Errorf("DataSource %s: not an external backend", ds.Name)
	return nil
}

// postgresSecrets: with uriKey the URI carries user and password; without,
// the user and password keys (defaulted by the API server) must exist.
func postgresSecrets(c crmv1.PostgresConnection) []secretKey {
	r := c.SecretRef
	if r.URIKey != "" {
		return []secretKey{{r.Name, r.URIKey, true}}
	}
	return []secretKey{{r.Name, r.UserKey, false}, {r.Name, r.PasswordKey, true}}
}

func s3Secrets(c crmv1.ObjectStoreConnection) []secretKey {
	r := c.CredentialsSecretRef
	if r == nil {
		return nil
	}
	keys := []secretKey{{r.Name, r.AccessKeyIDKey, true}, {r.Name, r.SecretAccessKeyKey, true}}
	if r.SessionTokenKey != "" {
		keys = append(keys, secretKey{r.Name, r.SessionTokenKey, true})
	}
	return keys
}
