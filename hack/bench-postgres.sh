#!/usr/bin/env bash
# Benchmarks the PostgreSQL pushdown (issue 6, "Speed").
#
# Starts a throw-away PostgreSQL from Debian's postgresql package (as the
# unprivileged postgres user when run as root), loads ROWS generated
# transactions (analytics/sample) with COPY, then times in one run:
#   (a) the bare per-customer GROUP BY in psql,
#   (b) crmlens RFM via pushdown,
#   (c) crmlens RFM pulling raw rows,
# each REPS times interleaved, and prints the best times and their ratios.
# The crmlens CLI cannot take a postgres source yet, so hack/bench-postgres
# drives the analytics packages directly.
#
#   ROWS=10000000 REPS=3 hack/bench-postgres.sh
set -euo pipefail
cd "$(dirname "$0")/.."
ROWS="${ROWS:-10000000}"
REPS="${REPS:-3}"
WORK_MEM="${WORK_MEM:-256MB}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1 && ! command -v initdb >/dev/null; then
  echo "bench-postgres: PostgreSQL server binaries not found; install Debian's postgresql package" >&2
  exit 1
fi
BIN="$(mktemp -d)/bench-postgres"
go build -o "$BIN" ./hack/bench-postgres
exec "$BIN" -rows "$ROWS" -reps "$REPS" -work-mem "$WORK_MEM"
