package postgres

import (
	"context"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/crmlens/crmlens/analytics/clean"
	"github.com/crmlens/crmlens/analytics/customer"
	"github.com/crmlens/crmlens/analytics/txn"
)

// AggregateOptions mirror aggregate.Options for the pushdown path.
type AggregateOptions struct {
	Rules clean.Rules
	// History asks for per customer-day rows (customer.Customer.History).
	History bool
	// Daily asks for the daily revenue series (Set.Daily), for KPIs and
	// forecasts. Off, Set.Daily stays empty and the server saves a sort.
	Daily bool
	// Channels asks for Customer.Channels and Set.Channels (channel
	// breakdowns, VIP preferences). Off, they stay empty and the server saves
	// a per-customer DISTINCT.
	Channels bool
	// CLV asks for each customer's purchase days condensed in SQL around the
	// calibration end (Customer.Summary, Set.SummaryEnd): what a BG/NBD and
	// Gamma-Gamma fit needs, in one row per customer instead of one per
	// purchase day (History).
	CLV bool
	// CalibrationEnd is the CLV calibration end: its calendar day in its own
	// location, inclusive, as clv.Summaries takes it. Zero means the latest
	// purchase day, which is the engine's default when no as-of is declared.
	CalibrationEnd time.Time
}

// pushdownQuery builds the single-scan aggregation in up to three levels: the
// first computes each per-row expression once (OFFSET 0 keeps the planner from
// inlining them into every later reference; skipped when they are plain
// columns), the second the reject reason code, the last groups by customer. Rejected rows get a
// NULL customer key, so they all fall into one group where the reasons are
// counted; grouping sets add per customer-day (History) and per day (Daily)
// groups. Only the columns a request needs are carried into the sort.
//
// It returns the SQL, its arguments and the reject reasons it counts, in the
// order of the trailing count columns.
func (cfg *Config) pushdownQuery(s *schema, opts AggregateOptions) (string, []any, []txn.RejectReason, error) {
	rel, err := cfg.relation()
	if err != nil {
		return "", nil, nil, err
	}
	var b builder
	e := cfg.exprs(s, &b)
	dedupe := opts.Rules.DedupeOrders && s.has(fOrder)
	// MergeSameDay counts a customer's distinct purchase days as its orders.
	merge := opts.Rules.MergeSameDay
	needDay := opts.History || opts.Daily || opts.CLV || merge
	grouped := opts.History || opts.Daily || opts.CLV // more grouping sets than (k)
	chans := s.has(fChannel) && opts.Channels

	// With refunds netted, rf is a kept row's refund kind and a its signed
	// amount (cancellations and returns negative whatever their sign).
	netted := opts.Rules.Refunds == clean.RefundNet
	money := e.money
	if netted {
		e.kind = kindExpr(e, s, opts.Rules, &b)
		if cancel, ret := kindConds(e, s, opts.Rules, &b); cancel != "" || ret != "" {
			money = "CASE WHEN " + e.kind + " > 1 THEN -abs(" + e.money + ") ELSE " + e.money + " END"
		} // else only plain refunds, negative already
	}
	l1 := []string{e.cust + " AS k", e.order + " AS o", e.instant + " AS t", money + " AS a", e.gift + " AS g"}
	carry := []string{"k", "o", "t", "a"}
	if netted {
		l1 = append(l1, e.kind+" AS rf")
		carry = append(carry, "rf")
	}
	if needDay {
		l1 = append(l1, e.day+" AS d")
		carry = append(carry, "d")
	}
	if chans || dedupe {
		l1 = append(l1, e.channel+" AS ch")
		carry = append(carry, "ch")
	}
	if dedupe {
		l1 = append(l1, e.category+" AS cat", e.product+" AS prod")
	}
	if dedupe || s.has(fQuantity) {
		l1 = append(l1, e.quantity+" AS qty")
	}
	named := exprs{cust: "k", order: "o", instant: "t", day: "d", money: "a", channel: "ch", gift: "g", quantity: "qty", moneyRaw: e.moneyRaw}
	var rows string
	var reasons []txn.RejectReason
	if e.moneyRaw && !netted {
		// Every expression the reason refers to is a column or a cast: one level suffices.
		var reasonSQL string
		reasonSQL, reasons = reasonCase(e, s, opts.Rules, &b)
		rows = "(SELECT " + strings.Join(l1, ", ") + ", " + reasonSQL + " AS r FROM " + rel + " OFFSET 0) AS y"
	} else {
		var reasonSQL string
		reasonSQL, reasons = reasonCase(named, s, opts.Rules, &b)
		rows = "(SELECT *, " + reasonSQL + " AS r FROM (SELECT " + strings.Join(l1, ", ") +
			" FROM " + rel + " OFFSET 0) AS x OFFSET 0) AS y"
	}
	if dedupe {
		// clean.Cleaner refuses a line equal to an accepted earlier one; over a set
		// that is "every copy after the first" of each identical accepted line.
		rows = "(SELECT " + strings.Join(carry, ", ") + ", CASE WHEN r IS NULL AND row_number() OVER " +
			"(PARTITION BY r, k, o, t, a, ch, cat, prod, qty, g) > 1 THEN " + strconv.Itoa(reasonCode(txn.RejectDuplicate)) +
			" ELSE r END AS r FROM " + rows + ") AS w"
		reasons = append(reasons, txn.RejectDuplicate)
	}
	// Only accepted rows keep their keys; purchases (a >= 0) move First/Last and count orders.
	keyed := []string{"CASE WHEN r IS NULL THEN k END AS k", "r", "o", "t", "a"}
	if needDay {
		keyed = append(keyed, "CASE WHEN r IS NULL THEN d END AS d")
	}
	if chans {
		keyed = append(keyed, "ch")
	}
	if netted {
		keyed = append(keyed, "rf")
	}
	// filter keeps purchases (rf = 0): refunds, cancellations and returns
	// kept by RefundNet net revenue only. With refunds dropped every accepted
	// row is a purchase and the filters are left out.
	filter := func(agg, cond string) string {
		if netted {
			cond = strings.TrimPrefix(cond+" AND rf = 0", " AND ")
		}
		if cond == "" {
			return agg
		}
		return agg + " FILTER (WHERE " + cond + ")"
	}
	orders := filter("count(DISTINCT o)", "o <> ''") + " + " + filter("count(*)", "o = ''")
	if !s.has(fOrder) {
		orders = filter("count(*)", "")
	}
	gs, d, group := "1", "NULL::integer", " GROUP BY k" // 1 = gsCustomer
	if merge {
		days := filter("count(DISTINCT d)", "")
		if grouped {
			// Only the per-customer groups count days; per customer-day and
			// per-day groups keep counting orders, as aggregate.Build does.
			orders = "CASE WHEN GROUPING(k, d) = " + strconv.Itoa(gsCustomer) + " THEN " + days + " ELSE " + orders + " END"
		} else {
			orders = days
		}
	}
	if grouped {
		sets := []string{"(k)"}
		if opts.History || opts.CLV {
			sets = append(sets, "(k, d)")
		}
		if opts.Daily {
			sets = append(sets, "(d)")
		}
		gs, d, group = "GROUPING(k, d)", "d", " GROUP BY GROUPING SETS ("+strings.Join(sets, ", ")+")"
	}
	sel := []string{gs + " AS gs", "k", d, "count(*)", filter("min(t)", ""), filter("max(t)", ""), orders,
		named.toMoney("COALESCE(sum(a), 0)"), named.toMoney("COALESCE(" + filter("sum(a)", "") + ", 0)"), filter("count(*)", "")}
	if chans {
		sel = append(sel, filter("array_agg(DISTINCT ch)", "ch IS NOT NULL"))
	} else {
		sel = append(sel, "NULL::text[]")
	}
	// Only reasons the rules can produce are counted: each is a filter on every row.
	for _, r := range reasons {
		sel = append(sel, "count(*) FILTER (WHERE r = "+strconv.Itoa(reasonCode(r))+")")
	}
	if netted {
		for i := range nettedKinds {
			sel = append(sel, "count(*) FILTER (WHERE r IS NULL AND rf = "+strconv.Itoa(i+1)+")")
		}
	}
	agg := "SELECT " + strings.Join(sel, ", ") + " FROM (SELECT " + strings.Join(keyed, ", ") + " FROM " + rows + ") AS z" + group
	if opts.CLV {
		extra := len(reasons)
		if netted {
			extra += len(nettedKinds)
		}
		agg = clvQuery(agg, extra, netted, opts, &b)
	}
	sql, args := b.finish(agg)
	return sql, args, reasons, nil
}

