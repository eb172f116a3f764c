package postgres

import (
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"math/big"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/store/storeerr"
	"github.com/crmlens/crmlens/internal/pgtest"
)

func closedPort(t *testing.T) int {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	port := l.Addr().(*net.TCPAddr).Port
	l.Close()
	return port
}

func TestProbe(t *testing.T) {
	s := server(t)
	loadCSV(t, s, "probe_tx", genCSV(3, 5))
	exec(t, s, `DROP TABLE IF EXISTS probe_bad; CREATE TABLE probe_bad (customer_id text, "timestamp" text, amount numeric)`)
	good := connCfg(s)
	good.Table = "probe_tx"
	tests := []struct {
		name    string
		mutate  func(c *Config)
		want    error
		reason  string
		mention string // the error must name this
	}{
		{name: "ok", mutate: func(*Config) {}},
		{name: "ok by query", mutate: func(c *Config) { c.Table, c.Query = "", "SELECT * FROM probe_tx WHERE amount > 0" }},
		{name: "ok by URI", mutate: func(c *Config) {
			c.URI, c.Host, c.Port, c.User, c.Database = s.URI("disable"), "", 0, "", ""
		}},
		{name: "wrong password", mutate: func(c *Config) { c.Password = "not-the-password" }, want: ErrAuthFailed, reason: "AuthFailed"},
		{name: "wrong password in URI", mutate: func(c *Config) {
			c.URI = strings.Replace(s.URI("disable"), s.Password, "hunter2-wrong", 1)
			c.Host, c.Port, c.User, c.Database, c.Password = "", 0, "", "", ""
		}, want: ErrAuthFailed, reason: "AuthFailed"},
		{name: "nothing listening", mutate: func(c *Config) { c.Port = closedPort(t) }, want: ErrUnreachable, reason: "Unreachable"},
		{name: "missing database", mutate: func(c *Config) { c.Database = "nope" }, want: ErrNotFound, reason: "NotFound"},
		{name: "missing table", mutate: func(c *Config) { c.Table = "no_such_table" }, want: ErrNotFound, reason: "NotFound"},
		{name: "missing mapped column", mutate: func(c *Config) { c.Mapping.Amount = input.Column{Name: "price_eur"} },
			want: ErrSchemaMismatch, reason: "SchemaMismatch", mention: "price_eur"},
		{name: "time column of wrong type", mutate: func(c *Config) { c.Table = "probe_bad" }, want: ErrSchemaMismatch, mention: "timestamp"},
		{name: "query with a second statement", mutate: func(c *Config) { c.Table, c.Query = "", "SELECT 1; DROP TABLE probe_tx" }, want: ErrInvalidConfig},
		{name: "query with a syntax error", mutate: func(c *Config) { c.Table, c.Query = "", "SELEC customer_id FROM probe_tx" }, want: ErrInvalidConfig, reason: "InvalidConfig"},
		{name: "table and query", mutate: func(c *Config) { c.Query = "SELECT 1" }, want: ErrInvalidConfig},
		{name: "bad sslmode", mutate: func(c *Config) { c.SSLMode = "prefer-maybe" }, want: ErrInvalidConfig},
		{name: "TLS demanded, server has none", mutate: func(c *Config) { c.SSLMode = SSLRequire }, want: ErrTLS, reason: "TLSFailed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := good
			tt.mutate(&cfg)
			ctx, cancel := context.WithTimeout(context.Background(), 20*time.Second)
			defer cancel()
			err := Probe(ctx, cfg)
			if tt.want == nil {
				if err != nil {
					t.Fatalf("Probe: %v", err)
				}
				return
			}
			if !errors.Is(err, tt.want) {
				t.Fatalf("Probe error %v, want %v", err, tt.want)
			}
			if tt.reason != "" && storeerr.Reason(err) != tt.reason {
				t.Errorf("reason %q, want %q", storeerr.Reason(err), tt.reason)
			}
			for _, secret := range []string{s.Password, "not-the-password", "hunter2-wrong"} {
				if strings.Contains(err.Error(), secret) {
					t.Errorf("error leaks a password: %v", err)
				}
			}
			if tt.mention != "" && !strings.Contains(err.Error(), tt.mention) {
				t.Errorf("error %q does not name %q", err, tt.mention)
			}
		})
	}
}

