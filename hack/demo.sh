#!/usr/bin/env bash
# make demo: build crmlens and the local control plane if needed, then start
# kube-apiserver + etcd, install the CRDs, run the manager with the local Job
# executor, apply config/samples (run now) and print what crmlens found.
# Ctrl-C stops everything. DEMO_EXIT=1 stops after printing (for CI).
set -euo pipefail
cd "$(dirname "$0")/.."

# Idempotent and version-stamped: a no-op once bin/ holds the pinned versions.
hack/build-envtest.sh
echo "==> building bin/crmlens"
go build -o bin/crmlens .
echo "==> building the demo driver"
go build -o bin/crmlens-demo ./hack/demo

args=(-root . -crmlens bin/crmlens)
if [[ "${DEMO_EXIT:-}" == 1 ]]; then
  args+=(-exit)
fi
exec bin/crmlens-demo "${args[@]}"
