#!/usr/bin/env bash
# Picks the kube-apiserver and etcd that `make demo` (and the envtest tests)
# run, fastest first, prints their directory on stdout and says on stderr
# which source it took:
#   1. KUBEBUILDER_ASSETS, when it holds both binaries (the user's own);
#   2. setup-envtest (controller-runtime's tool, on PATH), which fetches the
#      released binaries for ENVTEST_K8S_VERSION from its usual release
#      location: seconds instead of minutes;
#   3. otherwise the source build of hack/build-envtest.sh into bin/, which
#      takes ~7 minutes on 2 cores the first time (cached afterwards).
# BUILD_ENVTEST overrides the fallback command (tests).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
k8s_version=${ENVTEST_K8S_VERSION:-$(cd "$root/hack/tools/kube-apiserver" 2>/dev/null && go list -m -f '{{.Version}}' k8s.io/kubernetes 2>/dev/null | sed 's/^v//' || true)}

has_binaries() { [[ -n $1 && -x $1/kube-apiserver && -x $1/etcd ]]; }

if [[ -n ${KUBEBUILDER_ASSETS:-} ]]; then
  if has_binaries "$KUBEBUILDER_ASSETS"; then
    echo "==> envtest: using KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS (no build needed)" >&2
    echo "$KUBEBUILDER_ASSETS"
    exit 0
  fi
  echo "==> envtest: KUBEBUILDER_ASSETS=$KUBEBUILDER_ASSETS lacks kube-apiserver or etcd; looking elsewhere" >&2
fi

if command -v setup-envtest >/dev/null; then
  if dir=$(setup-envtest use -p path ${k8s_version:+"$k8s_version"} 2>/dev/null) && has_binaries "$dir"; then
    echo "==> envtest: using released binaries from setup-envtest ($dir)" >&2
    echo "$dir"
    exit 0
  fi
  echo "==> envtest: setup-envtest could not provide binaries${k8s_version:+ for $k8s_version} (offline?)" >&2
fi

bin=${ENVTEST_BIN:-$root/bin}
if has_binaries "$bin"; then
  echo "==> envtest: no released binaries (set KUBEBUILDER_ASSETS or install setup-envtest); checking the source build in $bin" >&2
else
  echo "==> envtest: no released binaries (set KUBEBUILDER_ASSETS or install setup-envtest); building kube-apiserver and etcd from source into $bin — about 7 minutes on 2 cores, once" >&2
fi
ENVTEST_BIN=$bin ${BUILD_ENVTEST:-"$root/hack/build-envtest.sh"} >&2
echo "$bin"
