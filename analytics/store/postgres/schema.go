package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgtype"

	"github.com/crmlens/crmlens/analytics/input"
)

// field positions in a resolved mapping, in input.Mapping order.
const (
	fCustomer = iota
	fOrder
	fTime
	fAmount
	fChannel
	fCategory
	fProduct
	fQuantity
	fGift
	fPrice
	nFields
)

var fieldNames = [nFields]string{"customer", "order", "time", "amount", "channel", "category", "product", "quantity", "gift", "price"}

// defaultNames mirror the file reader's fallbacks so a table exported from the
// sample generator maps with no configuration at all.
var defaultNames = [nFields][]string{
	{"customer_id", "customer", "customerid", "client_id"},
	{"order_id", "order", "orderid", "invoice", "invoiceno"},
	{"timestamp", "time", "date", "order_date", "invoicedate"},
	{"amount", "revenue", "total", "line_amount", "line_total"},
	{"channel"},
	{"category"},
	{"product", "product_id", "sku", "stockcode"},
	{"quantity", "qty"},
	{"gift"},
	{"unitprice", "unit_price", "price"},
}

// column is one resolved source column.
type column struct {
	name string // as the server reports it
	oid  uint32 // type OID
	mod  int32  // type modifier (numeric precision and scale)
}

// numericScale is the declared scale of a numeric column, or -1 when unconstrained.
func (c column) numericScale() int {
	if c.oid != pgtype.NumericOID || c.mod < 4 {
		return -1
	}
	return int((c.mod - 4) & 0xffff)
}

// ident is the column quoted for SQL, qualified by the relation alias "src".
func (c column) ident() string { return "src." + pgx.Identifier{c.name}.Sanitize() }

// schema is the mapping resolved against the relation's columns.
type schema struct {
	cols [nFields]*column // nil when unmapped
}

func (s *schema) has(f int) bool { return s.cols[f] != nil }

// relation returns the FROM item for the table or query, aliased "src".
func (c *Config) relation() (string, error) {
	if c.Table != "" {
		parts := strings.Split(c.Table, ".")
		if len(parts) > 2 {
			return "", fmt.Errorf("%w: table %q: want name or schema.name", ErrInvalidConfig, c.Table)
		}
		for _, p := range parts {
			if p == "" {
				return "", fmt.Errorf("%w: table %q: empty name part", ErrInvalidConfig, c.Table)
			}
		}
		return pgx.Identifier(parts).Sanitize() + " AS src", nil
	}
	q := strings.TrimSpace(c.Query)
	q = strings.TrimRight(q, "; \t\n")
	if strings.Contains(q, ";") {
		// A second statement could write; the read-only transaction would refuse it,
		// but a clear message beats a server error.
		return "", fmt.Errorf("%w: query must be a single SELECT statement", ErrInvalidConfig)
	}
	return "(" + q + ") AS src", nil
}

// describe resolves the mapping by asking the server for the relation's row
// shape (a prepared statement is described, never executed).
func (c *Config) describe(ctx context.Context, conn *pgx.Conn) (*schema, error) {
	rel, err := c.relation()
	if err != nil {
		return nil, err
	}
	sd, err := conn.PgConn().Prepare(ctx, "", "SELECT * FROM "+rel, nil)
	if err != nil {
		return nil, c.wrap(ctx, "describe source", err)
	}
	return resolve(c.Mapping, sd.Fields)
}