// clvQuery condenses the customer-day groups of agg per customer around the
// calibration end and joins the result onto the customer rows, so the
// customer-day rows stay on the server (unless History asks for them too).
// agg is read once; its output, one row per customer-day, is what the
// server keeps for the join. The condensed columns are those of
// customer.DaySummary, then the end day itself.
//
// With refunds netted, each refund-only customer-day nets the latest
// purchase day on or before it (the first one when it came before any), as
// aggregate.Build nets History: grp numbers a customer's purchase days in
// order, and a refund-only day shares the group of the purchase day before.
func clvQuery(agg string, nReasons int, netted bool, opts AggregateOptions, b *builder) string {
	cols := []string{"gs", "k", "d", "n", "tmin", "tmax", "orders", "rev", "prev", "np", "chans"}
	for i := range nReasons {
		cols = append(cols, "r"+strconv.Itoa(i))
	}
	end := "max(d) OVER ()" // the latest purchase day of all customers
	if !opts.CalibrationEnd.IsZero() {
		end = b.arg(int32(customer.DayOf(opts.CalibrationEnd))) + "::integer"
	}
	// Purchase days only (np > 0), as History: a refund-only day is no purchase day.
	from := "g WHERE gs = " + strconv.Itoa(gsCustomerDay) + " AND k IS NOT NULL AND np > 0"
	if netted {
		grouped := "SELECT k, d, np, rev, sum(CASE WHEN np > 0 THEN 1 ELSE 0 END) OVER (PARTITION BY k ORDER BY d) AS grp FROM g WHERE gs = " +
			strconv.Itoa(gsCustomerDay) + " AND k IS NOT NULL"
		from = "(SELECT k, min(d) FILTER (WHERE np > 0) AS d, sum(rev)::bigint AS prev FROM (" + grouped +
			") AS gd GROUP BY k, greatest(grp, 1) HAVING count(*) FILTER (WHERE np > 0) > 0) AS nd"
	}
	days := "SELECT k, d, prev, min(d) OVER (PARTITION BY k) AS f, " + end + " AS e FROM " + from
	per := "SELECT k, min(f) AS f, max(d) FILTER (WHERE d <= e) AS lc, count(*) FILTER (WHERE d <= e) AS cd, " +
		"COALESCE(sum(prev) FILTER (WHERE d <= e), 0)::bigint AS cs, COALESCE(sum(prev) FILTER (WHERE d = f), 0)::bigint AS fs, " +
		"count(*) FILTER (WHERE d > e) AS hd, COALESCE(sum(prev) FILTER (WHERE d > e), 0)::bigint AS hs, min(e) AS e " +
		"FROM (" + days + ") AS dd GROUP BY k"
	sql := "WITH g (" + strings.Join(cols, ", ") + ") AS (" + agg + ") SELECT g.*, s.f, s.lc, s.cd, s.cs, s.fs, s.hd, s.hs, s.e " +
		"FROM g LEFT JOIN (" + per + ") AS s ON g.gs = " + strconv.Itoa(gsCustomer) + " AND g.k = s.k"
	if !opts.History {
		sql += " WHERE g.gs <> " + strconv.Itoa(gsCustomerDay)
	}
	return sql
}

