// Package sources turns a run plan's source description into engine input
// sources, and probes a source (connect, read the header and a few rows,
// check the mapped columns parse). The runner and the DataSource reconciler
// share it, so what the probe accepts is what a run reads.
//
// Credentials are looked up by name through a Creds function: in a Job from
// environment variables set by secretKeyRef, in the reconciler from the
// Secret it read. They are never logged, and errors from the backends are
// redacted by the store packages.
package sources

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/sample"
	"github.com/crmlens/crmlens/analytics/store/httpsource"
	"github.com/crmlens/crmlens/analytics/store/objectstore"
	"github.com/crmlens/crmlens/analytics/store/postgres"
	"github.com/crmlens/crmlens/analytics/store/storeerr"
	"github.com/crmlens/crmlens/analytics/txn"
	"github.com/crmlens/crmlens/internal/runplan"
)

// Creds returns the value of a named credential ("" when absent).
type Creds func(name string) string

// ConfigMapReader fetches one key of a ConfigMap in the run's namespace.
type ConfigMapReader func(ctx context.Context, name, key string) ([]byte, error)

// ErrSchemaMismatch marks a mapped column that is missing or does not parse.
var ErrSchemaMismatch = storeerr.ErrSchemaMismatch

// Options builds the engine's reading options of a source.
func Options(s runplan.Source) (input.Options, error) {
	o := input.Options{Format: s.Format, Delimiter: s.Delimiter, NoHeader: s.NoHeader, Gzip: s.Gzip, TimeLayout: s.TimeLayout}
	if s.ThousandsSeparator != "" {
		o.ThousandsSeparator = s.ThousandsSeparator[0]
	}
	if s.TimeZone != "" {
		loc, err := time.LoadLocation(s.TimeZone)
		if err != nil {
			return o, fmt.Errorf("%w: time zone %q: %v", storeerr.ErrInvalidConfig, s.TimeZone, err)
		}
		o.Location = loc
	}
	if s.Sample != nil {
		o = sample.Options()
	}
	m, err := Mapping(s.Columns)
	if err != nil {
		return o, err
	}
	o.Mapping = m
	if err := o.Validate(); err != nil {
		// A bad delimiter or time layout is the DataSource's configuration.
		return o, fmt.Errorf("%w: %w", storeerr.ErrInvalidConfig, err)
	}
	return o, nil
}

// Mapping converts field → column pairs to an input.Mapping. Unmapped
// required fields keep the engine's default header names.
func Mapping(cols map[string]string) (input.Mapping, error) {
	var parts []string
	for _, k := range []string{"customer", "order", "time", "amount", "channel", "category", "product", "quantity", "gift", "price"} {
		if v := cols[k]; v != "" {
			parts = append(parts, k+"="+v)
		}
	}
	if len(parts) == 0 {
		// The sample generator's header is the engine's default vocabulary.
		return input.ParseMapping("customer=customer_id,order=order_id,time=timestamp,amount=amount,channel=channel,category=category,product=product,quantity=quantity,gift=gift")
	}
	m, err := input.ParseMapping(strings.Join(parts, ","))
	if err != nil {
		return m, fmt.Errorf("%w: %v", storeerr.ErrInvalidConfig, err)
	}
	return m, nil
}

// SampleConfig is the generator configuration of a sample source: the
// default two-year shop, shortened or lengthened to Months.
func SampleConfig(s *runplan.Sample) sample.Config {
	n := s.Customers
	if n <= 0 {
		n = 1000
	}
	cfg := sample.DefaultConfig(n)
	if s.Seed != 0 {
		cfg.Seed = uint64(s.Seed)
	}
	months := s.Months
	if s.End != nil && !s.End.IsZero() {
		if months <= 0 {
			months = 24
		}
		cfg.End = s.End.UTC()
		cfg.Start = cfg.End.AddDate(0, -months, 0)
	} else if months > 0 {
		cfg.End = cfg.Start.AddDate(0, months, 0)
	}
	return cfg
}

