// Package s3test runs a real S3-protocol server in-process on loopback for
// tests: gofakes3 with its in-memory backend, behind a Signature V4 check so
// wrong credentials are refused as a real object store refuses them
// (gofakes3 itself accepts any signature). Optionally over TLS.
package s3test

import (
	"bufio"
	"crypto/hmac"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"encoding/hex"
	"encoding/pem"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"sort"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/johannesboyne/gofakes3"
	"github.com/johannesboyne/gofakes3/backend/s3mem"
	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"
	"github.com/minio/minio-go/v7/pkg/s3utils"
)

// Options shape the server.
type Options struct {
	TLS bool // serve HTTPS with a self-signed certificate for 127.0.0.1
}

// Server is a running in-process S3 endpoint.
type Server struct {
	Endpoint  string // host:port, as minio-go wants it
	URL       string // scheme://host:port
	AccessKey string
	SecretKey string
	Region    string
	// CACertPEM is the certificate clients must trust when TLS is on.
	CACertPEM []byte
	Backend   *s3mem.Backend

	srv  *httptest.Server
	mu   sync.Mutex
	hook func(*http.Request)
}

// Start starts a server that is closed at test cleanup.
func Start(t testing.TB, opts Options) *Server {
	t.Helper()
	s := New(opts)
	t.Cleanup(s.Close)
	return s
}

// New starts a server; Close stops it.
func New(opts Options) *Server {
	s := &Server{AccessKey: "AKIATESTCRMLENS", SecretKey: "test-secret-key-crmlens", Region: "us-east-1", Backend: s3mem.New()}
	faker := gofakes3.New(s.Backend, gofakes3.WithAutoBucket(false))
	h := s.auth(faker.Server())
	if opts.TLS {
		s.srv = httptest.NewUnstartedServer(h)
		// Refused handshakes are what TLS tests provoke; keep them out of the test log.
		s.srv.Config.ErrorLog = log.New(io.Discard, "", 0)
		s.srv.StartTLS()
		s.CACertPEM = pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.srv.Certificate().Raw})
	} else {
		s.srv = httptest.NewServer(h)
	}
	s.URL = s.srv.URL
	s.Endpoint = strings.TrimPrefix(strings.TrimPrefix(s.srv.URL, "https://"), "http://")
	return s
}

// Close stops the server.
func (s *Server) Close() { s.srv.Close() }

// Client returns a minio-go client for this server with its credentials,
// path-style addressing and, with TLS on, trust in exactly its certificate,
// so tests drive the server through the same client the operator uses.
func (s *Server) Client(t testing.TB) *minio.Client {
	t.Helper()
	opts := &minio.Options{Creds: credentials.NewStaticV4(s.AccessKey, s.SecretKey, ""), Region: s.Region, BucketLookup: minio.BucketLookupPath}
	if s.CACertPEM != nil {
		pool := x509.NewCertPool()
		pool.AppendCertsFromPEM(s.CACertPEM)
		opts.Secure = true
		opts.Transport = &http.Transport{TLSClientConfig: &tls.Config{RootCAs: pool, MinVersion: tls.VersionTLS12}}
	}
	c, err := minio.New(s.Endpoint, opts)
	if err != nil {
		t.Fatalf("s3test client: %v", err)
	}
	return c
}

// CreateBucket makes a bucket directly in the backend.
func (s *Server) CreateBucket(name string) error { return s.Backend.CreateBucket(name) }

// OnRequest installs a hook run before each authenticated request is served
// (nil removes it); tests use it to interrupt uploads at a chosen point.
func (s *Server) OnRequest(hook func(*http.Request)) {
	s.mu.Lock()
	s.hook = hook
	s.mu.Unlock()
}

// auth verifies AWS Signature V4 headers against the server's one key pair.
func (s *Server) auth(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if code, msg := s.verify(r); code != "" {
			w.Header().Set("Content-Type", "application/xml")
			w.WriteHeader(http.StatusForbidden)
			fmt.Fprintf(w, `<?xml version="1.0" encoding="UTF-8"?><Error><Code>%s</Code><Message>%s</Message><Resource>%s</Resource><RequestId>1</RequestId></Error>`, code, msg, r.URL.Path)
			return
		}
		if strings.HasPrefix(r.Header.Get("X-Amz-Content-Sha256"), "STREAMING-") {
			dechunk(r)
		}
		s.mu.Lock()
		hook := s.hook
		s.mu.Unlock()
		if hook != nil {
			hook(r)
		}
		next.ServeHTTP(w, r)
	})
}

