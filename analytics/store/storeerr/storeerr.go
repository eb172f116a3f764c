// Package storeerr holds the error kinds every external store (PostgreSQL,
// object storage, HTTP) reports, so that callers — the DataSource probe in the
// reconciler, the run status — can map any backend's failure to one condition
// reason with errors.Is, without importing driver packages.
package storeerr

import (
	"errors"
	"strings"
)

// Error kinds. Backends wrap them (fmt.Errorf("...: %w", ErrX)) together with
// the driver error, so errors.Is works on both.
var (
	ErrInvalidConfig  = errors.New("invalid configuration")
	ErrAuthFailed     = errors.New("authentication failed")
	ErrUnreachable    = errors.New("server unreachable")
	ErrTLS            = errors.New("TLS handshake or certificate verification failed")
	ErrNotFound       = errors.New("not found")
	ErrSchemaMismatch = errors.New("schema mismatch")
	ErrPermission     = errors.New("permission denied")
	ErrTimeout        = errors.New("timed out")
	ErrTooLarge       = errors.New("size limit exceeded")
	ErrBadStatus      = errors.New("unexpected response status")
)

var reasons = []struct {
	kind   error
	reason string
}{
	{ErrInvalidConfig, "InvalidConfig"},
	{ErrAuthFailed, "AuthFailed"},
	{ErrTLS, "TLSFailed"},
	{ErrUnreachable, "Unreachable"},
	{ErrNotFound, "NotFound"},
	{ErrSchemaMismatch, "SchemaMismatch"},
	{ErrPermission, "PermissionDenied"},
	{ErrTimeout, "Timeout"},
	{ErrTooLarge, "TooLarge"},
	{ErrBadStatus, "BadStatus"},
}

// Reason maps an error to a CamelCase condition reason ("AuthFailed",
// "Unreachable", "SchemaMismatch", ...). Unknown errors give "Error"; nil gives "".
func Reason(err error) string {
	if err == nil {
		return ""
	}
	for _, r := range reasons {
		if errors.Is(err, r.kind) {
			return r.reason
		}
	}
	return "Error"
}

// Redact returns err with every non-empty secret replaced by "REDACTED" in its
// message, keeping errors.Is/As working through Unwrap. Backends pass their
// passwords, keys and header values so driver messages can never leak them.
func Redact(err error, secrets ...string) error {
	if err == nil {
		return nil
	}
	msg := err.Error()
	red := msg
	for _, s := range secrets {
		if s != "" {
			red = strings.ReplaceAll(red, s, "REDACTED")
		}
	}
	if red == msg {
		return err
	}
	return &redacted{msg: red, err: err}
}

type redacted struct {
	msg string
	err error
}

func (r *redacted) Error() string { return r.msg }
func (r *redacted) Unwrap() error { return r.err }
