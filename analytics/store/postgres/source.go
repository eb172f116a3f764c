package postgres

import (
	"context"
	"errors"
	"io"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/crmlens/crmlens/analytics/aggregate"
	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/input"
	"github.com/crmlens/crmlens/analytics/txn"
)

// Source returns the table or query as an input.Source for the raw-row path
// (methods that need single transactions: basket, timing, cohorts, forecast).
// Open streams the rows with COPY ... TO STDOUT (CSV) inside a read-only
// transaction; pgx passes the stream through as the server sends it, so memory
// stays constant. Rows then go through the same parser and cleaning rules as
// a file (aggregate.Build / aggregate.Scan), so both paths agree by construction.
//
// ctx bounds every stream opened from the source; closing the stream early
// cancels the COPY.
func Source(ctx context.Context, cfg Config) (input.Source, error) {
	if err := cfg.Validate(); err != nil {
		return input.Source{}, err
	}
	name := "postgres:" + cfg.Table
	if cfg.Table == "" {
		name = "postgres:query"
	}
	opts := input.Options{
		Format: "csv",
		// The COPY renders columns under the reader's default names, times as UTC wall clock.
		Location: time.UTC,
	}
	return input.ReaderSource(name, func() (io.ReadCloser, error) { return cfg.openCopy(ctx) }, opts, cfg.Channel), nil
}

// copyStream is the reading end of a COPY running in a goroutine.
type copyStream struct {
	*io.PipeReader
	cancel context.CancelFunc
	done   chan struct{}
}

func (c *copyStream) Close() error {
	c.cancel()
	err := c.PipeReader.Close()
	<-c.done
	return err
}

func (cfg *Config) openCopy(parent context.Context) (io.ReadCloser, error) {
	ctx, cancel := context.WithCancel(parent)
	conn, err := cfg.connect(ctx)
	if err != nil {
		cancel()
		return nil, err
	}
	fail := func(err error) (io.ReadCloser, error) {
		conn.Close(context.WithoutCancel(ctx))
		cancel()
		return nil, err
	}
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{AccessMode: pgx.ReadOnly})
	if err != nil {
		return fail(cfg.wrap(ctx, "begin", err))
	}
	// COPY takes no bind parameters, so the zone goes in as a session setting.
	if _, err := tx.Exec(ctx, "SELECT set_config('TimeZone', $1, true)", cfg.loc().String()); err != nil {
		return fail(cfg.wrap(ctx, "set time zone", err))
	}
	s, err := cfg.describe(ctx, conn)
	if err != nil {
		return fail(err)
	}
	sql, err := cfg.copyQuery(s)
	if err != nil {
		return fail(err)
	}
	pr, pw := io.Pipe()
	cs := &copyStream{PipeReader: pr, cancel: cancel, done: make(chan struct{})}
	go func() {
		defer close(cs.done)
		_, err := conn.PgConn().CopyTo(ctx, pw, sql)
		if err != nil {
			if errors.Is(err, io.ErrClosedPipe) || ctx.Err() != nil && parent.Err() == nil {
				err = nil // the reader stopped early
			} else {
				err = cfg.wrap(ctx, "copy", err)
			}
		}
		_ = tx.Rollback(context.WithoutCancel(ctx))
		conn.Close(context.WithoutCancel(ctx))
		pw.CloseWithError(err)
	}()
	return cs, nil
}

// copyQuery renders the mapped columns under the file reader's default names;
// optional fields the source lacks are left out, so the reader sees them unmapped.
func (cfg *Config) copyQuery(s *schema) (string, error) {
	rel, err := cfg.relation()
	if err != nil {
		return "", err
	}
	t := s.cols[fTime]
	var ts string
	switch t.oid {
	case pgtype.TimestamptzOID:
		ts = "(" + t.ident() + " AT TIME ZONE 'UTC')"
	default: // timestamp and date are wall clock in the session zone (cfg.Location)
		ts = "(" + t.ident() + "::timestamptz AT TIME ZONE 'UTC')"
	}
	cols := []string{s.cols[fCustomer].ident() + " AS customer_id", ts + " AS \"timestamp\""}
	// Without an amount column the reader multiplies quantity × unit_price,
	// as it does for a file.
	for _, f := range []struct {
		field int
		name  string
	}{{fAmount, "amount"}, {fPrice, "unit_price"}, {fOrder, "order_id"}, {fChannel, "channel"}, {fCategory, "category"}, {fProduct, "product"}, {fQuantity, "quantity"}, {fGift, "gift"}} {
		if s.has(f.field) {
			cols = append(cols, s.cols[f.field].ident()+" AS "+pgx.Identifier{f.name}.Sanitize())
		}
	}
	sql := "COPY (SELECT "
	for i, c := range cols {
		if i > 0 {
			sql += ", "
		}
		sql += c
	}
	return sql + " FROM " + rel + ") TO STDOUT WITH (FORMAT csv, HEADER true)", nil
}

// Transactions streams the source's accepted transactions (after rules, in
// the source's row order) to fn in batches of up to batch (0 means 10000),
// for methods that need single lines. fn must not keep the slice. Memory is
// one batch; rows travel through COPY as in Source.
func Transactions(ctx context.Context, cfg Config, rules clean.Rules, batch int, fn func([]txn.Transaction) error) error {
	if batch <= 0 {
		batch = 10000
	}
	src, err := Source(ctx, cfg)
	if err != nil {
		return err
	}
	buf := make([]txn.Transaction, 0, batch)
	err = aggregate.Scan(ctx, []input.Source{src}, rules, func(t *txn.Transaction) error {
		buf = append(buf, *t)
		if len(buf) == batch {
			err := fn(buf)
			buf = buf[:0]
			return err
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(buf) > 0 {
		return fn(buf)
	}
	return nil
}
