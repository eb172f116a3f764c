package controllers

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	"github.com/crmlens/crmlens/analytics/store/storeerr"
	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/sources"
)

// probe returns the Ready reason, a message a person can act on, and what
// the probe found.
func (r *DataSourceReconciler) probe(ctx context.Context, ds *crmv1.DataSource) (crmv1.Reason, string, *crmv1.ProbeStatus) {
	rs := renderSource(ds, "", "P_")
	creds, err := resolveSecrets(ctx, r.APIReader, ds.Namespace, rs.Secrets)
	if err != nil {
		var m *MissingRefError
		if errors.As(err, &m) {
			return m.Reason, m.Msg, nil
		}
		return crmv1.ReasonSecretUnreadable, err.Error(), nil
	}
	cm := func(ctx context.Context, name, key string) ([]byte, error) {
		var c corev1.ConfigMap
		if err := r.APIReader.Get(ctx, client.ObjectKey{Namespace: ds.Namespace, Name: name}, &c); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, fmt.Errorf("ConfigMap %q: %w", name, storeerr.ErrNotFound)
			}
			return nil, err
		}
		if v, ok := c.Data[key]; ok {
			return []byte(v), nil
		}
		if v, ok := c.BinaryData[key]; ok {
			return v, nil
		}
		return nil, fmt.Errorf("ConfigMap %q has no key %q: %w", name, key, storeerr.ErrNotFound)
	}
	timeout := r.ProbeTimeout
	if timeout <= 0 {
		timeout = 30 * time.Second
	}
	pctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	probe := r.Probe
	if probe == nil {
		probe = sources.Probe
	}
	res, err := probe(pctx, rs.Source, creds, cm)
	if err != nil {
		reason := crmv1.Reason(storeerr.Reason(err))
		if reason == "Error" {
			reason = crmv1.ReasonProbeFailed
		}
		if reason == "NotFound" && ds.Spec.ConfigMap != nil {
			reason = crmv1.ReasonConfigMapNotFound
		}
		return reason, err.Error() + probeHint(string(reason), rs.Secrets), nil
	}
	ps := probeStatus(ds, res)
	if ds.Spec.Postgres != nil {
		// The database probe reads no rows: it checks the relation and column types.
		return crmv1.ReasonConnected, "connected; the table or query has the mapped columns with usable types", ps
	}
	return crmv1.ReasonConnected, fmt.Sprintf("read the header and %d rows", res.Rows), ps
}

// probeStatus is what a successful probe found: rows sampled, their time
// range, and the mapped columns (a successful probe found every one of them:
// a missing mapped column fails it with SchemaMismatch).
func probeStatus(ds *crmv1.DataSource, res sources.ProbeResult) *crmv1.ProbeStatus {
	ps := &crmv1.ProbeStatus{SampledRows: res.Rows, ColumnsFound: mappedColumns(ds.Spec.Schema)}
	if ds.Spec.Postgres != nil && res.EstimatedRows >= 0 {
		n := res.EstimatedRows
		ps.EstimatedRows = &n
	}
	if !res.Oldest.IsZero() {
		o, n := metav1.NewTime(res.Oldest), metav1.NewTime(res.Newest)
		ps.OldestSampled, ps.NewestSampled = &o, &n
	}
	return ps
}

// mappedColumns lists the source columns the schema maps.
func mappedColumns(s *crmv1.SchemaMapping) []string {
	if s == nil {
		return nil
	}
	var out []string
	add := func(cols ...crmv1.ColumnName) {
		for _, c := range cols {
			if c != "" && !slices.Contains(out, string(c)) {
				out = append(out, string(c))
			}
		}
	}
	if t := s.Transactions; t != nil {
		add(t.CustomerID, t.OrderID, t.Timestamp, t.Amount, t.Channel, t.Category, t.Product, t.Quantity, t.Gift)
	}
	return out
}

// probeHint says what to check after a failed probe, naming the Secret that
// holds the credentials (never a value from it).
func probeHint(reason string, secrets []secretUse) string {
	var names []string
	for _, u := range secrets {
		if q := strconv.Quote(u.Secret); !slices.Contains(names, q) {
			names = append(names, q)
		}
	}
	in := "the referenced Secret"
	if len(names) > 0 {
		in = "Secret " + strings.Join(names, ", ")
	}
	switch reason {
	case "AuthFailed":
		return "; check the user name and password (or token) in " + in
	case "PermissionDenied":
		return "; grant the user read access, or check the credentials in " + in
	case "Unreachable", "Timeout":
		return "; check host and port, that the server is running, and that network policies let the operator reach it"
	case "TLSFailed":
		return "; check sslMode (or insecureSkipVerify) against the server's TLS setup, and name a private CA with caSecretRef"
	case "SchemaMismatch":
		return "; check spec.schema against the source's columns"
	}
	return ""
}
