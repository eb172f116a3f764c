package storeerr

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

func TestReason(t *testing.T) {
	tests := []struct {
		err  error
		want string
	}{
		{nil, ""},
		{errors.New("boom"), "Error"},
		{fmt.Errorf("connect: %w: %w", ErrAuthFailed, errors.New("28P01")), "AuthFailed"},
		{fmt.Errorf("x: %w", fmt.Errorf("y: %w", ErrSchemaMismatch)), "SchemaMismatch"},
		{fmt.Errorf("x: %w", ErrNotFound), "NotFound"},
		{fmt.Errorf("x: %w", ErrUnreachable), "Unreachable"},
	}
	for _, tt := range tests {
		if got := Reason(tt.err); got != tt.want {
			t.Errorf("Reason(%v) = %q, want %q", tt.err, got, tt.want)
		}
	}
}

func TestRedact(t *testing.T) {
	base := fmt.Errorf("dial postgres://u:s3cret@h/db: %w", ErrUnreachable)
	got := Redact(base, "s3cret", "")
	if strings.Contains(got.Error(), "s3cret") || !strings.Contains(got.Error(), "REDACTED") {
		t.Fatalf("not redacted: %q", got)
	}
	if !errors.Is(got, ErrUnreachable) {
		t.Fatal("redaction lost the error kind")
	}
	if plain := errors.New("nothing secret"); Redact(plain, "s3cret") != plain { //nolint:errorlint // identity: the same error value must come back
		t.Fatal("error without secrets should be returned as is")
	}
}