// Aggregate pushes the per-customer aggregation of the source down to the
// server and returns the same customer.Set that aggregate.Build computes from
// the same rows in a file (distinct orders, one netting rule, quantity ×
// unit price), with these documented differences:
//   - Per-day order counts (History, Daily) count an order on each day it
//     has lines; Build counts it on the day of its first line.
//   - Samples is empty: SQL rows have no line numbers to point at.
//   - Daily and channels are filled only when asked for (AggregateOptions).
//
// Only one row per customer (and per customer-day with History) travels;
// CLV summaries ride on the customer rows.
func Aggregate(ctx context.Context, cfg Config, opts AggregateOptions) (*customer.Set, error) {
	set, _, err := aggregateRows(ctx, cfg, opts)
	return set, err
}

// aggregateRows is Aggregate, also returning how many rows the query sent.
func aggregateRows(ctx context.Context, cfg Config, opts AggregateOptions) (*customer.Set, int64, error) {
	if err := cfg.Validate(); err != nil {
		return nil, 0, err
	}
	if err := opts.Rules.Validate(); err != nil {
		return nil, 0, fmt.Errorf("%w: cleaning rules: %w", ErrInvalidConfig, err)
	}
	conn, err := cfg.connect(ctx)
	if err != nil {
		return nil, 0, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	// A read-only, repeatable-read transaction: the query cannot write, and every
	// statement sees one snapshot.
	tx, err := conn.BeginTx(ctx, pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly})
	if err != nil {
		return nil, 0, cfg.wrap(ctx, "begin", err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx)) //nolint:errcheck // read-only; nothing to keep
	s, err := cfg.describe(ctx, conn)
	if err != nil {
		return nil, 0, err
	}
	sql, args, reasons, err := cfg.pushdownQuery(s, opts)
	if err != nil {
		return nil, 0, err
	}
	rows, err := tx.Query(ctx, sql, args...)
	if err != nil {
		return nil, 0, cfg.wrap(ctx, "aggregate query", err)
	}
	set, n, err := cfg.collect(rows, opts, s, reasons)
	if err != nil {
		return nil, n, cfg.wrap(ctx, "aggregate query", err)
	}
	return set, n, nil
}

