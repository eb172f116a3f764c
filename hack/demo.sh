#!/usr/bin/env bash
# make demo: find or build the local control plane (hack/envtest-assets.sh:
# KUBEBUILDER_ASSETS or setup-envtest when available, the source build
# otherwise), build crmlens, then start kube-apiserver + etcd, install the
# CRDs, run the manager with the local Job executor, apply config/samples
# (run now) and print what crmlens found.
# Ctrl-C stops everything. DEMO_EXIT=1 stops after printing (for CI).
set -euo pipefail
cd "$(dirname "$0")/.."

assets=$(hack/envtest-assets.sh)
echo "==> building bin/crmlens"
make --no-print-directory build # version-stamped, as reports show it
echo "==> building the demo driver"
go build -o bin/crmlens-demo ./hack/demo

args=(-root . -crmlens bin/crmlens -assets "$assets")
if [[ "${DEMO_EXIT:-}" == 1 ]]; then
  args+=(-exit)
fi
exec bin/crmlens-demo "${args[@]}"
