// Package pgtest starts a real, throw-away PostgreSQL server for tests and
// benchmarks: initdb into a temporary directory, pg_ctl start on 127.0.0.1 on a
// free port, password (SCRAM) authentication and optionally TLS with a
// self-signed certificate generated on the fly.
//
// The server binaries come from Debian's postgresql package
// (/usr/lib/postgresql/<version>/bin) or PATH. initdb refuses to run as root,
// so under root the server runs as the unprivileged "postgres" user (through
// runuser) with the data directory chowned to it.
package pgtest

import (
	"bytes"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"errors"
	"fmt"
	"math/big"
	"net"
	"net/url"
	"os"
	"os/exec"
	"os/user"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// Options shape the server.
type Options struct {
	// TLS turns ssl on with a self-signed certificate for 127.0.0.1/localhost.
	TLS bool
	// Settings are extra postgresql.conf lines, e.g. "shared_buffers = '256MB'".
	Settings []string
	// Dir is the parent of the data directory; empty means os.TempDir().
	Dir string
}

// Server is a running PostgreSQL instance owned by the test.
type Server struct {
	Host     string
	Port     int
	User     string
	Password string
	Database string
	// CACertPEM is the PEM certificate clients must trust when TLS is on.
	CACertPEM []byte

	bin    string // directory holding initdb, pg_ctl, psql
	root   string // temporary directory removed by Close
	data   string
	runAs  string // unix user running the server; empty for the current user
	mu     sync.Mutex
	closed bool
}

// ErrNoServer reports that the PostgreSQL server binaries are not installed.
var ErrNoServer = errors.New("pgtest: PostgreSQL server binaries (initdb, pg_ctl) not found; install Debian's postgresql package")

// Start starts a server for the test and stops it at cleanup. When the binaries
// are missing it fails the test under CI=true and skips it otherwise.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s, err := New(opts)
	if errors.Is(err, ErrNoServer) {
		if os.Getenv("CI") == "true" {
			t.Fatalf("%v (CI=true: a missing real server is a failure)", err)
		}
		t.Skipf("skipping: %v", err)
	}
	if err != nil {
		t.Fatalf("pgtest: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Logf("pgtest: close: %v", err)
		}
	})
	return s
}

// BinDir finds the directory holding initdb and pg_ctl.
func BinDir() (string, error) {
	if dirs, _ := filepath.Glob("/usr/lib/postgresql/*/bin"); len(dirs) > 0 {
		// Highest major version first.
		sort.Slice(dirs, func(i, j int) bool { return majorOf(dirs[i]) > majorOf(dirs[j]) })
		for _, d := range dirs {
			if isExec(filepath.Join(d, "initdb")) && isExec(filepath.Join(d, "pg_ctl")) {
				return d, nil
			}
		}
	}
	if p, err := exec.LookPath("initdb"); err == nil {
		if resolved, err := filepath.EvalSymlinks(p); err == nil {
			p = resolved
		}
		d := filepath.Dir(p)
		if isExec(filepath.Join(d, "pg_ctl")) {
			return d, nil
		}
	}
	return "", ErrNoServer
}

func majorOf(binDir string) int {
	n, _ := strconv.Atoi(filepath.Base(filepath.Dir(binDir)))
	return n
}

func isExec(p string) bool {
	st, err := os.Stat(p)
	return err == nil && !st.IsDir() && st.Mode()&0o111 != 0
}