// grouping bits of GROUPING(k, d): a set bit means "not grouped by".
const (
	gsCustomer    = 0b01 // (k)
	gsCustomerDay = 0b00 // (k, d)
	gsDay         = 0b10 // (d)
)

type acc struct {
	c        customer.Customer
	channels []string
	has      bool // at least one purchase (refund-only customers are left out)
}

// clvCols are the condensed columns clvQuery appends; NULL on rows other
// than a purchasing customer's.
type clvCols struct {
	first, lastCal, end  *int32
	calDays, holdoutDays *int64
	calSpend, firstSpend *int64
	holdoutSpend         *int64
}

func (c *clvCols) dest() []any {
	return []any{&c.first, &c.lastCal, &c.calDays, &c.calSpend, &c.firstSpend, &c.holdoutDays, &c.holdoutSpend, &c.end}
}

// collect reads the aggregation rows into a Set; n counts the rows received.
func (cfg *Config) collect(rows pgx.Rows, opts AggregateOptions, s *schema, reasons []txn.RejectReason) (*customer.Set, int64, error) {
	defer rows.Close()
	set := &customer.Set{Rejected: map[txn.RejectReason]int64{}}
	var received int64
	var accs []acc
	var sums []customer.DaySummary // accs[i].c.Summary points into it, once it stops growing
	var sumOf []int                // index into sums per acc, -1 without one
	var cc clvCols
	type dayRow struct {
		cust string
		da   customer.DayAmount
	}
	var days []dayRow
	channelSet := map[string]bool{}
	loc := cfg.loc()
	rejected := make([]int64, len(reasons))
	rejDest := make([]any, len(reasons))
	for i := range rejected {
		rejDest[i] = &rejected[i]
	}
	netted := opts.Rules.Refunds == clean.RefundNet
	var nettedN [3]int64
	if netted {
		for i := range nettedN {
			rejDest = append(rejDest, &nettedN[i])
		}
	}
	set.OrderIDs = s.has(fOrder)
	type refundDay struct {
		cust string
		da   customer.DayAmount
	}
	var refundDays []refundDay
	for rows.Next() {
		var (
			gs                   int32
			k                    *string
			d                    *int32
			n, orders, purchases int64
			first, last          *time.Time
			revenue, purchRev    int64
			chans                []*string
		)
		dest := append([]any{&gs, &k, &d, &n, &first, &last, &orders, &revenue, &purchRev, &purchases, &chans}, rejDest...)
		if opts.CLV {
			cc = clvCols{}
			dest = append(dest, cc.dest()...)
		}
		if err := rows.Scan(dest...); err != nil {
			return nil, received, err
		}
		received++
		switch gs {
		case gsCustomer:
			set.Rows += n
			if k == nil { // the group of all rejected rows
				for i, c := range rejected {
					if c > 0 {
						set.Rejected[reasons[i]] += c
					}
				}
				continue
			}
			set.Transactions += n
			for i, c := range nettedN {
				if netted && c > 0 {
					if set.Netted == nil {
						set.Netted = map[txn.RejectReason]int64{}
					}
					set.Netted[nettedKinds[i]] += c
				}
			}
			a := &acc{c: customer.Customer{ID: *k, Orders: orders, Lines: n, Revenue: txn.Money(revenue)}, has: purchases > 0}
			if first != nil {
				a.c.First, a.c.Last = first.In(loc), last.In(loc)
			}
			for _, ch := range chans {
				if ch != nil {
					a.channels = append(a.channels, *ch)
					channelSet[*ch] = true
				}
			}
			accs = append(accs, *a)
			if opts.CLV {
				sumOf = append(sumOf, -1)
				if cc.first != nil {
					sumOf[len(sumOf)-1] = len(sums)
					sums = append(sums, customer.DaySummary{
						First: customer.Day(*cc.first), LastCal: customer.Day(deref(cc.lastCal, *cc.first)),
						CalDays: int32(*cc.calDays), CalSpend: txn.Money(*cc.calSpend), FirstSpend: txn.Money(*cc.firstSpend),
						HoldoutDays: int32(*cc.holdoutDays), HoldoutSpend: txn.Money(*cc.holdoutSpend),
					})
					if set.SummaryEnd == nil {
						e := customer.Day(*cc.end)
						set.SummaryEnd = &e
					}
				}
			}
		case gsCustomerDay:
			if k == nil || d == nil {
				continue
			}
			if refunds := txn.Money(revenue - purchRev); refunds != 0 && opts.History {
				refundDays = append(refundDays, refundDay{*k, customer.DayAmount{Day: customer.Day(*d), Amount: refunds}})
			}
			if purchases == 0 {
				continue
			}
			days = append(days, dayRow{*k, customer.DayAmount{Day: customer.Day(*d), Amount: txn.Money(purchRev), Orders: int32(orders)}})
		case gsDay:
			if d == nil {
				continue
			}
			set.Daily = append(set.Daily, customer.DailyRevenue{Day: customer.Day(*d), Revenue: txn.Money(revenue), Orders: orders})
		}
	}
	if err := rows.Err(); err != nil {
		return nil, received, err
	}
	if opts.CLV {
		for i, j := range sumOf {
			if j >= 0 {
				accs[i].c.Summary = &sums[j]
			}
		}
		if set.SummaryEnd == nil && !opts.CalibrationEnd.IsZero() { // no purchase at all
			e := customer.DayOf(opts.CalibrationEnd)
			set.SummaryEnd = &e
		}
	}
	labelOnly := opts.Channels && !s.has(fChannel) && cfg.Channel != ""
	if labelOnly {
		for _, a := range accs {
			if a.has {
				channelSet[cfg.Channel] = true
				break
			}
		}
	}
	set.Channels = make([]string, 0, len(channelSet))
	for ch := range channelSet {
		set.Channels = append(set.Channels, ch)
	}
	slices.Sort(set.Channels)
	if len(set.Channels) > 32 { // as aggregate.MaxChannels: a 32-bit mask
		set.Channels = set.Channels[:32]
	}
	bit := map[string]uint32{}
	for i, ch := range set.Channels {
		if i < 32 {
			bit[ch] = 1 << i
		}
	}
	set.Customers = make([]customer.Customer, 0, len(accs))
	for _, a := range accs {
		if !a.has {
			continue
		}
		for _, ch := range a.channels {
			a.c.Channels |= bit[ch]
		}
		if labelOnly {
			a.c.Channels |= bit[cfg.Channel]
		}
		set.Customers = append(set.Customers, a.c)
	}
	// Rows arrive sorted when the server collates like Go (C collation); the
	// check is cheaper than sorting a million IDs again.
	byID := func(a, b customer.Customer) int { return strings.Compare(a.ID, b.ID) }
	if !slices.IsSortedFunc(set.Customers, byID) {
		slices.SortFunc(set.Customers, byID)
	}
	if opts.History {
		slices.SortFunc(days, func(a, b dayRow) int {
			if c := strings.Compare(a.cust, b.cust); c != 0 {
				return c
			}
			return int(a.da.Day - b.da.Day)
		})
		i := 0
		for _, dr := range days {
			for i < len(set.Customers) && set.Customers[i].ID < dr.cust {
				i++
			}
			if i < len(set.Customers) && set.Customers[i].ID == dr.cust {
				set.Customers[i].History = append(set.Customers[i].History, dr.da)
			}
		}
		// Kept refunds net the purchase day they follow, as aggregate.Build does.
		slices.SortFunc(refundDays, func(a, b refundDay) int { return strings.Compare(a.cust, b.cust) })
		i = 0
		for j := 0; j < len(refundDays); {
			k := j
			for k < len(refundDays) && refundDays[k].cust == refundDays[j].cust {
				k++
			}
			for i < len(set.Customers) && set.Customers[i].ID < refundDays[j].cust {
				i++
			}
			if i < len(set.Customers) && set.Customers[i].ID == refundDays[j].cust && len(set.Customers[i].History) > 0 {
				rs := make([]customer.DayAmount, 0, k-j)
				for _, r := range refundDays[j:k] {
					rs = append(rs, r.da)
				}
				customer.NetDays(set.Customers[i].History, rs)
			}
			j = k
		}
	}
	slices.SortFunc(set.Daily, func(a, b customer.DailyRevenue) int { return int(a.Day - b.Day) })
	// As aggregate.Build: the declared as-of, else the latest purchase.
	if !opts.Rules.AsOf.IsZero() {
		set.AsOf = opts.Rules.AsOf.In(loc)
	} else {
		for _, c := range set.Customers {
			if c.Last.After(set.AsOf) {
				set.AsOf = c.Last
			}
		}
	}
	return set, received, nil
}

func deref[T any](p *T, or T) T {
	if p == nil {
		return or
	}
	return *p
}

// PushdownSQL returns the aggregation statement Aggregate would send, with its
// bind parameters, for inspection (EXPLAIN, DBA review). It connects only to
// describe the source's columns.
func PushdownSQL(ctx context.Context, cfg Config, opts AggregateOptions) (string, []any, error) {
	if err := cfg.Validate(); err != nil {
		return "", nil, err
	}
	conn, err := cfg.connect(ctx)
	if err != nil {
		return "", nil, err
	}
	defer conn.Close(context.WithoutCancel(ctx))
	s, err := cfg.describe(ctx, conn)
	if err != nil {
		return "", nil, err
	}
	sql, args, _, err := cfg.pushdownQuery(s, opts)
	return sql, args, err
}
