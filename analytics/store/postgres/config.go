// Package postgres is crmlens's PostgreSQL edge (also any server speaking the
// PostgreSQL protocol and dialect): a transaction source (table or read-only
// query), per-customer aggregation pushed down into SQL, a raw-row stream for
// methods that need single transactions, a result sink, and Probe for
// DataSource readiness.
//
// API:
//
//	Config{URI | Host, Port, Database, User, Password; SSLMode, CACertPEM;
//	       Table | Query; Mapping; Channel; Location; StatementTimeout}
//	Probe(ctx, cfg) error                          typed errors, see storeerr
//	Aggregate(ctx, cfg, AggregateOptions) (*customer.Set, error)   pushdown
//	PushdownSQL(ctx, cfg, opts) (sql, args, error)  the statement, for review
//	Source(ctx, cfg) (input.Source, error)          raw rows via COPY
//	Transactions(ctx, cfg, rules, batch, fn)        accepted lines in batches
//	OpenRun(ctx, cfg, SinkOptions) (*RunWriter, error)   result sink
//
// Pushdown contract: Aggregate sends one statement that scans the source once
// and groups by customer, with the cleaning rules (clean.Rules) as a reject
// reason computed per row; only one row per customer (plus one per
// customer-day with History, one per day with Daily) travels. The result
// equals aggregate.Build over the same rows in a file (tests prove it), except
// that SQL values are not whitespace-trimmed, Orders counts distinct order IDs
// (Build counts changes of order ID, the same when an order's lines are
// contiguous), and reject samples carry no line numbers. Every statement is
// parameterised: values travel as bind parameters, identifiers are quoted
// with pgx.Identifier; sources are read in a read-only transaction.
//
// Tables the sink writes (created when missing): <table> (run_id,
// customer_id, recency_days, frequency, monetary, aov, first_purchase,
// last_purchase, r, f, m, segment, stage, cluster, p_alive,
// expected_purchases, clv; primary key run_id, customer_id), <table>_runs
// (run_id, finished_at, customers: one row per complete run) and the view
// <table>_latest (the newest complete run's rows). A run is one transaction.
//
// Passwords never appear in errors.
package postgres

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"

	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/store/storeerr"
)

// Error kinds returned by this package (aliases of the storeerr kinds, so
// errors.Is works with either name).
var (
	ErrInvalidConfig  = storeerr.ErrInvalidConfig
	ErrAuthFailed     = storeerr.ErrAuthFailed
	ErrUnreachable    = storeerr.ErrUnreachable
	ErrTLS            = storeerr.ErrTLS
	ErrNotFound       = storeerr.ErrNotFound
	ErrSchemaMismatch = storeerr.ErrSchemaMismatch
	ErrPermission     = storeerr.ErrPermission
	ErrTimeout        = storeerr.ErrTimeout
)

// SSL modes, with libpq's meaning.
const (
	SSLDisable    = "disable"     // plain TCP
	SSLRequire    = "require"     // encrypted, server certificate not verified (verified against CACertPEM when given)
	SSLVerifyCA   = "verify-ca"   // encrypted, certificate chain verified, host name not checked
	SSLVerifyFull = "verify-full" // encrypted, chain and host name verified (the default)
)

// Config says where the transactions are and how their columns map.
type Config struct {
	// URI is a postgres:// or postgresql:// URI. Alternatively give Host etc.
	// A Password given separately fills a URI that has none.
	URI      string
	Host     string
	Port     int // default 5432
	Database string
	User     string
	Password string
	// SSLMode is disable, require, verify-ca or verify-full. Empty takes the
	// URI's sslmode, else verify-full: verification is on unless turned off.
	SSLMode string
	// CACertPEM is the PEM CA bundle to verify the server with; nil uses the
	// system pool. A non-nil bundle without a certificate is refused
	// (ErrInvalidConfig), so an empty Secret key never falls back silently.
	CACertPEM []byte

	// Exactly one of Table ("name" or "schema.name") and Query (one read-only SELECT).
	Table string
	Query string
	// Mapping names the columns (by name, or 1-based position in the table/query).
	// Unset optional fields fall back to the same default names as file input
	// (customer_id, order_id, timestamp, amount, channel, ...).
	Mapping input.Mapping
	// Channel labels rows whose channel column is unmapped or empty.
	Channel string
	// Location is the zone of "timestamp without time zone" values and of calendar
	// days; nil means UTC. It must be a named zone (time.LoadLocation).
	Location *time.Location

	// StatementTimeout bounds each statement on the server; 0 means no limit.
	StatementTimeout time.Duration
	// ConnectTimeout bounds connecting; 0 means 15s.
	ConnectTimeout time.Duration
}

