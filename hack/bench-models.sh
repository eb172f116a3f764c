#!/usr/bin/env bash
# Times the crmlens models side by side with scikit-learn and statsmodels on the
# same synthetic data: BG/NBD + Gamma-Gamma on 1M customers, K-means on 1M×3
# (k=8), Holt-Winters (additive and multiplicative) on three years of weekly
# revenue. Needs Debian's python3-sklearn and python3-statsmodels.
set -euo pipefail
cd "$(dirname "$0")/.."
N="${N:-1000000}"
# Debian's interpreter, where python3-sklearn and python3-statsmodels install.
PY="${PYTHON:-/usr/bin/python3}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
"$PY" -c 'import sklearn, statsmodels' 2>/dev/null || {
	echo "bench-models: needs python3-sklearn and python3-statsmodels (apt-get install python3-sklearn python3-statsmodels)" >&2
	exit 1
}
go build -o "$out/bench-models" ./hack/bench-models
echo "== Go (GOMAXPROCS=${GOMAXPROCS:-$(nproc)}), n=$N"
"$out/bench-models" -out "$out" -n "$N"
echo "== Python (sklearn $("$PY" -c 'import sklearn; print(sklearn.__version__)'), statsmodels $("$PY" -c 'import statsmodels; print(statsmodels.__version__)'))"
"$PY" hack/bench-models/compare.py "$out"