func TestTLS(t *testing.T) {
	s := pgtest.Start(t, pgtest.Options{TLS: true})
	exec(t, s, `CREATE TABLE t (customer_id text, "timestamp" timestamptz, amount numeric)`)
	exec(t, s, `INSERT INTO t VALUES ('a', now(), 1)`)
	base := Config{Host: s.Host, Port: s.Port, Database: s.Database, User: s.User, Password: s.Password, Table: "t"}
	tests := []struct {
		name    string
		mode    string
		ca      []byte
		host    string
		want    error
		wantSSL bool
	}{
		{name: "verify-full with CA", mode: SSLVerifyFull, ca: s.CACertPEM, wantSSL: true},
		{name: "default is verify-full", mode: "", ca: s.CACertPEM, wantSSL: true},
		{name: "verify-full without CA fails", mode: SSLVerifyFull, want: ErrTLS},
		{name: "default without CA fails", mode: "", want: ErrTLS},
		{name: "verify-full with a foreign CA fails", mode: SSLVerifyFull, ca: foreignCA(t), want: ErrTLS},
		{name: "verify-ca with a foreign CA fails", mode: SSLVerifyCA, ca: foreignCA(t), want: ErrTLS},
		{name: "verify-ca ignores host name", mode: SSLVerifyCA, ca: s.CACertPEM, host: "localhost", wantSSL: true},
		{name: "require without CA encrypts", mode: SSLRequire, wantSSL: true},
		{name: "disable is plain", mode: SSLDisable, wantSSL: false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := base
			cfg.SSLMode, cfg.CACertPEM = tt.mode, tt.ca
			if tt.host != "" {
				cfg.Host = tt.host
			}
			ctx := context.Background()
			err := Probe(ctx, cfg)
			if tt.want != nil {
				if !errors.Is(err, tt.want) {
					t.Fatalf("Probe = %v, want %v", err, tt.want)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			conn, err := cfg.connect(ctx)
			if err != nil {
				t.Fatal(err)
			}
			defer conn.Close(ctx)
			var ssl bool
			if err := conn.QueryRow(ctx, "SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()").Scan(&ssl); err != nil {
				t.Fatal(err)
			}
			if ssl != tt.wantSSL {
				t.Errorf("ssl = %v, want %v", ssl, tt.wantSSL)
			}
		})
	}
}

// Statement timeouts and cancellation end a long query with a typed error.
func TestTimeoutAndCancel(t *testing.T) {
	s := server(t)
	cfg := connCfg(s)
	cfg.Query = `SELECT 'c'::text AS customer_id, now() AS "timestamp", 1::numeric AS amount FROM pg_sleep(5)`
	cfg.StatementTimeout = 200 * time.Millisecond
	start := time.Now()
	_, err := Aggregate(context.Background(), cfg, AggregateOptions{})
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("statement timeout: err = %v, want ErrTimeout", err)
	}
	if !strings.Contains(err.Error(), "statementTimeout 200ms") {
		t.Errorf("statement timeout: %q does not name the configured limit", err)
	}
	cfg.StatementTimeout = 0
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	_, err = Aggregate(ctx, cfg, AggregateOptions{})
	if err == nil || ctx.Err() == nil {
		t.Fatalf("cancelled: err = %v", err)
	}
	if d := time.Since(start); d > 4*time.Second {
		t.Errorf("cancellation took %v: the server query was not cancelled", d)
	}
}

// foreignCA is a self-signed CA the test server's certificate does not chain to.
func foreignCA(t *testing.T) []byte {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		t.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "other"},
		NotBefore: time.Now().Add(-time.Hour), NotAfter: time.Now().Add(time.Hour), IsCA: true,
		BasicConstraintsValid: true, KeyUsage: x509.KeyUsageCertSign}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der})
}