// loc returns the analysis time zone.
func (c *Config) loc() *time.Location {
	if c.Location == nil {
		return time.UTC
	}
	return c.Location
}

// Validate checks the configuration without connecting.
func (c *Config) Validate() error {
	if (c.Table == "") == (strings.TrimSpace(c.Query) == "") {
		return fmt.Errorf("%w: exactly one of table and query must be set", ErrInvalidConfig)
	}
	if c.Location != nil && c.Location.String() == "Local" {
		return fmt.Errorf("%w: location must be a named time zone, not Local", ErrInvalidConfig)
	}
	_, _, err := c.connConfigParts()
	return err
}

// secrets are the strings that must never surface in errors.
func (c *Config) secrets() []string {
	s := []string{c.Password}
	if u, err := url.Parse(c.URI); err == nil && u.User != nil {
		if p, ok := u.User.Password(); ok {
			s = append(s, p, url.QueryEscape(p), url.PathEscape(p))
		}
	}
	return s
}

// connConfigParts turns the config into a URI without TLS settings plus the sslmode.
func (c *Config) connConfigParts() (string, string, error) {
	var u *url.URL
	if c.URI != "" {
		if c.Host != "" {
			return "", "", fmt.Errorf("%w: give either uri or host, not both", ErrInvalidConfig)
		}
		var err error
		u, err = url.Parse(c.URI)
		// The parse error text may quote the URI, password included: drop it.
		if err != nil || (u.Scheme != "postgres" && u.Scheme != "postgresql") {
			return "", "", fmt.Errorf("%w: uri must be postgres://user:password@host:port/database", ErrInvalidConfig)
		}
		if c.Password != "" && u.User != nil {
			if _, has := u.User.Password(); !has {
				u.User = url.UserPassword(u.User.Username(), c.Password)
			}
		}
		if c.User != "" && u.User == nil {
			u.User = url.UserPassword(c.User, c.Password)
		}
	} else {
		if c.Host == "" {
			return "", "", fmt.Errorf("%w: host (or uri) is required", ErrInvalidConfig)
		}
		port := c.Port
		if port == 0 {
			port = 5432
		}
		u = &url.URL{Scheme: "postgres", Host: net.JoinHostPort(c.Host, strconv.Itoa(port)), Path: "/" + c.Database}
		if c.User != "" {
			u.User = url.UserPassword(c.User, c.Password)
		}
	}
	q := u.Query()
	mode := q.Get("sslmode")
	for _, k := range []string{"sslmode", "sslrootcert", "sslcert", "sslkey", "sslpassword", "sslsni"} {
		q.Del(k)
	}
	if c.SSLMode != "" {
		mode = c.SSLMode
	}
	if mode == "" {
		mode = SSLVerifyFull
	}
	switch mode {
	case SSLDisable, SSLRequire, SSLVerifyCA, SSLVerifyFull:
	default:
		return "", "", fmt.Errorf("%w: sslMode %q: want disable, require, verify-ca or verify-full", ErrInvalidConfig, mode)
	}
	// TLS is configured by us (below), so pgx must not add its own.
	q.Set("sslmode", "disable")
	u.RawQuery = q.Encode()
	return u.String(), mode, nil
}

