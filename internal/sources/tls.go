package sources

import (
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net/http"

	"github.com/crmlens/crmlens/analytics/store/storeerr"
)

// caBundle returns the PEM CA bundle named by env, or nil (the system pool)
// when the plan names none. A named but empty bundle is returned as an empty,
// non-nil slice, which the stores refuse (InvalidConfig) rather than falling
// back to the system pool unnoticed.
func caBundle(creds Creds, env string) []byte {
	if env == "" {
		return nil
	}
	return []byte(creds(env))
}

// httpTransport is the HTTP source's transport: the default one, with
// verification against caPEM when given (instead of the system pool), or
// without verification when the DataSource explicitly sets
// insecureSkipVerify.
func httpTransport(insecure bool, caPEM []byte) (http.RoundTripper, error) {
	if !insecure && caPEM == nil {
		return http.DefaultTransport, nil
	}
	t := http.DefaultTransport.(*http.Transport).Clone()
	tc := &tls.Config{MinVersion: tls.VersionTLS12, InsecureSkipVerify: insecure} //nolint:gosec // insecure only by explicit user choice
	if caPEM != nil {
		pool := x509.NewCertPool()
		if !pool.AppendCertsFromPEM(caPEM) {
			return nil, fmt.Errorf("%w: caSecretRef holds no PEM certificate", storeerr.ErrInvalidConfig)
		}
		tc.RootCAs = pool
	}
	t.TLSClientConfig = tc
	return t, nil
}

// isTLSError recognises a failed handshake or certificate check, so an
// untrusted certificate is reported as TLSFailed, not Unreachable.
func isTLSError(err error) bool {
	var certErr *tls.CertificateVerificationError
	var uaErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invErr x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	return errors.As(err, &certErr) || errors.As(err, &uaErr) || errors.As(err, &hostErr) ||
		errors.As(err, &invErr) || errors.As(err, &recErr)
}
