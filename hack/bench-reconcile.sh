#!/usr/bin/env bash
# Reconcile benchmark: N models + N schedules against a local control plane.
# Usage: hack/bench-reconcile.sh [-n 1000] [-steady 30s]
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x bin/kube-apiserver && -x bin/etcd ]] || hack/build-envtest.sh
go build -o bin/crmlens .
go run ./hack/bench-reconcile -root . -crmlens bin/crmlens "$@"
