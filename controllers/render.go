package controllers

import (
	"context"
	"fmt"
	"time"

	corev1 "k8s.io/api/core/v1"
	apierrors "k8s.io/apimachinery/pkg/api/errors"
	metav1 "k8s.io/apimachinery/pkg/apis/meta/v1"
	"sigs.k8s.io/controller-runtime/pkg/client"

	crmv1 "github.com/crmlens/crmlens/api/v1alpha1"
	"github.com/crmlens/crmlens/internal/runplan"
)

// secretUse is one credential the plan needs: the variable the Job gets and
// the Secret key it comes from.
type secretUse struct {
	Env, Secret, Key string
	Optional         bool
}

// renderedSource is a DataSource turned into a plan source plus the
// credentials it needs.
type renderedSource struct {
	Source  runplan.Source
	Secrets []secretUse
}

// MissingRefError is a referenced object that does not exist; reconcilers
// turn it into a condition instead of an error loop.
type MissingRefError struct {
	Reason crmv1.Reason
	Msg    string
}

func (e *MissingRefError) Error() string { return e.Msg }

// setByMissingRef says whether a True Degraded condition was set by a
// reference that did not resolve, rather than by a failed run whose
// runner reason happens to read the same (a run's source ConfigMap gone is
// SourceNotFound too): only the former clears when references resolve.
func setByMissingRef(c *metav1.Condition, retry *crmv1.RetryStatus) bool {
	if !missingRefReasons[crmv1.Reason(c.Reason)] {
		return false
	}
	return retry == nil || retry.LastFailureReason != c.Reason
}

// missingRefReasons are the reasons of MissingRefError: a Ready or Degraded
// condition with one of them clears once the references resolve.
var missingRefReasons = map[crmv1.Reason]bool{
	crmv1.ReasonSourceNotFound: true, crmv1.ReasonModelNotFound: true, crmv1.ReasonInvalidStore: true, crmv1.ReasonInvalidCampaignSource: true,
	crmv1.ReasonSecretNotFound: true, crmv1.ReasonSecretKeyMissing: true, crmv1.ReasonServiceAccountNotFound: true,
	crmv1.ReasonInvalidSpec: true, crmv1.ReasonCurrencyMismatch: true,
}

// caKey is the Secret key of a CA bundle: ca.crt unless named (the CRD
// defaults it; objects built in code may leave it empty).
func caKey(ca *crmv1.CASecretRef) string { return orDefault(ca.Key, "ca.crt") }

func orDefault(v, d string) string {
	if v == "" {
		return d
	}
	return v
}

// anchorSamples ends every sample source's history at the day the plan
// runs, so the built-in shop always looks current.
func anchorSamples(srcs []runplan.Source, at time.Time) {
	day := at.UTC().Truncate(24 * time.Hour)
	for i := range srcs {
		if srcs[i].Sample != nil {
			srcs[i].Sample.End = &day
		}
	}
}