// Build returns the engine sources of one plan source.
func Build(ctx context.Context, s runplan.Source, creds Creds, cm ConfigMapReader) ([]input.Source, error) {
	opts, err := Options(s)
	if err != nil {
		return nil, fmt.Errorf("source %s: %w", s.Name, err)
	}
	switch {
	case s.Sample != nil:
		src := sample.Source(SampleConfig(s.Sample))
		src.Name, src.Channel = s.Name, s.Channel
		return []input.Source{src}, nil
	case s.ConfigMap != nil:
		if cm == nil {
			return nil, fmt.Errorf("source %s: no ConfigMap reader", s.Name)
		}
		data, err := cm(ctx, s.ConfigMap.Name, s.ConfigMap.Key)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.Name, err)
		}
		return []input.Source{input.BytesSource(s.Name, data, opts, s.Channel)}, nil
	case s.HTTP != nil:
		hc, err := HTTPConfig(s.HTTP, creds, opts, s.Channel)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.Name, err)
		}
		src, err := httpsource.Source(ctx, hc)
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.Name, err)
		}
		src.Name = s.Name // httpsource names it by its URL; the run names sources as the plan does
		return []input.Source{src}, nil
	case s.Postgres != nil:
		src, err := postgres.Source(ctx, PostgresConfig(s.Postgres, creds, opts, s.Channel))
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.Name, err)
		}
		return []input.Source{src}, nil
	case s.ObjectStore != nil:
		srcs, err := objectstore.Sources(ctx, ObjectStoreConfig(s.ObjectStore, creds, opts, s.Channel))
		if err != nil {
			return nil, fmt.Errorf("source %s: %w", s.Name, err)
		}
		return srcs, nil
	}
	return nil, fmt.Errorf("source %s: no backend", s.Name)
}

// PostgresConfig maps a plan source to the store's configuration.
func PostgresConfig(p *runplan.Postgres, creds Creds, opts input.Options, channel string) postgres.Config {
	return postgres.Config{
		URI: creds(p.URIEnv), Host: p.Host, Port: p.Port, Database: p.Database,
		User: creds(p.UserEnv), Password: creds(p.PasswordEnv), SSLMode: p.SSLMode,
		Table: p.Table, Query: p.Query, Mapping: opts.Mapping, Channel: channel, Location: opts.Location,
		ConnectTimeout: 15 * time.Second, CACertPEM: caBundle(creds, p.CACertEnv),
		StatementTimeout: time.Duration(p.StatementTimeoutMillis) * time.Millisecond,
	}
}

// ObjectStoreConfig maps a plan source to the store's configuration.
func ObjectStoreConfig(o *runplan.ObjectStore, creds Creds, opts input.Options, channel string) objectstore.SourceConfig {
	return objectstore.SourceConfig{
		Config: objectstore.Config{
			Endpoint: o.Endpoint, Region: o.Region, PathStyle: o.PathStyle, InsecureSkipVerify: o.InsecureSkipVerify,
			AccessKey: creds(o.AccessKeyEnv), SecretKey: creds(o.SecretKeyEnv), SessionToken: creds(o.SessionTokenEnv),
			Bucket: o.Bucket, CACertPEM: caBundle(creds, o.CACertEnv),
		},
		Key: o.Key, Prefix: o.Prefix, Options: opts, Channel: channel,
	}
}

