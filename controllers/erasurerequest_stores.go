package controllers

import (
	"context"
	"errors"
	"fmt"
	"strings"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/pseudo"
	"github.com/crmlens/crmlens/analytics/store/objectstore"
	"github.com/crmlens/crmlens/analytics/store/postgres"
	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/runner"
	"github.com/crmlens/crmlens/internal/runplan"
	"github.com/crmlens/crmlens/internal/sources"
	"github.com/crmlens/crmlens/internal/suppress"
)

// ownerOutput is what erasure and retention need of a model's or a
// schedule's output.
type ownerOutput struct {
	store     *crmv1.ResultStore
	pz        *crmv1.Pseudonymization
	retention *crmv1.Retention
	uid       string
	state     string // state ConfigMap name; "" for schedules
}

func outputOf(t target) ownerOutput {
	switch o := t.obj.(type) {
	case *crmv1.SegmentationModel:
		return ownerOutput{store: o.Spec.Output.Store, pz: o.Spec.Output.Pseudonymize, retention: o.Spec.Output.Retention, uid: string(o.UID), state: o.Name + "-state"}
	case *crmv1.ReportSchedule:
		return ownerOutput{store: o.Spec.Output.Store, pz: o.Spec.Output.Pseudonymize, retention: o.Spec.Output.Retention, uid: string(o.UID)}
	}
	return ownerOutput{}
}

// eraseTarget erases ids from every store of one target and returns what
// it removed, per store. On error the reason says which side failed.
func (r *ErasureRequestReconciler) eraseTarget(ctx context.Context, t target, ids []string) ([]crmv1.ErasedStore, crmv1.Reason, error) {
	out := outputOf(t)
	// What the stores hold: the IDs, and their pseudonyms when the owner
	// pseudonymises (earlier runs may predate it, so both go).
	stored := append([]string{}, ids...)
	var pzKey string
	if out.pz != nil {
		key, err := r.secretValue(ctx, t.obj.GetNamespace(), out.pz.SecretRef.Name, out.pz.SecretRef.Key)
		if err != nil {
			return nil, crmv1.ErasureReasonStoreConfigInvalid, fmt.Errorf("pseudonymize key: %w", err)
		}
		pzKey = key
		p, err := pseudo.New([]byte(key), 0)
		if err != nil {
			return nil, crmv1.ErasureReasonStoreConfigInvalid, fmt.Errorf("pseudonymize key: %w", err)
		}
		for _, id := range ids {
			stored = append(stored, p.ID(id))
		}
	}
	var counts []crmv1.ErasedStore
	owner := t.key()
	if out.store != nil {
		st, creds, err := r.storeAccess(ctx, t.obj.GetNamespace(), out.store)
		if err != nil {
			return nil, crmv1.ErasureReasonStoreConfigInvalid, err
		}
		switch {
		case st.Postgres != nil:
			cfg := sources.PostgresConfig(&st.Postgres.Postgres, creds, input.Options{}, "")
			res, err := postgres.Erase(ctx, cfg, st.Postgres.Table, stored)
			if err != nil {
				return nil, crmv1.ErasureReasonStoreUnreachable, err
			}
			counts = append(counts, crmv1.ErasedStore{Owner: owner, Store: crmv1.ErasedStorePostgreSQL, Location: "table " + st.Postgres.Table, Rows: res.Rows})
		case st.ObjectStore != nil:
			cfg := sinkConfig(st.ObjectStore, creds, t.obj.GetNamespace(), t.name)
			res, err := objectstore.Erase(ctx, cfg, stored)
			if err != nil {
				return nil, crmv1.ErasureReasonStoreUnreachable, err
			}
			loc := strings.Trim(strings.Join([]string{st.ObjectStore.Bucket, strings.Trim(st.ObjectStore.Prefix, "/"), t.obj.GetNamespace(), t.name}, "/"), "/")
			counts = append(counts, crmv1.ErasedStore{Owner: owner, Store: crmv1.ErasedStoreObjectStore, Location: "s3://" + strings.ReplaceAll(loc, "//", "/") + "/",
				Rows: res.Lines, Objects: res.Objects})
		}
	}
	if out.state != "" {
		n, err := r.eraseState(ctx, t.obj.GetNamespace(), out, pzKey, ids)
		if err != nil {
			return nil, crmv1.ErasureReasonStoreUnreachable, err
		}
		counts = append(counts, crmv1.ErasedStore{Owner: owner, Store: crmv1.ErasedStoreStateConfigMap, Location: "configmap " + out.state, Rows: n})
	}
	n, objs, err := r.eraseResultConfigMaps(ctx, t, stored)
	if err != nil {
		return nil, crmv1.ErasureReasonStoreUnreachable, err
	}
	counts = append(counts, crmv1.ErasedStore{Owner: owner, Store: crmv1.ErasedStoreResultConfigMap, Location: "result ConfigMaps", Rows: n, Objects: objs})
	return counts, "", nil
}