// New initialises and starts a server; the caller must Close it.
func New(opts Options) (*Server, error) {
	bin, err := BinDir()
	if err != nil {
		return nil, err
	}
	s := &Server{
		Host:     "127.0.0.1",
		User:     "crmlens",
		Password: randomToken(),
		Database: "crmlens",
		bin:      bin,
	}
	if os.Geteuid() == 0 {
		if _, err := user.Lookup("postgres"); err != nil {
			return nil, fmt.Errorf("running as root needs the unprivileged user %q to run initdb: %w", "postgres", err)
		}
		s.runAs = "postgres"
	}
	s.root, err = os.MkdirTemp(opts.Dir, "pgtest-")
	if err != nil {
		return nil, fmt.Errorf("temp dir: %w", err)
	}
	ok := false
	defer func() {
		if !ok {
			_ = s.Close()
		}
	}()
	s.data = filepath.Join(s.root, "data")
	pwfile := filepath.Join(s.root, "pw")
	if err := os.WriteFile(pwfile, []byte(s.Password+"\n"), 0o600); err != nil {
		return nil, err
	}
	if err := s.chown(s.root, pwfile); err != nil {
		return nil, err
	}
	if out, err := s.run("initdb", "-D", s.data, "-U", s.User, "--pwfile", pwfile,
		"--auth=scram-sha-256", "--encoding=UTF8", "--locale=C", "--no-sync"); err != nil {
		return nil, fmt.Errorf("initdb: %w\n%s", err, out)
	}
	_ = os.Remove(pwfile)

	s.Port, err = freePort()
	if err != nil {
		return nil, err
	}
	conf := []string{
		"listen_addresses = '127.0.0.1'",
		"port = " + strconv.Itoa(s.Port),
		"unix_socket_directories = '" + s.root + "'",
		"fsync = off",
		"synchronous_commit = off",
		"full_page_writes = off",
		"max_connections = 50",
		"password_encryption = 'scram-sha-256'",
	}
	hba := "host all all 127.0.0.1/32 scram-sha-256\nlocal all all scram-sha-256\n"
	if opts.TLS {
		certPEM, keyPEM, err := selfSigned()
		if err != nil {
			return nil, err
		}
		s.CACertPEM = certPEM
		cert, key := filepath.Join(s.data, "server.crt"), filepath.Join(s.data, "server.key")
		if err := os.WriteFile(cert, certPEM, 0o600); err != nil {
			return nil, err
		}
		if err := os.WriteFile(key, keyPEM, 0o600); err != nil {
			return nil, err
		}
		if err := s.chown(cert, key); err != nil {
			return nil, err
		}
		conf = append(conf, "ssl = on", "ssl_cert_file = 'server.crt'", "ssl_key_file = 'server.key'")
	}
	conf = append(conf, opts.Settings...)
	if err := appendFile(filepath.Join(s.data, "postgresql.conf"), strings.Join(conf, "\n")+"\n"); err != nil {
		return nil, err
	}
	if err := os.WriteFile(filepath.Join(s.data, "pg_hba.conf"), []byte(hba), 0o600); err != nil {
		return nil, err
	}
	if err := s.chown(filepath.Join(s.data, "pg_hba.conf")); err != nil {
		return nil, err
	}
	if err := s.StartServer(); err != nil {
		return nil, err
	}
	if out, err := s.Psql("postgres", "CREATE DATABASE "+s.Database); err != nil {
		return nil, fmt.Errorf("create database: %w\n%s", err, out)
	}
	ok = true
	return s, nil
}

// StartServer starts (or restarts after Stop) the server and waits until it accepts connections.
func (s *Server) StartServer() error {
	out, err := s.run("pg_ctl", "-D", s.data, "-l", filepath.Join(s.root, "server.log"), "-w", "-t", "60", "start")
	if err != nil {
		log, _ := os.ReadFile(filepath.Join(s.root, "server.log"))
		return fmt.Errorf("pg_ctl start: %w\n%s\n%s", err, out, log)
	}
	return nil
}

// Stop shuts the server down, terminating open sessions, keeping the data.
// Fast mode, not immediate: with synchronous_commit off an immediate stop
// can lose transactions that already reported success, which would make a
// "previous results intact" check fail for the harness's sake.
func (s *Server) Stop() error {
	out, err := s.run("pg_ctl", "-D", s.data, "-m", "fast", "-w", "stop")
	if err != nil {
		return fmt.Errorf("pg_ctl stop: %w\n%s", err, out)
	}
	return nil
}