// renderSource maps a DataSource spec to a plan source. prefix makes the
// credential variable names unique within one Job (e.g. "CRMLENS_S0_").
func renderSource(ds *crmv1.DataSource, channel, prefix string) renderedSource {
	sp := ds.Spec
	s := runplan.Source{Name: ds.Name, Channel: channel, Content: string(sp.Content)}
	var secrets []secretUse
	use := func(suffix, secret, key string) string {
		env := prefix + suffix
		secrets = append(secrets, secretUse{Env: env, Secret: secret, Key: key})
		return env
	}
	switch {
	case sp.Sample != nil:
		s.Sample = &runplan.Sample{Customers: int(sp.Sample.Customers), Seed: sp.Sample.Seed, Months: int(sp.Sample.Months)}
	case sp.ConfigMap != nil:
		s.ConfigMap = &runplan.ConfigMap{Name: sp.ConfigMap.Name, Key: sp.ConfigMap.Key}
	case sp.HTTP != nil:
		h := &runplan.HTTP{URL: sp.HTTP.URL, MaxBytes: sp.HTTP.MaxBytes, InsecureSkipVerify: sp.HTTP.InsecureSkipVerify}
		if sp.HTTP.Timeout != nil {
			h.TimeoutSeconds = int(sp.HTTP.Timeout.Duration / time.Second)
		}
		if sp.HTTP.HeadersSecretRef != nil {
			h.HeadersEnv = use("HEADERS", sp.HTTP.HeadersSecretRef.Name, "headers")
		}
		if ca := sp.HTTP.CASecretRef; ca != nil {
			h.CACertEnv = use("HTTP_CA", ca.Name, caKey(ca))
		}
		s.HTTP = h
		s.Gzip = sp.HTTP.Compression == crmv1.CompressionGzip
	case sp.Postgres != nil:
		p := sp.Postgres
		pg := &runplan.Postgres{Host: p.Host, Port: int(p.Port), Database: p.Database, SSLMode: p.SSLMode, Table: p.Table, Query: p.Query}
		if p.StatementTimeout != nil {
			pg.StatementTimeoutMillis = p.StatementTimeout.Milliseconds()
		}
		ref := p.SecretRef
		if ref.URIKey != "" {
			pg.URIEnv = use("PG_URI", ref.Name, ref.URIKey)
		}
		// passwordKey is defaulted by the schema, so it cannot tell whether the
		// Secret holds a URI only: the URI, when named, carries the credentials.
		if ref.URIKey == "" {
			pg.UserEnv = use("PG_USER", ref.Name, orDefault(ref.UserKey, "username"))
			pg.PasswordEnv = use("PG_PASSWORD", ref.Name, orDefault(ref.PasswordKey, "password"))
		}
		if ca := p.CASecretRef; ca != nil {
			pg.CACertEnv = use("PG_CA", ca.Name, caKey(ca))
		}
		s.Postgres = pg
	case sp.ObjectStore != nil:
		o := sp.ObjectStore
		os := &runplan.ObjectStore{Endpoint: o.Endpoint, Region: o.Region, Bucket: o.Bucket, Key: o.Key, Prefix: o.Prefix,
			PathStyle: o.PathStyle, InsecureSkipVerify: o.InsecureSkipVerify}
		if c := o.CredentialsSecretRef; c != nil {
			os.AccessKeyEnv = use("S3_ACCESS_KEY", c.Name, orDefault(c.AccessKeyIDKey, "accessKeyID"))
			os.SecretKeyEnv = use("S3_SECRET_KEY", c.Name, orDefault(c.SecretAccessKeyKey, "secretAccessKey"))
			if c.SessionTokenKey != "" {
				os.SessionTokenEnv = use("S3_SESSION_TOKEN", c.Name, c.SessionTokenKey)
			}
		}
		if ca := o.CASecretRef; ca != nil {
			os.CACertEnv = use("S3_CA", ca.Name, caKey(ca))
		}
		s.ObjectStore = os
		s.Format = string(o.Format)
		s.Gzip = o.Compression == crmv1.CompressionGzip
	}
	if c := sp.CSV; c != nil {
		s.Delimiter = c.Delimiter
		s.NoHeader = c.Header != nil && !*c.Header
		s.ThousandsSeparator = c.ThousandsSeparator
	}
	if t := sp.Timestamp; t != nil {
		s.TimeLayout = t.Layout
		s.TimeZone = t.TimeZone
	}
	if sc := sp.Schema; sc != nil && sc.Transactions != nil {
		t := sc.Transactions
		cols := map[string]string{}
		for k, v := range map[string]crmv1.ColumnName{"customer": t.CustomerID, "order": t.OrderID, "time": t.Timestamp, "amount": t.Amount,
			"channel": t.Channel, "category": t.Category, "product": t.Product, "quantity": t.Quantity, "gift": t.Gift, "price": t.UnitPrice} {
			if v != "" {
				cols[k] = string(v)
			}
		}
		s.Columns = cols
	}
	if sc := sp.Schema; sc != nil && sc.Campaigns != nil {
		c := sc.Campaigns
		s.Columns = map[string]string{"customer": string(c.CustomerID), "time": string(c.ContactedAt), "campaign": string(c.Campaign)}
		if c.Cost != "" {
			s.Columns["cost"] = string(c.Cost)
		}
	}
	return renderedSource{Source: s, Secrets: secrets}
}

// resolveSecrets reads the Secrets a rendered source needs (for probing) and
// returns the credential lookup, or a MissingRefError naming what is absent.
func resolveSecrets(ctx context.Context, r client.Reader, ns string, uses []secretUse) (func(string) string, error) {
	vals := map[string]string{}
	cache := map[string]*corev1.Secret{}
	for _, u := range uses {
		sec, ok := cache[u.Secret]
		if !ok {
			var s corev1.Secret
			if err := r.Get(ctx, client.ObjectKey{Namespace: ns, Name: u.Secret}, &s); err != nil {
				if apierrors.IsNotFound(err) {
					return nil, &MissingRefError{Reason: crmv1.ReasonSecretNotFound, Msg: fmt.Sprintf("Secret %q not found in namespace %s", u.Secret, ns)}
				}
				return nil, fmt.Errorf("get Secret %q: %w", u.Secret, err)
			}
			sec = &s
			cache[u.Secret] = sec
		}
		v, ok := sec.Data[u.Key]
		if !ok {
			return nil, &MissingRefError{Reason: crmv1.ReasonSecretKeyMissing, Msg: fmt.Sprintf("Secret %q has no key %q", u.Secret, u.Key)}
		}
		vals[u.Env] = string(v)
	}
	return func(k string) string { return vals[k] }, nil
}

