// Package objectstore is crmlens's S3-compatible object storage edge (AWS S3,
// MinIO, Ceph RGW, GCS interop, ...) through minio-go: transaction sources
// (one object or every object under a prefix, CSV or Parquet, optionally
// gzip), a result sink that makes a run visible only when it is complete, and
// a Probe for DataSource readiness.
//
// Secret keys and session tokens never appear in errors.
package objectstore

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"github.com/crmlens/crmlens/analytics/store/storeerr"
)

// Error kinds (aliases of the storeerr kinds).
var (
	ErrInvalidConfig  = storeerr.ErrInvalidConfig
	ErrAuthFailed     = storeerr.ErrAuthFailed
	ErrUnreachable    = storeerr.ErrUnreachable
	ErrTLS            = storeerr.ErrTLS
	ErrNotFound       = storeerr.ErrNotFound
	ErrPermission     = storeerr.ErrPermission
	ErrTimeout        = storeerr.ErrTimeout
	ErrSchemaMismatch = storeerr.ErrSchemaMismatch
)

// Config is how to reach the store.
type Config struct {
	// Endpoint is host[:port], or a URL whose scheme (http/https) decides TLS.
	// Empty means AWS S3 (s3.amazonaws.com).
	Endpoint string
	// DisableTLS uses plain HTTP for a bare host[:port] endpoint. TLS is the default.
	DisableTLS bool
	// InsecureSkipVerify turns certificate verification off; it must be chosen explicitly.
	InsecureSkipVerify bool
	// CACertPEM is the PEM CA bundle to verify the endpoint with; nil uses the
	// system pool. A non-nil bundle without a certificate is refused
	// (ErrInvalidConfig), so an empty Secret key never falls back silently.
	CACertPEM []byte
	Region    string // default us-east-1
	PathStyle bool   // bucket in the path rather than the host name (MinIO, most on-prem stores)

	AccessKey    string
	SecretKey    string
	SessionToken string

	Bucket string
}

func (c *Config) secrets() []string { return []string{c.SecretKey, c.SessionToken} }

// wrap classifies an error and removes secrets from its text.
func (c *Config) wrap(op string, err error) error {
	if err == nil {
		return nil
	}
	kind := kindOf(err)
	var e error
	if kind == nil {
		e = fmt.Errorf("objectstore: %s: %w", op, err)
	} else {
		e = fmt.Errorf("objectstore: %s: %w: %w", op, kind, err)
	}
	return storeerr.Redact(e, c.secrets()...)
}

func kindOf(err error) error {
	resp := minio.ToErrorResponse(err)
	var er minio.ErrorResponse
	if errors.As(err, &er) {
		resp = er
	}
	switch resp.Code {
	case "InvalidAccessKeyId", "SignatureDoesNotMatch", "InvalidToken", "ExpiredToken", "AuthorizationHeaderMalformed":
		return ErrAuthFailed
	case "AccessDenied", "AllAccessDisabled":
		return ErrPermission
	case "NoSuchBucket", "NoSuchKey", "NotFound":
		return ErrNotFound
	}
	switch resp.StatusCode {
	case http.StatusForbidden:
		return ErrPermission
	case http.StatusUnauthorized:
		return ErrAuthFailed
	case http.StatusNotFound:
		return ErrNotFound
	}
	var certErr *tls.CertificateVerificationError
	var uaErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	if errors.As(err, &certErr) || errors.As(err, &uaErr) || errors.As(err, &hostErr) || errors.As(err, &recErr) {
		return ErrTLS
	}
	if errors.Is(err, context.DeadlineExceeded) {
		return ErrTimeout
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		if netErr.Timeout() {
			return ErrTimeout
		}
		return ErrUnreachable
	}
	if strings.Contains(err.Error(), "connection refused") || strings.Contains(err.Error(), "no such host") {
		return ErrUnreachable
	}
	return nil
}

// client builds a minio-go client.
func (c *Config) client() (*minio.Client, error) {
	endpoint, secure := c.Endpoint, !c.DisableTLS
	if endpoint == "" {
		endpoint = "s3.amazonaws.com"
	}
	if strings.Contains(endpoint, "://") {
		u, err := url.Parse(endpoint)
		if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || (u.Path != "" && u.Path != "/") {
			return nil, fmt.Errorf("%w: endpoint %q: want host[:port] or http(s)://host[:port]", ErrInvalidConfig, c.Endpoint)
		}
		endpoint, secure = u.Host, u.Scheme == "https"
	}
	if c.Bucket == "" {
		return nil, fmt.Errorf("%w: bucket is required", ErrInvalidConfig)
	}
	tr, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, fmt.Errorf("objectstore: transport: %w", err)
	}
	if secure {
		tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // only when explicitly configured
		if c.CACertPEM != nil {
			pool := x509.NewCertPool()
			if !pool.AppendCertsFromPEM(c.CACertPEM) {
				return nil, fmt.Errorf("%w: caCert holds no PEM certificate", ErrInvalidConfig)
			}
			tc.RootCAs = pool
		}
		tr.TLSClientConfig = tc
	}
	tr.ResponseHeaderTimeout = 60 * time.Second
	region := c.Region
	if region == "" {
		region = "us-east-1"
	}
	lookup := minio.BucketLookupAuto
	if c.PathStyle {
		lookup = minio.BucketLookupPath
	}
	var creds *credentials.Credentials
	if c.AccessKey != "" {
		creds = credentials.NewStaticV4(c.AccessKey, c.SecretKey, c.SessionToken)
	} else {
		creds = credentials.NewStatic("", "", "", credentials.SignatureAnonymous)
	}
	cl, err := minio.New(endpoint, &minio.Options{Creds: creds, Secure: secure, Transport: tr, Region: region, BucketLookup: lookup, MaxRetries: 3})
	if err != nil {
		return nil, c.wrap("client", fmt.Errorf("%w: %w", ErrInvalidConfig, err))
	}
	return cl, nil
}

// checkBucket confirms the bucket exists and the credentials are accepted.
func (c *Config) checkBucket(ctx context.Context, cl *minio.Client) error {
	ok, err := cl.BucketExists(ctx, c.Bucket)
	if err != nil && errors.Is(kindOf(err), ErrPermission) {
		// HEAD answers carry no error code: a one-key listing (GET) tells bad
		// credentials from missing rights.
		lctx, cancel := context.WithCancel(ctx)
		if o, ok := <-cl.ListObjects(lctx, c.Bucket, minio.ListObjectsOptions{MaxKeys: 1}); ok {
			if o.Err != nil && errors.Is(kindOf(o.Err), ErrAuthFailed) {
				err = o.Err
			}
		}
		cancel()
	}
	if err != nil {
		return c.wrap("bucket "+c.Bucket, err)
	}
	if !ok {
		return fmt.Errorf("objectstore: bucket %q: %w", c.Bucket, ErrNotFound)
	}
	return nil
}
