# One image, two roles: the controller manager (default) and the analysis
# Jobs it creates (`crmlens run`).

FROM golang:1.26 AS build
WORKDIR /src
# Modules first, so source edits do not invalidate the download layer.
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY . .
ARG TARGETOS=linux
ARG TARGETARCH
# One version everywhere (see the Makefile): `make docker-build` passes both.
ARG VERSION=dev
ARG REVISION=unknown
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH \
    go build -trimpath -buildvcs=false \
    -ldflags="-s -w -X github.com/crmlens/crmlens/analytics/engine.Version=${VERSION} -X github.com/crmlens/crmlens/internal/buildinfo.Revision=${REVISION}" \
    -o /out/crmlens .

# Static binary on distroless: no shell, no package manager, non-root.
FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/crmlens /crmlens
USER 65532:65532
ENTRYPOINT ["/crmlens"]
