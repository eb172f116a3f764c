#!/usr/bin/env bash
# Reconcile benchmark: N models + N schedules against a local control plane
# (kube-apiserver and etcd from hack/, on the same cores as the manager).
#
# With no arguments it runs three passes and prints each one's figures:
#   1. reconcilers alone, objects created one at a time (kubectl apply);
#   2. reconcilers alone, objects created 16 at a time (a GitOps tool's
#      parallel apply: saturates a 2-core API server while it lasts);
#   3. end to end: every model's Job runs as a local analysis process, then
#      30 s of steady state in which no write may happen.
# "Reconcilers alone" (-exec=false) creates the Jobs but runs none, so the
# analysis processes do not compete for the same two cores; in a cluster
# they run on worker nodes. With arguments, one pass runs with exactly those
# flags (see go run ./hack/bench-reconcile -h).
set -euo pipefail
cd "$(dirname "$0")/.."
[[ -x bin/kube-apiserver && -x bin/etcd ]] || hack/build-envtest.sh
go build -o bin/crmlens .
go build -o bin/bench-reconcile ./hack/bench-reconcile
bench() { bin/bench-reconcile -root . -crmlens bin/crmlens "$@"; }
if (($#)); then
  bench "$@"
  exit
fi
echo "== 1/3 reconcilers alone, created one at a time"
bench -n 1000 -exec=false -create-parallel 1 -steady 5s
echo
echo "== 2/3 reconcilers alone, created 16 at a time"
bench -n 1000 -exec=false -create-parallel 16 -steady 5s
echo
echo "== 3/3 end to end with local analysis Jobs, created 16 at a time"
bench -n 1000 -create-parallel 16 -steady 30s
