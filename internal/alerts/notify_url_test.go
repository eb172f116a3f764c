package alerts

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"
)

// TestNotifierMalformedURLHidden: a URL that does not parse fails at once,
// and the error (which becomes an Event) does not quote it.
func TestNotifierMalformedURLHidden(t *testing.T) {
	for _, url := range []string{"http://127.0.0.1:1/%zz/tok-abc123", "http://[::1/tok-abc123", "http://host:port/tok-abc123"} {
		err := (&Notifier{Attempts: 3, Backoff: time.Millisecond}).Post(context.Background(), url, []Alert{{Labels: map[string]string{"alertname": "x"}}})
		var pe *PermanentError
		if !errors.As(err, &pe) {
			t.Errorf("%s: err = %v, want a permanent error", url, err)
			continue
		}
		if strings.Contains(err.Error(), "tok-abc123") || !strings.Contains(err.Error(), "invalid webhook URL") {
			t.Errorf("%s: error %q quotes the URL or does not say what is wrong", url, err)
		}
	}
}
