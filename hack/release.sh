#!/usr/bin/env bash
# Builds the release artefacts for VERSION into dist/:
#   dist/install.yaml          config/default rendered with image $IMG
#   dist/crmlens-$VERSION.tgz  charts/crmlens with version, appVersion and
#                              image tag set to $VERSION (a Helm chart archive)
# and refuses a rendered manifest that names a :latest image or no version.
# The image itself is built and pushed by `make docker-build docker-push
# VERSION=…` on a machine with Docker.
set -euo pipefail
cd "$(dirname "$0")/.."
: "${VERSION:?VERSION=x.y.z required}"
IMG=${IMG:-ghcr.io/crmlens/crmlens:$VERSION}
KUSTOMIZE=${KUSTOMIZE:-go run ./hack/kustomize}
DIST=${DIST:-dist}

mkdir -p "$DIST"
$KUSTOMIZE --image "$IMG" config/default >"$DIST/install.yaml.tmp"
if grep -nE 'image: *[^ ]*:latest\b|image: *[^ :@]+$' "$DIST/install.yaml.tmp" >&2; then
  echo "release: $DIST/install.yaml names an untagged or :latest image (above)" >&2
  exit 1
fi
grep -q "image: $IMG\$" "$DIST/install.yaml.tmp" || { echo "release: image $IMG not in the rendered install" >&2; exit 1; }
mv "$DIST/install.yaml.tmp" "$DIST/install.yaml"
echo "release: wrote $DIST/install.yaml (image $IMG)"

if [[ -d charts/crmlens ]]; then
  tmp=$(mktemp -d)
  trap 'rm -rf "$tmp"' EXIT
  cp -r charts/crmlens "$tmp/crmlens"
  # Chart version and appVersion follow the release; the image tag defaults
  # to appVersion in the templates, so the chart installs this release's image.
  sed -i -E "s/^version: .*/version: $VERSION/; s/^appVersion: .*/appVersion: \"$VERSION\"/" "$tmp/crmlens/Chart.yaml"
  tar -C "$tmp" --sort=name --owner=0 --group=0 --numeric-owner --mtime='1970-01-01' -czf "$DIST/crmlens-$VERSION.tgz" crmlens
  echo "release: wrote $DIST/crmlens-$VERSION.tgz (helm install crmlens $DIST/crmlens-$VERSION.tgz)"
fi
