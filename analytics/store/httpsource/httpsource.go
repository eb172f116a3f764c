// Package httpsource reads transactions as CSV (or Parquet) over HTTP(S):
// an optional authentication header whose value comes from a Secret, a
// timeout, a size limit, and errors that name the status code but never the
// header value or credentials in the URL.
package httpsource

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/store/storeerr"
	"github.com/crmlens/crmlens/analytics/txn"
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
	ErrTooLarge       = storeerr.ErrTooLarge
	ErrBadStatus      = storeerr.ErrBadStatus
	ErrSchemaMismatch = storeerr.ErrSchemaMismatch
)

// DefaultMaxBytes is the size limit when Config.MaxBytes is 0.
const DefaultMaxBytes = 1 << 30

// Config says what to fetch and how.
type Config struct {
	URL string // http:// or https://
	// HeaderName and HeaderValue add one request header, e.g. "Authorization"
	// and "Bearer …". HeaderName defaults to Authorization when a value is given.
	HeaderName  string
	HeaderValue string
	// Headers are further request headers (see ParseHeaders); their values are
	// secret like HeaderValue: never in messages, dropped on a redirect to
	// another host.
	Headers http.Header
	// Timeout bounds one whole download, body included; 0 means 10 minutes.
	Timeout time.Duration
	// MaxBytes is the largest body accepted (after any Content-Encoding the
	// transport undoes, before gzip detection of the data); 0 means DefaultMaxBytes.
	MaxBytes int64
	// CACertPEM is the PEM CA bundle to verify the server with; nil uses the system pool.
	CACertPEM []byte
	// InsecureSkipVerify turns certificate verification off; explicit only.
	InsecureSkipVerify bool
	Options            input.Options
	Channel            string
}

// safeURL is the URL without credentials or query (which may carry tokens), for messages.
func (c *Config) safeURL() string {
	u, err := url.Parse(c.URL)
	if err != nil {
		return "(unparseable URL)"
	}
	return u.Scheme + "://" + u.Host + u.Path
}

func (c *Config) secrets() []string {
	s := []string{c.HeaderValue}
	for _, vs := range c.Headers {
		s = append(s, vs...)
	}
	if u, err := url.Parse(c.URL); err == nil {
		if p, ok := u.User.Password(); ok {
			s = append(s, p)
		}
		if u.RawQuery != "" {
			s = append(s, u.RawQuery)
		}
	}
	return s
}

func (c *Config) validate() (*url.URL, error) {
	u, err := url.Parse(c.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" {
		return nil, fmt.Errorf("%w: url must be http(s)://host/path", ErrInvalidConfig)
	}
	if c.MaxBytes < 0 || c.Timeout < 0 {
		return nil, fmt.Errorf("%w: maxBytes and timeout must not be negative", ErrInvalidConfig)
	}
	if strings.ContainsAny(c.HeaderName, " :\r\n") || strings.ContainsAny(c.HeaderValue, "\r\n") {
		return nil, fmt.Errorf("%w: header name or value has forbidden characters", ErrInvalidConfig)
	}
	for k, vs := range c.Headers {
		if k == "" || strings.ContainsAny(k, " :\r\n") {
			return nil, fmt.Errorf("%w: header name %q has forbidden characters", ErrInvalidConfig, k)
		}
		for _, v := range vs {
			if strings.ContainsAny(v, "\r\n") {
				return nil, fmt.Errorf("%w: header %s: value has forbidden characters", ErrInvalidConfig, k)
			}
		}
	}
	return u, nil
}

