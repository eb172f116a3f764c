#!/usr/bin/env bash
# Builds the envtest control plane (kube-apiserver, etcd) from Go modules into bin/.
# Prebuilt envtest archives cannot be downloaded here; both binaries build from the
# module proxy. Versions are pinned in hack/tools/*/go.mod. The first build takes
# several minutes on two cores; later ones come from the Go build cache.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bin=${ENVTEST_BIN:-$root/bin}
mkdir -p "$bin"

kube_version=$(cd "$root/hack/tools/kube-apiserver" && go list -m -f '{{.Version}}' k8s.io/kubernetes)
etcd_version=$(cd "$root/hack/tools/etcd" && go list -m -f '{{.Version}}' go.etcd.io/etcd/server/v3)

stamp() { cat "$bin/.$1.version" 2>/dev/null || true; }

if [[ ! -x $bin/kube-apiserver || $(stamp kube-apiserver) != "$kube_version" ]]; then
  echo "==> building kube-apiserver $kube_version (first build: ~7 min on 2 cores)" >&2
  (cd "$root/hack/tools/kube-apiserver" && go build -trimpath \
    -ldflags "-s -w -X k8s.io/component-base/version.gitVersion=$kube_version -X k8s.io/component-base/version.gitMajor=1 -X k8s.io/component-base/version.gitMinor=$(cut -d. -f2 <<<"$kube_version")" \
    -o "$bin/kube-apiserver" k8s.io/kubernetes/cmd/kube-apiserver)
  echo "$kube_version" > "$bin/.kube-apiserver.version"
fi

if [[ ! -x $bin/etcd || $(stamp etcd) != "$etcd_version" ]]; then
  echo "==> building etcd $etcd_version" >&2
  (cd "$root/hack/tools/etcd" && go build -trimpath -ldflags "-s -w" -o "$bin/etcd" go.etcd.io/etcd/server/v3)
  echo "$etcd_version" > "$bin/.etcd.version"
fi
echo "==> envtest binaries ready in $bin: kube-apiserver $kube_version, etcd $etcd_version" >&2