// verify returns an S3 error code when the request's signature is not valid.
func (s *Server) verify(r *http.Request) (code, msg string) {
	const algo = "AWS4-HMAC-SHA256"
	authz := r.Header.Get("Authorization")
	if !strings.HasPrefix(authz, algo+" ") {
		return "AccessDenied", "Access Denied."
	}
	fields := map[string]string{}
	for _, part := range strings.Split(strings.TrimPrefix(authz, algo+" "), ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = v
	}
	cred := strings.Split(fields["Credential"], "/")
	if len(cred) != 5 {
		return "AuthorizationHeaderMalformed", "The authorization header is malformed."
	}
	if cred[0] != s.AccessKey {
		return "InvalidAccessKeyId", "The AWS Access Key Id you provided does not exist in our records."
	}
	signed := strings.Split(fields["SignedHeaders"], ";")
	sort.Strings(signed)
	var canonHeaders strings.Builder
	for _, h := range signed {
		v := ""
		if h == "host" {
			v = r.Host
		} else {
			vals := r.Header.Values(h)
			for i := range vals {
				vals[i] = strings.Join(strings.Fields(vals[i]), " ")
			}
			v = strings.Join(vals, ",")
		}
		canonHeaders.WriteString(h + ":" + v + "\n")
	}
	payload := r.Header.Get("X-Amz-Content-Sha256")
	if payload == "" {
		payload = "UNSIGNED-PAYLOAD"
	}
	canon := strings.Join([]string{
		r.Method,
		s3utils.EncodePath(r.URL.Path),
		strings.ReplaceAll(r.URL.Query().Encode(), "+", "%20"),
		canonHeaders.String(),
		strings.Join(signed, ";"),
		payload,
	}, "\n")
	sum := sha256.Sum256([]byte(canon))
	amzDate := r.Header.Get("X-Amz-Date")
	scope := strings.Join(cred[1:], "/")
	toSign := algo + "\n" + amzDate + "\n" + scope + "\n" + hex.EncodeToString(sum[:])
	key := []byte("AWS4" + s.SecretKey)
	for _, p := range cred[1:] {
		key = hmacSHA256(key, p)
	}
	want := hex.EncodeToString(hmacSHA256(key, toSign))
	if !hmac.Equal([]byte(want), []byte(fields["Signature"])) {
		return "SignatureDoesNotMatch", "The request signature we calculated does not match the signature you provided."
	}
	return "", ""
}

func hmacSHA256(key []byte, data string) []byte {
	m := hmac.New(sha256.New, key)
	m.Write([]byte(data))
	return m.Sum(nil)
}

// dechunk turns an aws-chunked body (streaming SigV4 uploads, which minio-go
// uses for plain-HTTP uploads) into the plain payload gofakes3 expects. Chunk
// signatures are not checked; the request's seed signature was.
func dechunk(r *http.Request) {
	br := bufio.NewReader(r.Body)
	pr, pw := io.Pipe()
	go func() {
		for {
			line, err := br.ReadString('\n')
			if err != nil {
				pw.CloseWithError(fmt.Errorf("aws-chunked: %w", err))
				return
			}
			sizeHex, _, _ := strings.Cut(strings.TrimSpace(line), ";")
			n, err := strconv.ParseInt(sizeHex, 16, 64)
			if err != nil {
				pw.CloseWithError(fmt.Errorf("aws-chunked: bad chunk size %q", sizeHex))
				return
			}
			if n == 0 {
				pw.Close()
				return
			}
			if _, err := io.CopyN(pw, br, n); err != nil {
				pw.CloseWithError(err)
				return
			}
			if _, err := br.Discard(2); err != nil { // CRLF after the data
				pw.CloseWithError(err)
				return
			}
		}
	}()
	orig := r.Body
	r.Body = struct {
		io.Reader
		io.Closer
	}{pr, orig}
	if n, err := strconv.ParseInt(r.Header.Get("X-Amz-Decoded-Content-Length"), 10, 64); err == nil {
		r.ContentLength = n
		r.Header.Set("Content-Length", strconv.FormatInt(n, 10))
	}
	r.Header.Set("X-Amz-Content-Sha256", "UNSIGNED-PAYLOAD")
	r.Header.Del("X-Amz-Trailer")
	if ce := strings.TrimSpace(strings.ReplaceAll(r.Header.Get("Content-Encoding"), "aws-chunked", "")); ce == "" || ce == "," {
		r.Header.Del("Content-Encoding")
	}
}
