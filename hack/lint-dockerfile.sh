#!/usr/bin/env bash
# Checks the Dockerfile without a Docker engine (hadolint is not available
# here): the properties the image promises — multi-stage build, static
# CGO_ENABLED=0 binary, distroless non-root base, numeric non-root USER,
# exec-form ENTRYPOINT, the Go version of go.mod — are asserted on the text.
# With --build it also runs the Dockerfile's own `go build` command (flags
# taken from the file, not copied) and checks the result is a static,
# trimmed binary that runs as UID 65532.
#
# Not exercised here: the image build itself (BuildKit cache mounts, base
# image pulls, the final filesystem). CI machines with Docker run
# `make docker-build` for that.
set -euo pipefail
cd "$(dirname "$0")/.."

dockerfile=${DOCKERFILE:-Dockerfile}
build=false
[[ ${1:-} == --build ]] && build=true

fail=0
problem() { printf 'lint-dockerfile: %s: %s\n' "$dockerfile" "$*" >&2; fail=1; }

# Join continuation lines so each instruction is one line.
joined=$(sed -e ':a' -e '/\\$/N; s/\\\n/ /; ta' "$dockerfile" | grep -v '^[[:space:]]*#' | sed '/^[[:space:]]*$/d')

froms=$(grep -ci '^FROM ' <<<"$joined" || true)
((froms >= 2)) || problem "want a multi-stage build (2+ FROM), found $froms"

grep -qiE '^FROM golang:[0-9.]+(-[a-z0-9]+)? +AS +[a-z]+' <<<"$joined" ||
  problem "the build stage must start FROM golang:<version> AS <name>"
gover=$(sed -n 's/^go \([0-9]*\.[0-9]*\).*/\1/p' go.mod)
grep -qiE "^FROM golang:${gover//./\\.}([.-]|[[:space:]])" <<<"$joined" ||
  problem "build stage Go version differs from go.mod (go $gover)"

final_from=$(grep -i '^FROM ' <<<"$joined" | tail -1)
case $final_from in
  *gcr.io/distroless/static*:nonroot* | *"FROM scratch"*) ;;
  *) problem "final stage must be distroless static :nonroot (or scratch), got: $final_from" ;;
esac
grep -qiE '^FROM [^ ]+:latest' <<<"$joined" && problem "base images must not use :latest"

# Everything after the last FROM is the final stage.
final=$(awk 'toupper($1)=="FROM"{buf=""} {buf=buf $0 "\n"} END{printf "%s", buf}' <<<"$joined")
user=$(grep -i '^USER ' <<<"$final" | tail -1 | awk '{print $2}')
[[ $user =~ ^65532(:65532)?$ ]] || problem "final stage must set USER 65532 (numeric, non-root), got '${user:-none}'"
grep -qiE '^ENTRYPOINT \[' <<<"$final" || problem "ENTRYPOINT must be exec form (JSON array)"
grep -qiE '^(RUN|ADD) ' <<<"$final" && problem "final stage must only COPY the binary (no RUN/ADD: no shell in distroless)"
grep -qiE '^ADD +https?://' <<<"$joined" && problem "ADD of a URL: download in the build stage with checksums instead"
grep -qiE '^(ENV|ARG) +[A-Z_]*(PASSWORD|TOKEN|SECRET|KEY)[A-Z_]*=' <<<"$joined" && problem "credential-like ENV/ARG baked into the image"

buildcmd=$(grep -oE 'CGO_ENABLED=0 .*go build [^&;]*' <<<"$joined" | head -1 || true)
[[ -n $buildcmd ]] || problem "no 'CGO_ENABLED=0 … go build' in the Dockerfile: the binary must be static"
[[ $buildcmd == *-trimpath* ]] || problem "go build must use -trimpath (reproducible, no local paths)"
[[ $buildcmd == *'-X github.com/crmlens/crmlens/analytics/engine.Version=${VERSION}'* ]] ||
  problem "go build must stamp engine.Version from ARG VERSION (-ldflags -X)"
[[ $buildcmd == *'-X github.com/crmlens/crmlens/internal/buildinfo.Revision=${REVISION}'* ]] ||
  problem "go build must stamp buildinfo.Revision from ARG REVISION (-ldflags -X)"
grep -qE '^ARG VERSION' <<<"$joined" || problem "no ARG VERSION"

((fail == 0)) || exit 1
echo "lint-dockerfile: $dockerfile: shape OK (multi-stage, static build, distroless nonroot, USER $user)"

$build || exit 0

# Run the Dockerfile's own build command with its ARGs filled in.
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cmd=${buildcmd//\$TARGETOS/linux}
cmd=${cmd//\$TARGETARCH/$(go env GOARCH)}
cmd=${cmd//\/out\/crmlens/$out/crmlens}
want_version=0.0.0-lint
cmd=${cmd//\$\{VERSION\}/$want_version}
cmd=${cmd//\$\{REVISION\}/lintrev}
echo "lint-dockerfile: building with the Dockerfile's flags: $cmd"
# eval: the command keeps the Dockerfile's shell quoting (-ldflags="-s -w").
eval "$cmd"

info=$(go version -m "$out/crmlens")
grep -q $'build\tCGO_ENABLED=0' <<<"$info" || problem "built binary is not CGO_ENABLED=0"
grep -q $'build\t-trimpath=true' <<<"$info" || problem "built binary is not -trimpath"
if command -v readelf >/dev/null; then
  readelf -l "$out/crmlens" | grep -q 'INTERP' && problem "built binary has a dynamic loader (not static)"
fi
# The image runs as 65532 on a read-only root: the binary must start so.
if [[ $(id -u) -eq 0 ]] && command -v setpriv >/dev/null; then
  chmod 755 "$out" "$out/crmlens"
  setpriv --reuid=65532 --regid=65532 --clear-groups "$out/crmlens" report -h >/dev/null ||
    problem "binary does not run as UID 65532"
fi
got=$("$out/crmlens" version)
[[ $got == "crmlens $want_version (revision lintrev, "* ]] || problem "built binary's version is '$got', want $want_version stamped"
((fail == 0)) || exit 1
echo "lint-dockerfile: static binary built with the Dockerfile's flags ($(du -h "$out/crmlens" | cut -f1))"
