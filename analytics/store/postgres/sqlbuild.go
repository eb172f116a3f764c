package postgres

import (
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode/utf8"

	"github.com/jackc/pgx/v5/pgtype"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/txn"
)

// builder collects bind parameters; SQL text only ever holds placeholders and
// quoted identifiers. arg returns a token (NUL-delimited: a NUL can never
// occur in SQL text) that finish turns into $n, so parameters a query ends up
// not using are not bound (PostgreSQL refuses untyped unused parameters).
type builder struct{ vals []any }

func (b *builder) arg(v any) string {
	b.vals = append(b.vals, v)
	return "\x00" + strconv.Itoa(len(b.vals)-1) + "\x00"
}

// finish replaces the tokens in sql with $1, $2, ... in order of first use.
func (b *builder) finish(sql string) (string, []any) {
	var out strings.Builder
	var args []any
	num := map[int]int{}
	for {
		i := strings.IndexByte(sql, 0)
		if i < 0 {
			out.WriteString(sql)
			return out.String(), args
		}
		j := strings.IndexByte(sql[i+1:], 0) + i + 1
		idx, _ := strconv.Atoi(sql[i+1 : j])
		n, ok := num[idx]
		if !ok {
			args = append(args, b.vals[idx])
			n = len(args)
			num[idx] = n
		}
		out.WriteString(sql[:i] + "$" + strconv.Itoa(n))
		sql = sql[j+1:]
	}
}

// exprs are the per-row SQL expressions of a resolved schema.
type exprs struct {
	cust, order, instant, day, money, channel string
	// moneyRaw means money is the source column itself (integers, or numeric
	// with at most four decimals): exact without per-row conversion, it is
	// turned into Money units only after summing, which saves a numeric
	// multiply and round on every row.
	moneyRaw                          bool
	category, product, quantity, gift string
	kind                              string // refund kind of a row (kindExpr), with refunds netted
}

// textExpr renders a column as text. Values are taken as stored: unlike the
// file reader, which trims the spaces CSV exports pad fields with, SQL does not
// trim (btrim on every row costs more than the whole GROUP BY's scan).
func textExpr(c *column) string {
	if isText(c.oid) && c.oid != pgtype.BPCharOID {
		return c.ident()
	}
	return c.ident() + "::text"
}

func (cfg *Config) exprs(s *schema, b *builder) exprs {
	var e exprs
	e.cust = textExpr(s.cols[fCustomer])
	if s.has(fOrder) {
		e.order = "COALESCE(" + textExpr(s.cols[fOrder]) + ", '')"
	} else {
		e.order = "''"
	}
	tz := b.arg(cfg.loc().String())
	t := s.cols[fTime]
	switch t.oid {
	case pgtype.TimestamptzOID:
		e.instant = t.ident()
		e.day = "((" + t.ident() + " AT TIME ZONE " + tz + ")::date - DATE '1970-01-01')"
	case pgtype.TimestampOID:
		e.instant = "(" + t.ident() + " AT TIME ZONE " + tz + ")"
		e.day = "(" + t.ident() + "::date - DATE '1970-01-01')"
	default: // date
		e.instant = "(" + t.ident() + "::timestamp AT TIME ZONE " + tz + ")"
		e.day = "(" + t.ident() + " - DATE '1970-01-01')"
	}
	a := s.cols[fAmount]
	switch {
	case a == nil:
		// amount = quantity × unit price, the price rounded to Money's four
		// decimals first, exactly as the file reader does.
		e.money = "(round(" + s.cols[fPrice].ident() + "::numeric * " + strconv.Itoa(txn.MoneyScale) + ")::bigint * " +
			s.cols[fQuantity].ident() + "::bigint)"
	case isInteger(a.oid), a.numericScale() >= 0 && a.numericScale() <= 4:
		e.money, e.moneyRaw = a.ident(), true
	default:
		e.money = "round(" + a.ident() + "::numeric * " + strconv.Itoa(txn.MoneyScale) + ")::bigint"
	}
	label := b.arg(cfg.Channel)
	if s.has(fChannel) {
		e.channel = "NULLIF(COALESCE(NULLIF(" + textExpr(s.cols[fChannel]) + ", ''), " + label + "::text), '')"
	} else {
		e.channel = label + "::text"
	}
	opt := func(f int) string {
		if s.has(f) {
			return "COALESCE(" + textExpr(s.cols[f]) + ", '')"
		}
		return "''"
	}
	e.category, e.product = opt(fCategory), opt(fProduct)
	if s.has(fQuantity) {
		e.quantity = "COALESCE(" + s.cols[fQuantity].ident() + "::bigint, 0)"
	} else {
		e.quantity = "0"
	}
	switch {
	case !s.has(fGift):
		e.gift = "false"
	case s.cols[fGift].oid == pgtype.BoolOID:
		e.gift = "COALESCE(" + s.cols[fGift].ident() + ", false)"
	default:
		e.gift = "COALESCE(" + s.cols[fGift].ident() + " <> 0, false)"
	}
	return e
}

// toMoney turns a sum of the money column into Money units (bigint).
func (e exprs) toMoney(sum string) string {
	if e.moneyRaw {
		return "(" + sum + " * " + strconv.Itoa(txn.MoneyScale) + ")::bigint"
	}
	return "(" + sum + ")::bigint"
}