// HTTPConfig maps a plan source to the HTTP store's configuration. The
// headers come from the credential named by HeadersEnv, one "Name: value" per
// line; a zero timeout leaves httpsource's default.
func HTTPConfig(h *runplan.HTTP, creds Creds, opts input.Options, channel string) (httpsource.Config, error) {
	cfg := httpsource.Config{
		URL: h.URL, Timeout: time.Duration(h.TimeoutSeconds) * time.Second, MaxBytes: h.MaxBytes,
		InsecureSkipVerify: h.InsecureSkipVerify, CACertPEM: caBundle(creds, h.CACertEnv),
		Options: opts, Channel: channel,
	}
	if h.HeadersEnv != "" {
		hdr, err := httpsource.ParseHeaders(creds(h.HeadersEnv))
		if err != nil {
			return cfg, err
		}
		cfg.Headers = hdr
	}
	return cfg, nil
}

// ProbeResult is what a probe saw.
type ProbeResult struct {
	Rows     int64 // rows read (at most the probe's limit)
	Rejected int64 // of those, rows that did not parse
	// Oldest and Newest bound the timestamps of the rows that parsed
	// (zero when none did).
	Oldest, Newest time.Time
	// EstimatedRows is PostgreSQL's planner estimate of the source's rows
	// (-1 or 0 when unknown or not a PostgreSQL source).
	EstimatedRows int64
}

// probeRows is how many rows a probe reads from file-like sources.
const probeRows = 100

var errEnough = errors.New("enough rows")

type probeHandler struct{ res *ProbeResult }

func (h probeHandler) Record(r *input.Record) error {
	h.res.Rows++
	if !r.Time.IsZero() {
		if h.res.Oldest.IsZero() || r.Time.Before(h.res.Oldest) {
			h.res.Oldest = r.Time
		}
		if r.Time.After(h.res.Newest) {
			h.res.Newest = r.Time
		}
	}
	if h.res.Rows >= probeRows {
		return errEnough
	}
	return nil
}

func (h probeHandler) Reject(int64, txn.RejectReason, string) {
	h.res.Rows++
	h.res.Rejected++
}

// Probe checks a source: it connects, reads the header and up to 100 rows,
// and reports ErrSchemaMismatch when a mapped column is missing or every
// row read fails to parse. Errors wrap storeerr kinds (see storeerr.Reason).
func Probe(ctx context.Context, s runplan.Source, creds Creds, cm ConfigMapReader) (ProbeResult, error) {
	var res ProbeResult
	opts, err := Options(s)
	if err != nil {
		return res, err
	}
	switch {
	case s.Postgres != nil:
		res.EstimatedRows, err = postgres.ProbeEstimate(ctx, PostgresConfig(s.Postgres, creds, opts, s.Channel))
		return res, err
	case s.ObjectStore != nil:
		return res, objectstore.Probe(ctx, ObjectStoreConfig(s.ObjectStore, creds, opts, s.Channel))
	}
	if s.Content != "" && s.Content != "Transactions" {
		// Customer and campaign files have their own columns; reading the
		// header proves reachability, the transaction mapping does not apply.
		srcs, err := Build(ctx, s, creds, cm)
		if err != nil {
			return res, err
		}
		rc, err := srcs[0].Open()
		if err != nil {
			return res, err
		}
		return res, rc.Close()
	}
	srcs, err := Build(ctx, s, creds, cm)
	if err != nil {
		return res, err
	}
	err = input.Read(ctx, srcs[0], probeHandler{&res})
	if err != nil && !errors.Is(err, errEnough) {
		if isMappingError(err) {
			return res, fmt.Errorf("%w: %v", ErrSchemaMismatch, err)
		}
		return res, err
	}
	if res.Rows > 0 && res.Rejected == res.Rows {
		return res, fmt.Errorf("%w: none of the first %d rows parses with the mapped columns (check schema and timestamp layout)", ErrSchemaMismatch, res.Rows)
	}
	return res, nil
}

// isMappingError recognises the input package's column-resolution errors,
// which carry no typed error yet.
func isMappingError(err error) bool {
	m := err.Error()
	return strings.Contains(m, "no such header column") || strings.Contains(m, "is not mapped") ||
		strings.Contains(m, "the header has only") || strings.Contains(m, "map it by 1-based index")
}
