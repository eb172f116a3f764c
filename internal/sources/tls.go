package sources

import (
	"crypto/tls"
	"net/http"
)

// insecureTransport skips certificate verification; only used when the
// DataSource explicitly sets insecureSkipVerify.
func insecureTransport() http.RoundTripper {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // explicit user choice
	return t
}