// ParseHeaders reads request headers given one "Name: value" per line, the
// form a Secret holds them in. Blank lines are skipped; a line without a
// colon is an error that names its number, never its text (it may be a token).
func ParseHeaders(text string) (http.Header, error) {
	h := http.Header{}
	for i, line := range strings.Split(text, "\n") {
		if strings.TrimSpace(line) == "" {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		k = strings.TrimSpace(k)
		if !ok || k == "" || strings.ContainsAny(k, " \t") {
			return nil, fmt.Errorf("%w: headers line %d is not of the form \"Name: value\"", ErrInvalidConfig, i+1)
		}
		h.Add(k, strings.TrimSpace(v))
	}
	return h, nil
}

func (c *Config) client() (*http.Client, error) {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: c.InsecureSkipVerify} //nolint:gosec // explicit opt-in only
	if c.CACertPEM != nil {                                                                   // named but empty is refused, never the system pool
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(c.CACertPEM) {
			return nil, fmt.Errorf("%w: caSecretRef holds no PEM certificate", ErrInvalidConfig)
		}
		tc.RootCAs = pool
	}
	tr.TLSClientConfig = tc
	return &http.Client{
		Transport: tr,
		// A redirect to another host must not receive the secret header.
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 5 {
				return errors.New("too many redirects")
			}
			if req.URL.Host != via[0].URL.Host {
				req.Header.Del(c.headerName())
				for k := range c.Headers {
					req.Header.Del(k)
				}
			}
			return nil
		},
	}, nil
}

func (c *Config) headerName() string {
	if c.HeaderName == "" {
		return "Authorization"
	}
	return c.HeaderName
}

// wrap classifies err and removes secrets from its text.
func (c *Config) wrap(err error) error {
	kind := kindOf(err)
	var e error
	if kind == nil {
		e = fmt.Errorf("http source %s: %w", c.safeURL(), err)
	} else {
		e = fmt.Errorf("http source %s: %w: %w", c.safeURL(), kind, err)
	}
	return storeerr.Redact(e, c.secrets()...)
}

func kindOf(err error) error {
	var certErr *tls.CertificateVerificationError
	var uaErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var recErr tls.RecordHeaderError
	switch {
	case errors.As(err, &certErr), errors.As(err, &uaErr), errors.As(err, &hostErr), errors.As(err, &recErr):
		return ErrTLS
	case errors.Is(err, context.DeadlineExceeded):
		return ErrTimeout
	}
	var netErr net.Error
	if errors.As(err, &netErr) {
		if netErr.Timeout() {
			return ErrTimeout
		}
		return ErrUnreachable
	}
	return nil
}

// statusError is a non-2xx response.
type statusError struct{ code int }

func (e *statusError) Error() string {
	return fmt.Sprintf("status %d %s", e.code, http.StatusText(e.code))
}

// Is maps the status to the storeerr kinds (ErrBadStatus always): 401 is a
// refused credential, 403 a missing right, 502/503/504 a server that cannot
// be reached behind its proxy.
func (e *statusError) Is(target error) bool {
	switch target {
	case ErrBadStatus:
		return true
	case ErrAuthFailed:
		return e.code == http.StatusUnauthorized
	case ErrPermission:
		return e.code == http.StatusForbidden
	case ErrNotFound:
		return e.code == http.StatusNotFound || e.code == http.StatusGone
	case ErrUnreachable:
		return e.code == http.StatusBadGateway || e.code == http.StatusServiceUnavailable || e.code == http.StatusGatewayTimeout
	}
	return false
}

// StatusCode returns the HTTP status of a non-2xx error, or 0.
func StatusCode(err error) int {
	var se *statusError
	if errors.As(err, &se) {
		return se.code
	}
	return 0
}

