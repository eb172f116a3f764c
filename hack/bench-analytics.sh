#!/usr/bin/env bash
# bench-analytics.sh — times `crmlens analyze --method rfm --report kpi` against
# DuckDB (node client, 2 threads) and pandas on the same generated shop CSV,
# and prints wall time, peak RSS, CPU use and the ratios, for two data shapes:
# the generator's shop (hack/gen-sample: orders of 1–4 lines, RFC 3339 times)
# and a plain order export (hack/gen-orders: every line its own order,
# `YYYY-MM-DD HH:MM:SS` times, customers interleaved).
#
#   hack/bench-analytics.sh                 # 1M customers, ~10M lines
#   CUSTOMERS=100000 hack/bench-analytics.sh  # quicker run
#
# The CSV (≈750 MB at full size) and the npm install are cached under
# $CRMLENS_BENCH_DIR (default: $TMPDIR/crmlens-bench). All three tools do the
# same work: read the file, drop malformed rows, rows without a customer and
# refunds (negative amounts; zero-price gifts stay: crmlens is run with
# --refunds drop --drop-gifts=false --dedupe=false, as its defaults — shared
# with the CRDs — would net refunds, drop gifts and deduplicate lines),
# aggregate recency/frequency (distinct orders)/monetary per customer, score each
# 1–5 by quintile, count customers and revenue per R-F-M cell, and compute the
# KPI aggregates (customers, orders, revenue, AOV, repurchase rate, active and
# churned share, recency quartiles). Targets (issue 15): crmlens ≤ 0.5×
# DuckDB's wall time on both shapes, peak RSS ≤ 512 MiB at 1M customers.
# Report what you measure.
set -euo pipefail

ROOT=$(cd "$(dirname "$0")/.." && pwd)
BENCH_DIR=${CRMLENS_BENCH_DIR:-${TMPDIR:-/tmp}/crmlens-bench}
CUSTOMERS=${CUSTOMERS:-1000000}
LINES=${LINES:-10}
SEED=${SEED:-1}
THREADS=${THREADS:-2}
# The generator version is part of the name so a changed generator never reuses a stale file.
GEN_VERSION=2
FILE=$BENCH_DIR/shop-v${GEN_VERSION}-c${CUSTOMERS}-l${LINES}-s${SEED}.csv
# Second shape (hack/gen-orders): every line its own order, `YYYY-MM-DD HH:MM:SS`
# times, lines in time order with customers interleaved at random.
ORDERS_VERSION=1
FILE2=$BENCH_DIR/orders-v${ORDERS_VERSION}-c${CUSTOMERS}-l${LINES}-s${SEED}.csv
# SHAPES picks which shapes run: shop, orders or both (default).
SHAPES=${SHAPES:-shop orders}
PY=/usr/bin/python3
mkdir -p "$BENCH_DIR"

need_apt() { # package
	echo "installing $1 with apt-get" >&2
	if [ "$(id -u)" = 0 ]; then apt-get install -y "$1" >&2; else sudo apt-get install -y "$1" >&2; fi
}
[ -x /usr/bin/time ] || need_apt time
$PY -c 'import pandas' 2>/dev/null || need_apt python3-pandas
command -v node >/dev/null || need_apt nodejs
DUCK=$BENCH_DIR/duckdb
if [ ! -d "$DUCK/node_modules/@duckdb/node-api" ]; then
	mkdir -p "$DUCK"
	(cd "$DUCK" && { [ -f package.json ] || npm init -y >/dev/null; } && npm install --no-audit --no-fund @duckdb/node-api >&2)
fi

cd "$ROOT"
if [ ! -s "$FILE" ]; then
	echo "generating $FILE" >&2
	go run ./hack/gen-sample -customers "$CUSTOMERS" -lines "$LINES" -seed "$SEED" -o "$FILE.tmp"
	mv "$FILE.tmp" "$FILE"
fi
if [ ! -s "$FILE2" ]; then
	echo "generating $FILE2" >&2
	go run ./hack/gen-orders -customers "$CUSTOMERS" -lines "$LINES" -seed "$SEED" -o "$FILE2.tmp"
	mv "$FILE2.tmp" "$FILE2"
fi
echo "building bin/crmlens" >&2
go build -o bin/crmlens .