// secretEnv turns credential uses into secretKeyRef variables: the only way
// a credential reaches a Job.
func secretEnv(uses []secretUse) []corev1.EnvVar {
	var env []corev1.EnvVar
	for _, u := range uses {
		env = append(env, corev1.EnvVar{Name: u.Env, ValueFrom: &corev1.EnvVarSource{SecretKeyRef: &corev1.SecretKeySelector{
			LocalObjectReference: corev1.LocalObjectReference{Name: u.Secret}, Key: u.Key,
		}}})
	}
	return env
}

// loadSources fetches and renders the referenced DataSources.
func loadSources(ctx context.Context, c client.Reader, ns string, refs []crmv1.SourceRef) ([]renderedSource, error) {
	var out []renderedSource
	currency, first := "", ""
	for i, ref := range refs {
		var ds crmv1.DataSource
		if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: ref.Name}, &ds); err != nil {
			if apierrors.IsNotFound(err) {
				return nil, &MissingRefError{Reason: crmv1.ReasonSourceNotFound, Msg: fmt.Sprintf("DataSource %q not found", ref.Name)}
			}
			return nil, fmt.Errorf("get DataSource %q: %w", ref.Name, err)
		}
		if cur := sourceCurrency(&ds); ds.Spec.Content != crmv1.ContentCampaigns {
			if currency == "" {
				currency, first = cur, ds.Name
			} else if cur != currency {
				// Amounts in different currencies cannot be summed per customer.
				return nil, &MissingRefError{Reason: crmv1.ReasonCurrencyMismatch,
					Msg: fmt.Sprintf("DataSource %q is in %s but %q is in %s: the sources of one analysis must share a currency", ds.Name, cur, first, currency)}
			}
		}
		out = append(out, renderSource(&ds, ref.Channel, fmt.Sprintf("CRMLENS_S%d_", i)))
	}
	return out, nil
}

// sourceCurrency is the source's currency, USD (the CRD default) when unset.
func sourceCurrency(ds *crmv1.DataSource) string { return orDefault(ds.Spec.Currency, "USD") }

// cleaning maps the API's cleaning rules (with CRD defaults) to the plan.
func cleaning(c *crmv1.CleaningRules) runplan.Cleaning { return runplan.CleaningFrom(c) }

// renderStore maps an output store to the plan, with the credentials it needs.
func renderStore(ctx context.Context, c client.Reader, ns string, st *crmv1.ResultStore) (*runplan.Store, []secretUse, error) {
	if st == nil {
		return nil, nil, nil
	}
	switch {
	case st.Postgres != nil:
		p := st.Postgres
		var conn crmv1.PostgresConnection
		if p.DataSourceRef != nil {
			var ds crmv1.DataSource
			if err := c.Get(ctx, client.ObjectKey{Namespace: ns, Name: p.DataSourceRef.Name}, &ds); err != nil {
				if apierrors.IsNotFound(err) {
					return nil, nil, &MissingRefError{Reason: crmv1.ReasonSourceNotFound, Msg: fmt.Sprintf("store DataSource %q not found", p.DataSourceRef.Name)}
				}
				return nil, nil, err
			}
			if ds.Spec.Postgres == nil {
				return nil, nil, &MissingRefError{Reason: crmv1.ReasonInvalidStore, Msg: fmt.Sprintf("store DataSource %q is not a postgres source", p.DataSourceRef.Name)}
			}
			conn = ds.Spec.Postgres.PostgresConnection
		} else if p.Connection != nil {
			conn = *p.Connection
		}
		fake := &crmv1.DataSource{Spec: crmv1.DataSourceSpec{Postgres: &crmv1.PostgresSource{PostgresConnection: conn}}}
		rs := renderSource(fake, "", "CRMLENS_OUT_")
		// The whole connection carries over (CA and statement timeout
		// included); only the table is the sink's own.
		pg := *rs.Source.Postgres
		pg.Table, pg.Query = p.Table, ""
		return &runplan.Store{Postgres: &runplan.PostgresSink{Postgres: pg, KeepRuns: int(p.KeepRuns)}}, rs.Secrets, nil
	case st.ObjectStore != nil:
		o := st.ObjectStore
		fake := &crmv1.DataSource{Spec: crmv1.DataSourceSpec{ObjectStore: &crmv1.ObjectStoreSource{ObjectStoreConnection: o.ObjectStoreConnection, Prefix: o.Prefix}}}
		rs := renderSource(fake, "", "CRMLENS_OUT_")
		return &runplan.Store{ObjectStore: &runplan.ObjectStoreSink{ObjectStore: *rs.Source.ObjectStore, Format: string(o.Format),
			KeepRuns: int(o.KeepRuns)}}, rs.Secrets, nil
	}
	return nil, nil, nil
}