// open performs the GET and returns the body bounded by the size limit and timeout.
func (c *Config) open(ctx context.Context) (io.ReadCloser, error) {
	if _, err := c.validate(); err != nil {
		return nil, err
	}
	cl, err := c.client()
	if err != nil {
		return nil, err
	}
	timeout := c.Timeout
	if timeout == 0 {
		timeout = 10 * time.Minute
	}
	ctx, cancel := context.WithTimeout(ctx, timeout)
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.URL, nil)
	if err != nil {
		cancel()
		return nil, fmt.Errorf("%w: request for %s", ErrInvalidConfig, c.safeURL())
	}
	req.Header.Set("Accept", "text/csv, application/octet-stream;q=0.9, */*;q=0.5")
	for k, vs := range c.Headers { // the configured headers win over the default Accept
		req.Header.Del(k)
		for _, v := range vs {
			req.Header.Add(k, v)
		}
	}
	if c.HeaderValue != "" {
		req.Header.Set(c.headerName(), c.HeaderValue)
	}
	resp, err := cl.Do(req)
	if err != nil {
		cancel()
		return nil, c.wrap(err)
	}
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		io.Copy(io.Discard, io.LimitReader(resp.Body, 4096)) //nolint:errcheck // drain for reuse; the body may echo secrets, never shown
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("http source %s: %w", c.safeURL(), &statusError{resp.StatusCode})
	}
	limit := c.MaxBytes
	if limit == 0 {
		limit = DefaultMaxBytes
	}
	if resp.ContentLength > limit {
		resp.Body.Close()
		cancel()
		return nil, fmt.Errorf("http source %s: %w: Content-Length %d exceeds the limit of %d bytes", c.safeURL(), ErrTooLarge, resp.ContentLength, limit)
	}
	return &limitedBody{body: resp.Body, cancel: cancel, left: limit, limit: limit, cfg: c}, nil
}

// limitedBody fails the read once more than limit bytes arrive.
type limitedBody struct {
	body   io.ReadCloser
	cancel context.CancelFunc
	left   int64
	limit  int64
	read   int64
	cfg    *Config
}

func (b *limitedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, fmt.Errorf("http source %s: %w: body exceeds the limit of %d bytes", b.cfg.safeURL(), ErrTooLarge, b.limit)
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1] // one byte beyond the limit tells "too large" from "exactly the limit"
	}
	n, err := b.body.Read(p)
	b.read += int64(n)
	b.left -= int64(n)
	if b.left < 0 {
		return n - int(-b.left), fmt.Errorf("http source %s: %w: body exceeds the limit of %d bytes", b.cfg.safeURL(), ErrTooLarge, b.limit)
	}
	if err != nil && !errors.Is(err, io.EOF) {
		err = b.cfg.wrap(err)
	}
	return n, err
}

func (b *limitedBody) Close() error {
	err := b.body.Close()
	b.cancel()
	return err
}

// BytesRead reports how many body bytes a stream opened by Source delivered.
func BytesRead(rc io.ReadCloser) int64 {
	if b, ok := rc.(*limitedBody); ok {
		return b.read
	}
	return -1
}

// Source returns an input.Source fetching the URL each time it is opened.
// ctx bounds every download.
func Source(ctx context.Context, cfg Config) (input.Source, error) {
	if _, err := cfg.validate(); err != nil {
		return input.Source{}, err
	}
	return input.ReaderSource(cfg.safeURL(), func() (io.ReadCloser, error) { return cfg.open(ctx) }, cfg.Options, cfg.Channel), nil
}

var errStop = errors.New("probe: enough rows")

type firstRow struct{}

func (firstRow) Record(*input.Record) error             { return errStop }
func (firstRow) Reject(int64, txn.RejectReason, string) {}

// Probe fetches the URL and parses the header and first row. Errors wrap
// ErrAuthFailed (401), ErrPermission (403), ErrNotFound (404/410),
// ErrUnreachable (no connection, 502/503/504), ErrTLS,
// ErrTimeout, ErrTooLarge, ErrBadStatus (any non-2xx), ErrSchemaMismatch or
// ErrInvalidConfig.
func Probe(ctx context.Context, cfg Config) error {
	src, err := Source(ctx, cfg)
	if err != nil {
		return err
	}
	err = input.Read(ctx, src, firstRow{})
	switch {
	case err == nil, errors.Is(err, errStop):
		return nil
	case errors.Is(err, ErrBadStatus), errors.Is(err, ErrUnreachable), errors.Is(err, ErrTLS), errors.Is(err, ErrTimeout),
		errors.Is(err, ErrTooLarge), errors.Is(err, ErrInvalidConfig), errors.Is(err, context.Canceled):
		return err
	default:
		return fmt.Errorf("%w: %w", ErrSchemaMismatch, err)
	}
}
