package postgres

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"io"
	"net"
	"strings"
	"syscall"

	"github.com/jackc/pgx/v5/pgconn"
)

// classify wraps err with the storeerr kind that best explains it.
func classify(ctx context.Context, op string, err error) error {
	if err == nil {
		return nil
	}
	kind := kindOf(err)
	if kind == nil && ctx.Err() != nil {
		// Cancellation by the caller is not a server problem; keep the context error.
		return fmt.Errorf("%s: %w", op, errors.Join(ctx.Err(), err))
	}
	if kind == nil {
		return fmt.Errorf("%s: %w", op, err)
	}
	return fmt.Errorf("%s: %w: %w", op, kind, err)
}

func kindOf(err error) error {
	var pgErr *pgconn.PgError
	if errors.As(err, &pgErr) {
		switch {
		case pgErr.Code == "28P01" || pgErr.Code == "28000":
			return ErrAuthFailed
		case pgErr.Code == "3D000" || pgErr.Code == "42P01" || pgErr.Code == "3F000" || pgErr.Code == "42883":
			return ErrNotFound
		case pgErr.Code == "42703":
			return ErrSchemaMismatch
		case pgErr.Code == "42501":
			return ErrPermission
		case pgErr.Code == "57014":
			return ErrTimeout
		case pgErr.Code == "25006":
			return ErrInvalidConfig // the query tried to write
		case strings.HasPrefix(pgErr.Code, "08"), strings.HasPrefix(pgErr.Code, "57P"), pgErr.Code == "53300":
			return ErrUnreachable
		case strings.HasPrefix(pgErr.Code, "42"):
			return ErrInvalidConfig // syntax error or access rule violation in the configured query
		}
		return nil
	}
	var certErr *tls.CertificateVerificationError
	var uaErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invErr x509.CertificateInvalidError
	var recErr tls.RecordHeaderError
	if errors.As(err, &certErr) || errors.As(err, &uaErr) || errors.As(err, &hostErr) || errors.As(err, &invErr) || errors.As(err, &recErr) {
		return ErrTLS
	}
	if msg := err.Error(); strings.Contains(msg, "server refused TLS") || strings.Contains(msg, "tls:") {
		return ErrTLS
	}
	if errors.Is(err, context.DeadlineExceeded) || pgconn.Timeout(err) {
		return ErrTimeout
	}
	var netErr net.Error
	if errors.Is(err, syscall.ECONNREFUSED) || errors.Is(err, syscall.ECONNRESET) || errors.Is(err, syscall.EPIPE) ||
		errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.As(err, &netErr) {
		return ErrUnreachable
	}
	if strings.Contains(err.Error(), "conn closed") || strings.Contains(err.Error(), "connection refused") {
		return ErrUnreachable
	}
	return nil
}