// Close stops the server and removes its directory.
func (s *Server) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed || s.root == "" {
		return nil
	}
	s.closed = true
	var err error
	if _, statErr := os.Stat(filepath.Join(s.data, "postmaster.pid")); statErr == nil {
		err = s.Stop()
	}
	if rmErr := os.RemoveAll(s.root); rmErr != nil && err == nil {
		err = rmErr
	}
	return err
}

// URI returns a connection URI for the database with the given sslmode.
// It contains the password: never log it.
func (s *Server) URI(sslmode string) string {
	u := url.URL{
		Scheme:   "postgres",
		User:     url.UserPassword(s.User, s.Password),
		Host:     net.JoinHostPort(s.Host, strconv.Itoa(s.Port)),
		Path:     "/" + s.Database,
		RawQuery: "sslmode=" + url.QueryEscape(sslmode),
	}
	return u.String()
}

// Psql runs SQL through psql against db (empty means the test database) and returns its output.
func (s *Server) Psql(db, sql string, extraArgs ...string) (string, error) {
	if db == "" {
		db = s.Database
	}
	args := append([]string{"-X", "-v", "ON_ERROR_STOP=1", "-h", s.Host, "-p", strconv.Itoa(s.Port),
		"-U", s.User, "-d", db, "-c", sql}, extraArgs...)
	cmd := exec.Command(s.tool("psql"), args...)
	cmd.Env = append(os.Environ(), "PGPASSWORD="+s.Password, "PGSSLMODE=disable")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// tool returns the path of a client or server binary.
func (s *Server) tool(name string) string {
	if p := filepath.Join(s.bin, name); isExec(p) {
		return p
	}
	return name
}

// run executes a server binary, as the unprivileged user when running as root.
func (s *Server) run(name string, args ...string) ([]byte, error) {
	var cmd *exec.Cmd
	if s.runAs != "" {
		cmd = exec.Command("runuser", append([]string{"-u", s.runAs, "--", s.tool(name)}, args...)...)
	} else {
		cmd = exec.Command(s.tool(name), args...)
	}
	cmd.Dir = s.root
	// The server must not inherit a test's PG* settings.
	cmd.Env = filterEnv(os.Environ(), "PG")
	var buf bytes.Buffer
	cmd.Stdout, cmd.Stderr = &buf, &buf
	err := cmd.Run()
	return buf.Bytes(), err
}

func filterEnv(env []string, prefix string) []string {
	out := env[:0:0]
	for _, e := range env {
		if !strings.HasPrefix(e, prefix) {
			out = append(out, e)
		}
	}
	return out
}

func (s *Server) chown(paths ...string) error {
	if s.runAs == "" {
		return nil
	}
	u, err := user.Lookup(s.runAs)
	if err != nil {
		return err
	}
	uid, _ := strconv.Atoi(u.Uid)
	gid, _ := strconv.Atoi(u.Gid)
	for _, p := range paths {
		if err := os.Chown(p, uid, gid); err != nil {
			return fmt.Errorf("chown %s: %w", p, err)
		}
	}
	return nil
}

func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

func randomToken() string {
	b := make([]byte, 12)
	_, _ = rand.Read(b)
	return fmt.Sprintf("pw%x", b)
}

// selfSigned makes a certificate valid for 127.0.0.1 and localhost, usable as its own CA.
func selfSigned() (certPEM, keyPEM []byte, err error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: "pgtest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.ParseIP("127.0.0.1")},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return nil, nil, err
	}
	kder, err := x509.MarshalECPrivateKey(key)
	if err != nil {
		return nil, nil, err
	}
	return pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}),
		pem.EncodeToMemory(&pem.Block{Type: "EC PRIVATE KEY", Bytes: kder}), nil
}