# ---- DuckDB -------------------------------------------------------------------
cat >"$DUCK/rfm.mjs" <<'EOF'
import { DuckDBInstance } from '@duckdb/node-api';
const [file, threads, columns] = process.argv.slice(2);
const db = await DuckDBInstance.create(':memory:', { threads });
const c = await db.connect();
await c.run(`
CREATE TEMP TABLE scored AS
WITH clean AS (
  SELECT customer_id, order_id, "timestamp" AS ts, amount
  FROM read_csv('${file}', header = true, ignore_errors = true,
    columns = ${columns})
  WHERE customer_id IS NOT NULL AND ts IS NOT NULL AND amount >= 0
), cust AS (
  SELECT customer_id, max(ts) AS last_ts, count(DISTINCT order_id) AS frequency, sum(amount) AS monetary
  FROM clean GROUP BY customer_id
), ref AS (SELECT max(last_ts) AS ref_ts FROM cust)
SELECT cust.*, date_diff('day', last_ts, ref_ts) AS recency,
  ntile(5) OVER (ORDER BY date_diff('day', last_ts, ref_ts) DESC) AS r,
  ntile(5) OVER (ORDER BY frequency) AS f,
  ntile(5) OVER (ORDER BY monetary) AS m
FROM cust, ref`);
const cells = await c.runAndReadAll(`SELECT r, f, m, count(*) AS customers, sum(monetary) AS revenue FROM scored GROUP BY ALL ORDER BY ALL`);
const kpi = await c.runAndReadAll(`SELECT count(*) AS customers, sum(frequency) AS orders, sum(monetary) AS revenue,
  sum(monetary) / sum(frequency) AS aov, avg((frequency > 1)::INT) AS repurchase_rate,
  avg((recency <= 90)::INT) AS active_share, avg((recency > 180)::INT) AS churn_rate,
  quantile_cont(recency, [0.25, 0.5, 0.75]) AS recency_quartiles FROM scored`);
const k = kpi.getRowObjectsJson()[0];
console.log(`duckdb: ${cells.getRowObjectsJson().length} RFM cells, customers ${k.customers}, orders ${k.orders}, revenue ${k.revenue}, repurchase ${Number(k.repurchase_rate).toFixed(4)}`);
EOF

# ---- pandas -------------------------------------------------------------------
cat >"$BENCH_DIR/rfm.py" <<'EOF'
import sys
import pandas as pd

df = pd.read_csv(sys.argv[1], usecols=["customer_id", "order_id", "timestamp", "amount"],
                 dtype=str, on_bad_lines="skip")
df["ts"] = pd.to_datetime(df["timestamp"], format=sys.argv[2], errors="coerce")
df["amount"] = pd.to_numeric(df["amount"], errors="coerce")
df = df.dropna(subset=["customer_id", "ts", "amount"])
df = df[df["amount"] >= 0]
cust = df.groupby("customer_id").agg(last=("ts", "max"), frequency=("order_id", "nunique"),
                                     monetary=("amount", "sum"))
asof = cust["last"].max()
cust["recency"] = (asof - cust["last"]).dt.days
labels = [1, 2, 3, 4, 5]
cust["r"] = pd.qcut(cust["recency"].rank(method="first", ascending=False), 5, labels=labels)
cust["f"] = pd.qcut(cust["frequency"].rank(method="first"), 5, labels=labels)
cust["m"] = pd.qcut(cust["monetary"].rank(method="first"), 5, labels=labels)
cells = cust.groupby(["r", "f", "m"], observed=True).agg(customers=("monetary", "size"), revenue=("monetary", "sum"))
kpi = {
    "customers": len(cust), "orders": int(cust["frequency"].sum()), "revenue": float(cust["monetary"].sum()),
    "aov": float(cust["monetary"].sum() / cust["frequency"].sum()),
    "repurchase_rate": float((cust["frequency"] > 1).mean()),
    "active_share": float((cust["recency"] <= 90).mean()), "churn_rate": float((cust["recency"] > 180).mean()),
    "recency_quartiles": cust["recency"].quantile([0.25, 0.5, 0.75]).tolist(),
}
print(f"pandas: {len(cells)} RFM cells, customers {kpi['customers']}, orders {kpi['orders']}, "
      f"revenue {kpi['revenue']:.2f}, repurchase {kpi['repurchase_rate']:.4f}")
EOF