func resolve(m input.Mapping, fields []pgconn.FieldDescription) (*schema, error) {
	mapped := [nFields]input.Column{m.Customer, m.Order, m.Time, m.Amount, m.Channel, m.Category, m.Product, m.Quantity, m.Gift, m.Price}
	if m.Price.IsSet() && m.Amount.IsSet() {
		return nil, fmt.Errorf("%w: amount and price are both mapped: map amount or price with quantity, not both", ErrInvalidConfig)
	}
	find := func(name string) int {
		for i, f := range fields {
			if strings.EqualFold(f.Name, strings.TrimSpace(name)) {
				return i
			}
		}
		return -1
	}
	var s schema
	for f := 0; f < nFields; f++ {
		idx := -1
		switch col := mapped[f]; {
		case col.Name != "":
			if idx = find(col.Name); idx < 0 {
				return nil, fmt.Errorf("%w: column %s=%q does not exist in the source", ErrSchemaMismatch, fieldNames[f], col.Name)
			}
		case col.Index > 0:
			if col.Index > len(fields) {
				return nil, fmt.Errorf("%w: column %s=%d: the source has only %d columns", ErrSchemaMismatch, fieldNames[f], col.Index, len(fields))
			}
			idx = col.Index - 1
		default:
			for _, n := range defaultNames[f] {
				if idx = find(n); idx >= 0 {
					break
				}
			}
		}
		if idx < 0 {
			if f == fCustomer || f == fTime {
				return nil, fmt.Errorf("%w: column %s is not mapped and no default-named column exists", ErrSchemaMismatch, fieldNames[f])
			}
			continue
		}
		c := &column{name: fields[idx].Name, oid: fields[idx].DataTypeOID, mod: fields[idx].TypeModifier}
		if err := checkType(f, c); err != nil {
			return nil, err
		}
		s.cols[f] = c
	}
	// As the file reader (input.Mapping): a line amount wins over a price;
	// a price is a unit price next to a quantity, else (found by name only)
	// the line amount.
	switch {
	case s.has(fAmount):
		s.cols[fPrice] = nil
	case s.has(fPrice) && !s.has(fQuantity):
		if mapped[fPrice].IsSet() {
			return nil, fmt.Errorf("%w: column price needs quantity (amount = quantity × price)", ErrInvalidConfig)
		}
		s.cols[fAmount], s.cols[fPrice] = s.cols[fPrice], nil
	case !s.has(fPrice):
		return nil, fmt.Errorf("%w: column amount is not mapped and no default-named column exists (map amount, or quantity and price)", ErrSchemaMismatch)
	}
	return &s, nil
}

// checkType refuses column types the pushdown cannot aggregate correctly.
func checkType(f int, c *column) error {
	ok := true
	want := ""
	switch f {
	case fTime:
		ok = c.oid == pgtype.TimestamptzOID || c.oid == pgtype.TimestampOID || c.oid == pgtype.DateOID
		want = "timestamptz, timestamp or date"
	case fAmount, fPrice:
		ok = isNumeric(c.oid)
		want = "numeric, integer or floating point"
	case fQuantity:
		ok = isInteger(c.oid) || c.oid == pgtype.NumericOID
		want = "integer"
	case fGift:
		ok = c.oid == pgtype.BoolOID || isInteger(c.oid)
		want = "boolean or integer"
	}
	if !ok {
		return fmt.Errorf("%w: column %s=%q has type OID %d, want %s", ErrSchemaMismatch, fieldNames[f], c.name, c.oid, want)
	}
	return nil
}

func isInteger(oid uint32) bool {
	return oid == pgtype.Int2OID || oid == pgtype.Int4OID || oid == pgtype.Int8OID
}

func isNumeric(oid uint32) bool {
	return isInteger(oid) || oid == pgtype.NumericOID || oid == pgtype.Float4OID || oid == pgtype.Float8OID
}

// Probe connects, checks that the table or query exists and that the mapped
// columns exist with usable types. Errors wrap ErrAuthFailed, ErrUnreachable,
// ErrTLS, ErrNotFound, ErrSchemaMismatch, ErrPermission or ErrInvalidConfig.
func Probe(ctx context.Context, cfg Config) error {
	if err := cfg.Validate(); err != nil {
		return err
	}
	conn, err := cfg.connect(ctx)
	if err != nil {
		return err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	_, err = cfg.describe(ctx, conn)
	return err
}

// ProbeEstimate is Probe that also returns the planner's estimate of the
// source's rows (EXPLAIN of the table or query: no scan, so it stays cheap
// on a warehouse; as fresh as the table's statistics). The estimate is -1
// when the plan cannot be read; the probe's verdict is the error.
func ProbeEstimate(ctx context.Context, cfg Config) (int64, error) {
	if err := cfg.Validate(); err != nil {
		return -1, err
	}
	conn, err := cfg.connect(ctx)
	if err != nil {
		return -1, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	if _, err := cfg.describe(ctx, conn); err != nil {
		return -1, err
	}
	rel, err := cfg.relation()
	if err != nil {
		return -1, err
	}
	var plan []struct {
		Plan struct {
			Rows float64 `json:"Plan Rows"`
		} `json:"Plan"`
	}
	var raw []byte
	if err := conn.QueryRow(ctx, "EXPLAIN (FORMAT JSON) SELECT * FROM "+rel).Scan(&raw); err != nil {
		// The source is readable; only the estimate is missing.
		return -1, nil
	}
	if json.Unmarshal(raw, &plan) != nil || len(plan) == 0 {
		return -1, nil
	}
	return int64(plan[0].Plan.Rows), nil
}