// storeAccess renders an owner's store as a run would, with its credentials.
func (r *ErasureRequestReconciler) storeAccess(ctx context.Context, ns string, s *crmv1.ResultStore) (*runplan.Store, sources.Creds, error) {
	st, uses, err := renderStore(ctx, r.Client, ns, s)
	if err != nil {
		return nil, nil, err
	}
	creds, err := resolveSecrets(ctx, r.APIReader, ns, uses)
	if err != nil {
		return nil, nil, err
	}
	return st, creds, nil
}

func sinkConfig(o *runplan.ObjectStoreSink, creds sources.Creds, ns, name string) objectstore.SinkConfig {
	sc := sources.ObjectStoreConfig(&o.ObjectStore, creds, input.Options{}, "")
	return objectstore.SinkConfig{Config: sc.Config, Prefix: o.Prefix, Namespace: ns, Name: name, RunID: "erase", Format: strings.ToLower(o.Format), KeepRuns: o.KeepRuns}
}

func (r *ErasureRequestReconciler) secretValue(ctx context.Context, ns, name, key string) (string, error) {
	var s corev1.Secret
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: ns, Name: name}, &s); err != nil {
		return "", fmt.Errorf("get Secret %q: %w", name, err)
	}
	v, ok := s.Data[key]
	if !ok {
		return "", fmt.Errorf("key %q missing in Secret %q", key, name)
	}
	return string(v), nil
}

// eraseState removes the customers' hashes from a model's state ConfigMap,
// under the current key and the UID-only key of older runs.
func (r *ErasureRequestReconciler) eraseState(ctx context.Context, ns string, out ownerOutput, pzKey string, ids []string) (int64, error) {
	var cm corev1.ConfigMap
	if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: ns, Name: out.state}, &cm); err != nil {
		if apierrors.IsNotFound(err) {
			return 0, nil
		}
		return 0, fmt.Errorf("get ConfigMap %s: %w", out.state, err)
	}
	raw, ok := cm.BinaryData[runplan.KeyAssignments]
	if !ok {
		return 0, nil
	}
	a, err := runner.DecodeAssignments(raw)
	if err != nil {
		return 0, fmt.Errorf("ConfigMap %s: %w", out.state, err)
	}
	secret := pzKey
	if out.pz == nil {
		s, err := r.secretValue(ctx, ns, suppress.SecretName, suppress.KeyStateKey)
		if err != nil && !isNotFoundErr(err) {
			return 0, err
		}
		secret = s
	}
	keys := []string{runner.StateHashKey("", out.uid)}
	if secret != "" {
		keys = append(keys, runner.StateHashKey(secret, out.uid))
	}
	var n int64
	for _, k := range keys {
		for _, id := range ids {
			h := runner.HashCustomer(k, id)
			if _, ok := a.ByHash[h]; ok {
				delete(a.ByHash, h)
				n++
			}
		}
	}
	if n == 0 {
		return 0, nil
	}
	b, err := a.Encode()
	if err != nil {
		return 0, err
	}
	cm.BinaryData[runplan.KeyAssignments] = b
	if err := r.Update(ctx, &cm); err != nil {
		return 0, fmt.Errorf("update ConfigMap %s: %w", out.state, err)
	}
	return n, nil
}

func isNotFoundErr(err error) bool {
	var se apierrors.APIStatus
	return errors.As(err, &se) && apierrors.IsNotFound(err)
}

// eraseResultConfigMaps removes the customers from the owner's result
// ConfigMaps (summaries hold aggregates, but reports may list customers):
// JSON entries naming them are removed, any other value naming them is
// deleted. It returns the entries removed and the ConfigMaps changed.
func (r *ErasureRequestReconciler) eraseResultConfigMaps(ctx context.Context, t target, stored []string) (int64, int64, error) {
	var list corev1.ConfigMapList
	if err := r.APIReader.List(ctx, &list, client.InNamespace(t.obj.GetNamespace()), client.MatchingLabels{
		runplan.LabelManagedBy: runplan.ManagedByValue, runplan.LabelOwnerKind: t.kind, runplan.LabelOwnerName: ownerLabels(t.kind, t.name)[runplan.LabelOwnerName],
		runplan.LabelRole: "result",
	}); err != nil {
		return 0, 0, fmt.Errorf("list result ConfigMaps: %w", err)
	}
	var rows, objs int64
	for i := range list.Items {
		cm := &list.Items[i]
		changed := false
		for k, v := range cm.Data {
			if !mentions(v, stored) {
				continue
			}
			if strings.HasSuffix(k, ".json") {
				out, n, err := objectstore.ScrubJSON([]byte(v), stored)
				if err == nil && n > 0 && !mentions(string(out), stored) {
					cm.Data[k] = string(out)
					rows += n
					changed = true
					continue
				}
			}
			delete(cm.Data, k)
			rows++
			changed = true
		}
		if changed {
			if err := r.Update(ctx, cm); err != nil {
				return 0, 0, fmt.Errorf("update ConfigMap %s: %w", cm.Name, err)
			}
			objs++
		}
	}
	return rows, objs, nil
}

func mentions(s string, ids []string) bool { return objectstore.Mentions(s, ids) }