# run NAME CMD... — runs under /usr/bin/time -v, sets WALL_<NAME>, RSS_<NAME> (MiB), CPU_<NAME>
run() {
	local name=$1
	shift
	local tf=$BENCH_DIR/$name.time
	if ! /usr/bin/time -v -o "$tf" "$@" >"$BENCH_DIR/$name.out" 2>"$BENCH_DIR/$name.err"; then
		echo "$name failed; see $BENCH_DIR/$name.err:" >&2
		tail -5 "$BENCH_DIR/$name.err" >&2
		printf -v "WALL_$name" '%s' NaN
		printf -v "RSS_$name" '%s' NaN
		printf -v "CPU_$name" '%s' '?'
		printf -v "CPUS_$name" '%s' NaN
		return 0
	fi
	local wall rss cpu cpus
	wall=$(awk -F': ' '/Elapsed \(wall clock\)/ { n = split($2, p, ":"); s = 0; for (i = 1; i <= n; i++) s = s * 60 + p[i]; print s }' "$tf")
	rss=$(awk -F': ' '/Maximum resident set size/ { printf "%.0f", $2 / 1024 }' "$tf")
	cpu=$(awk -F': ' '/Percent of CPU/ { print $2 }' "$tf")
	cpus=$(awk -F': ' '/User time|System time/ { s += $2 } END { printf "%.2f", s }' "$tf")
	printf -v "WALL_$name" '%s' "$wall"
	printf -v "RSS_$name" '%s' "$rss"
	printf -v "CPU_$name" '%s' "$cpu"
	printf -v "CPUS_$name" '%s' "$cpus"
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { if (a + 0 > 0 && b + 0 > 0) printf "%.2f", a / b; else print "n/a" }'; }

# bench SHAPE FILE DUCKDB_COLUMNS PANDAS_TIME_FORMAT — runs the three tools on one file.
bench() {
	local shape=$1 file=$2 cols=$3 tsfmt=$4
	local rows
	rows=$(($(wc -l <"$file") - 1))
	echo
	echo "== shape $shape: $file ($(du -h "$file" | cut -f1), $rows rows, $CUSTOMERS customers generated)"
	echo "machine: $(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
	# Page cache warm-up so that no tool pays for the first read from disk.
	cat "$file" >/dev/null

	run crmlens bin/crmlens analyze --method rfm --report kpi -q -o json --refunds drop --drop-gifts=false --dedupe=false -f "$file"
	run duckdb node "$DUCK/rfm.mjs" "$file" "$THREADS" "$cols"
	run pandas "$PY" "$BENCH_DIR/rfm.py" "$file" "$tsfmt"

	cat "$BENCH_DIR/duckdb.out" "$BENCH_DIR/pandas.out" 2>/dev/null || true
	# cpu_s (user + system) is the steadier figure on a shared machine; cpu% shows
	# how much of the cores a tool kept busy.
	printf '%-8s %10s %10s %12s %8s\n' tool wall_s cpu_s peak_rss_MiB cpu%
	for t in crmlens duckdb pandas; do
		w=WALL_$t r=RSS_$t c=CPU_$t s=CPUS_$t
		printf '%-8s %10s %10s %12s %8s\n' "$t" "${!w}" "${!s}" "${!r}" "${!c}"
	done
	echo "[$shape] crmlens / duckdb wall: $(ratio "$WALL_crmlens" "$WALL_duckdb")   cpu: $(ratio "$CPUS_crmlens" "$CPUS_duckdb")   (target <= 0.50)"
	echo "[$shape] crmlens / pandas wall: $(ratio "$WALL_crmlens" "$WALL_pandas")   cpu: $(ratio "$CPUS_crmlens" "$CPUS_pandas")"
	echo "[$shape] crmlens peak RSS: ${RSS_crmlens} MiB   (target <= 512 at 1M customers)"
}

for shape in $SHAPES; do
	case $shape in
	shop)
		bench shop "$FILE" "{'customer_id': 'VARCHAR', 'order_id': 'VARCHAR', 'timestamp': 'TIMESTAMP',
               'amount': 'DECIMAL(18,4)', 'channel': 'VARCHAR', 'category': 'VARCHAR',
               'product': 'VARCHAR', 'quantity': 'INTEGER', 'gift': 'INTEGER'}" '%Y-%m-%dT%H:%M:%SZ'
		;;
	orders)
		bench orders "$FILE2" "{'customer_id': 'VARCHAR', 'order_id': 'VARCHAR', 'timestamp': 'TIMESTAMP',
               'amount': 'DECIMAL(18,4)', 'channel': 'VARCHAR', 'category': 'VARCHAR'}" '%Y-%m-%d %H:%M:%S'
		;;
	*) echo "unknown shape $shape (want shop or orders)" >&2; exit 2 ;;
	esac
done