// reasonCodes number the reject reasons in SQL: a small integer is cheaper to
// carry and compare than text on every row.
var reasonCodes = []txn.RejectReason{
	txn.RejectMalformed, txn.RejectMissingCustomer, txn.RejectOutOfWindow, txn.RejectGift,
	txn.RejectNonPositive, txn.RejectRefund, txn.RejectBelowMinimum, txn.RejectDuplicate,
	txn.RejectAboveMaximum, txn.RejectCancellation, txn.RejectReturn,
}

// nettedKinds are the codes of column rf (a kept refund line's kind), 1-based.
var nettedKinds = []txn.RejectReason{txn.RejectRefund, txn.RejectCancellation, txn.RejectReturn}

// kindConds are the SQL conditions of a cancellation (order ID with the
// prefix) and a return (negative quantity); "" when the rules or the source
// cannot produce them.
func kindConds(e exprs, s *schema, r clean.Rules, b *builder) (cancel, ret string) {
	if r.CancellationPrefix != "" && s.has(fOrder) {
		// left() counts characters; the prefix is compared as text.
		cancel = "left(" + e.order + ", " + strconv.Itoa(utf8.RuneCountInString(r.CancellationPrefix)) + ") = " + b.arg(r.CancellationPrefix) + "::text"
	}
	if s.has(fQuantity) {
		ret = e.quantity + " < 0"
	}
	return cancel, ret
}

// kindExpr is a kept row's refund kind (1 refund, 2 cancellation, 3 return,
// 0 a purchase), in clean.Cleaner.Check's order.
func kindExpr(e exprs, s *schema, r clean.Rules, b *builder) string {
	cancel, ret := kindConds(e, s, r, b)
	w := "CASE"
	if cancel != "" {
		w += " WHEN " + cancel + " THEN 2"
	}
	if ret != "" {
		w += " WHEN " + ret + " THEN 3"
	}
	return w + " WHEN " + e.money + " < 0 THEN 1 ELSE 0 END"
}

func reasonCode(r txn.RejectReason) int {
	for i, c := range reasonCodes {
		if c == r {
			return i + 1
		}
	}
	panic("postgres: unknown reject reason " + string(r))
}

// reasonCase is a CASE expression giving the reject reason code of a row (NULL when
// accepted), in clean.Cleaner.Check's order. Duplicates are decided later, over
// the rows this accepts.
func reasonCase(e exprs, s *schema, r clean.Rules, b *builder) (string, []txn.RejectReason) {
	var w strings.Builder
	w.WriteString("CASE")
	var used []txn.RejectReason
	when := func(cond string, reason txn.RejectReason) {
		if !slices.Contains(used, reason) {
			used = append(used, reason)
		}
		w.WriteString(" WHEN " + cond + " THEN " + strconv.Itoa(reasonCode(reason)))
	}
	// The file reader refuses rows whose time or amount does not parse; NULL is the SQL equivalent.
	when(e.instant+" IS NULL OR "+e.money+" IS NULL", txn.RejectMalformed)
	when("COALESCE("+e.cust+", '') = ''", txn.RejectMissingCustomer)
	if !r.WindowStart.IsZero() {
		when(e.instant+" < "+b.arg(r.WindowStart.Format(time.RFC3339Nano))+"::timestamptz", txn.RejectOutOfWindow)
	}
	if !r.AsOf.IsZero() {
		when(e.instant+" > "+b.arg(r.AsOf.Format(time.RFC3339Nano))+"::timestamptz", txn.RejectOutOfWindow)
	}
	giftish := e.gift
	if !s.has(fGift) {
		giftish = e.money + " = 0"
	}
	if r.DropGifts {
		when(giftish, txn.RejectGift)
	}
	if s.has(fGift) {
		when("NOT "+e.gift+" AND "+e.money+" = 0", txn.RejectNonPositive)
	}
	if r.Refunds != clean.RefundNet {
		cancel, ret := kindConds(e, s, r, b)
		if cancel != "" {
			when(cancel, txn.RejectCancellation)
		}
		if ret != "" {
			when(ret, txn.RejectReturn)
		}
		when(e.money+" < 0", txn.RejectRefund)
	}
	if r.MinAmount > 0 {
		limit := b.arg(int64(r.MinAmount))
		if e.moneyRaw {
			limit = b.arg(r.MinAmount.String()) + "::numeric"
		}
		when(e.money+" > 0 AND "+e.money+" < "+limit, txn.RejectBelowMinimum)
	}
	if r.MaxAmount > 0 {
		// A bind parameter like the minimum, in the unit of the money expression.
		limit := b.arg(int64(r.MaxAmount))
		if e.moneyRaw {
			limit = b.arg(r.MaxAmount.String()) + "::numeric"
		}
		when(e.money+" > "+limit, txn.RejectAboveMaximum)
	}
	w.WriteString(" END")
	return w.String(), used
}

func isText(oid uint32) bool {
	return oid == pgtype.TextOID || oid == pgtype.VarcharOID || oid == pgtype.BPCharOID || oid == pgtype.NameOID
}