// pgxConfig builds the driver configuration.
func (c *Config) pgxConfig() (*pgx.ConnConfig, error) {
	uri, mode, err := c.connConfigParts()
	if err != nil {
		return nil, err
	}
	cfg, err := pgx.ParseConfig(uri)
	if err != nil {
		// pgx's parse errors can quote the connection string; keep only the kind.
		return nil, fmt.Errorf("%w: connection settings do not parse", ErrInvalidConfig)
	}
	cfg.ConnectTimeout = c.ConnectTimeout
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = 15 * time.Second
	}
	cfg.RuntimeParams["application_name"] = "crmlens"
	cfg.RuntimeParams["timezone"] = "UTC"
	if c.StatementTimeout > 0 {
		cfg.RuntimeParams["statement_timeout"] = strconv.FormatInt(c.StatementTimeout.Milliseconds(), 10)
	}
	tlsFor := func(host string) (*tls.Config, error) { return c.tlsConfig(mode, host) }
	if cfg.TLSConfig, err = tlsFor(cfg.Host); err != nil {
		return nil, err
	}
	for _, fb := range cfg.Fallbacks {
		if fb.TLSConfig, err = tlsFor(fb.Host); err != nil {
			return nil, err
		}
	}
	return cfg, nil
}

func (c *Config) tlsConfig(mode, host string) (*tls.Config, error) {
	if mode == SSLDisable {
		return nil, nil
	}
	var pool *x509.CertPool
	if c.CACertPEM != nil {
		pool = x509.NewCertPool()
		if !pool.AppendCertsFromPEM(c.CACertPEM) {
			return nil, fmt.Errorf("%w: caCert holds no PEM certificate", ErrInvalidConfig)
		}
	}
	switch {
	case mode == SSLVerifyFull:
		return &tls.Config{ServerName: host, RootCAs: pool, MinVersion: tls.VersionTLS12}, nil
	case mode == SSLRequire && pool == nil:
		return &tls.Config{InsecureSkipVerify: true, MinVersion: tls.VersionTLS12}, nil //nolint:gosec // libpq's sslmode=require: encryption without verification, chosen explicitly
	default: // verify-ca, or require with a CA (libpq then verifies the chain)
		return &tls.Config{
			InsecureSkipVerify: true, //nolint:gosec // chain verified below, host name deliberately not
			MinVersion:         tls.VersionTLS12,
			VerifyPeerCertificate: func(raw [][]byte, _ [][]*x509.Certificate) error {
				return verifyChain(raw, pool)
			},
		}, nil
	}
}

func verifyChain(raw [][]byte, roots *x509.CertPool) error {
	if len(raw) == 0 {
		return errors.New("server sent no certificate")
	}
	certs := make([]*x509.Certificate, len(raw))
	for i, r := range raw {
		cert, err := x509.ParseCertificate(r)
		if err != nil {
			return fmt.Errorf("parse server certificate: %w", err)
		}
		certs[i] = cert
	}
	inter := x509.NewCertPool()
	for _, cert := range certs[1:] {
		inter.AddCert(cert)
	}
	_, err := certs[0].Verify(x509.VerifyOptions{Roots: roots, Intermediates: inter})
	return err
}

// connect opens one connection, with errors classified and redacted.
func (c *Config) connect(ctx context.Context) (*pgx.Conn, error) {
	cfg, err := c.pgxConfig()
	if err != nil {
		return nil, err
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, c.wrap(ctx, "connect", err)
	}
	return conn, nil
}

// wrap classifies a driver error and removes secrets from its text.
func (c *Config) wrap(ctx context.Context, op string, err error) error {
	e := classify(ctx, "postgres: "+op, err)
	if c.StatementTimeout > 0 && isStatementTimeout(err) {
		// Name the configured limit, so the fix (a larger statementTimeout,
		// or a narrower window or query) is obvious.
		e = fmt.Errorf("%w (the statement ran longer than statementTimeout %s)", e, c.StatementTimeout)
	}
	return storeerr.Redact(e, c.secrets()...)
}

// isStatementTimeout recognises the server cancelling a statement for
// exceeding statement_timeout (SQLSTATE 57014 is also a user's cancel).
func isStatementTimeout(err error) bool {
	var pgErr *pgconn.PgError
	return errors.As(err, &pgErr) && pgErr.Code == "57014" && strings.Contains(pgErr.Message, "statement timeout")
}
