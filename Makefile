# crmlens build, code generation and tests. `make help` lists the targets.

SHELL := /usr/bin/env bash -o pipefail
.SHELLFLAGS := -ec

CONTROLLER_GEN ?= go tool controller-gen
# kube-apiserver and etcd for envtest, built from Go modules by hack/build-envtest.sh.
ENVTEST_ASSETS ?= $(CURDIR)/bin
# One version everywhere: stamped into engine.Version (result documents,
# `crmlens version`, the manager's start-up log, crmlens_build_info), the image
# tag and the chart. `make release VERSION=x.y.z` sets it; otherwise it comes
# from git (a tag, else 0.0.0-dev+<commit>).
VERSION ?= $(shell v=$$(git describe --tags --exact-match 2>/dev/null) && echo $${v\#v} || echo 0.0.0-dev+$$(git rev-parse --short HEAD 2>/dev/null || echo unknown))
REVISION ?= $(shell git rev-parse HEAD 2>/dev/null || echo unknown)
LDFLAGS := -X github.com/crmlens/crmlens/analytics/engine.Version=$(VERSION) -X github.com/crmlens/crmlens/internal/buildinfo.Revision=$(REVISION)
IMAGE_REPO ?= ghcr.io/crmlens/crmlens
# Image tags cannot hold '+': a dev build's tag uses '-' instead. Never :latest.
IMG ?= $(IMAGE_REPO):$(subst +,-,$(VERSION))
BIN ?= bin/crmlens
# Packages controller-gen reads; kept narrow so unrelated work in progress
# elsewhere cannot break code generation.
GEN_PATHS := ./api/...;./controllers/...
GENERATED := api config docs/api-reference.md charts/crmlens

.PHONY: all
all: build

.PHONY: help
help: ## Show this help.
	@awk 'BEGIN {FS = ":.*##"} /^[a-zA-Z_-]+:.*##/ {printf "  %-18s %s\n", $$1, $$2}' $(MAKEFILE_LIST)

##@ Development

.PHONY: manifests
manifests: ## Generate CRDs (config/crd/bases) and RBAC (config/rbac/role.yaml) from markers, and their copies in charts/crmlens.
	$(CONTROLLER_GEN) crd rbac:roleName=manager-role paths="$(GEN_PATHS)" \
		output:crd:artifacts:config=config/crd/bases output:rbac:artifacts:config=config/rbac
	go run ./hack/chartsync # the chart's CRDs, RBAC, rules and dashboard follow config/

.PHONY: generate
generate: ## Generate DeepCopy methods (zz_generated.deepcopy.go).
	$(CONTROLLER_GEN) object:headerFile=hack/boilerplate.go.txt paths="./api/..."

.PHONY: docs
docs: manifests ## Generate the API reference (docs/api-reference.md) from the CRDs.
	go run ./hack/apidocs -crds config/crd/bases -out docs/api-reference.md

.PHONY: verify-tidy
verify-tidy: ## Fail when go.mod/go.sum are not what `go mod tidy` would write.
	@go mod tidy -diff || { echo "go.mod/go.sum are not tidy: run 'go mod tidy' and commit" >&2; exit 1; }

.PHONY: verify-generated
verify-generated: manifests generate docs ## Fail when generated files differ from what is committed.
	@if ! git diff --quiet -- $(GENERATED); then \
		echo "generated files are stale; run 'make manifests generate docs' and commit:" >&2; \
		git diff --stat -- $(GENERATED) >&2; exit 1; fi
	@untracked=$$(git ls-files --others --exclude-standard -- $(GENERATED)); \
	if [[ -n $$untracked ]]; then \
		echo "generated or source files not committed:" >&2; echo "$$untracked" >&2; exit 1; fi
	@echo "generated files are up to date"

.PHONY: fmt
fmt: ## Run gofmt on the tree.
	gofmt -l -w $$(find . -name '*.go' -not -path './hack/tools/*' -not -path './bin/*')

.PHONY: vet
vet: ## Run go vet.
	go vet ./...

# golangci-lint v2, built from the version pinned in hack/tools/golangci-lint
# (its own module, so its dependencies never touch go.mod).
GOLANGCI_LINT ?= $(CURDIR)/bin/golangci-lint
GOLANGCI_LINT_VERSION = $(shell cd hack/tools/golangci-lint && go list -m -f '{{.Version}}' github.com/golangci/golangci-lint/v2)

.PHONY: golangci-lint
golangci-lint: ## Build bin/golangci-lint (first time: minutes; then a version check).
	@if [[ ! -x $(GOLANGCI_LINT) || "$$(cat $(GOLANGCI_LINT).version 2>/dev/null)" != "$(GOLANGCI_LINT_VERSION)" ]]; then \
		echo "==> building golangci-lint $(GOLANGCI_LINT_VERSION)" >&2; \
		mkdir -p $(dir $(GOLANGCI_LINT)); \
		(cd hack/tools/golangci-lint && go build -trimpath -o $(GOLANGCI_LINT) github.com/golangci/golangci-lint/v2/cmd/golangci-lint); \
		echo "$(GOLANGCI_LINT_VERSION)" > $(GOLANGCI_LINT).version; \
	fi

.PHONY: lint
lint: golangci-lint ## Run golangci-lint (.golangci.yml: govet, staticcheck, errcheck, unused, revive, ...); zero findings expected.
	$(GOLANGCI_LINT) run ./...

.PHONY: envtest
envtest: ## Build kube-apiserver and etcd into bin/ (first time: minutes; then cached).
	ENVTEST_BIN=$(ENVTEST_ASSETS) hack/build-envtest.sh

.PHONY: test
test: envtest lint-dockerfile ## Run every test, including the envtest suites against a real kube-apiserver.
	KUBEBUILDER_ASSETS=$(ENVTEST_ASSETS) go test ./...
	# The development-only local Job executor is compiled in with -tags localexec.
	KUBEBUILDER_ASSETS=$(ENVTEST_ASSETS) go test -tags localexec ./internal/manager/
	# The Helm chart, rendered through the Helm SDK (its own module).
	cd test/helm && KUBEBUILDER_ASSETS=$(ENVTEST_ASSETS) go test ./...

.PHONY: test-helm
test-helm: envtest ## Render charts/crmlens through the Helm SDK, compare it with config/default and install it into envtest (own module: test/helm).
	cd test/helm && KUBEBUILDER_ASSETS=$(ENVTEST_ASSETS) go test ./...

.PHONY: demo
demo: ## Local control plane + manager with the local Job executor on config/samples; prints the results (Ctrl-C stops).
	hack/demo.sh

.PHONY: bench-reconcile
bench-reconcile: ## Reconcile benchmark: 1,000 models + 1,000 schedules against a local control plane.
	hack/bench-reconcile.sh

##@ Build

.PHONY: build
build: ## Build bin/crmlens with VERSION and REVISION stamped in.
	go build -ldflags "$(LDFLAGS)" -o $(BIN) .

.PHONY: run
run: ## Run the manager against the cluster in KUBECONFIG (installs the CRDs first).
	kubectl apply --server-side -k config/crd
	go run -ldflags "$(LDFLAGS)" . manager --metrics-bind-address=:8080 --metrics-secure=false --health-probe-bind-address=:8081

.PHONY: install
install: ## Install the CRDs into the cluster in KUBECONFIG.
	kubectl apply --server-side -k config/crd

# Renders kustomizations with kustomize's Go API (pinned in go.mod): no
# kustomize binary needed.
KUSTOMIZE ?= go run ./hack/kustomize
ignore-not-found ?= false

.PHONY: deploy
deploy: ## Deploy crmlens (CRDs, RBAC, manager, metrics Service) with image $(IMG) into the cluster in KUBECONFIG.
	$(KUSTOMIZE) --image $(IMG) config/default | kubectl apply --server-side -f -

.PHONY: undeploy
undeploy: ## Remove what deploy installed (CRDs too: this deletes every crmlens resource). ignore-not-found=true to tolerate gaps.
	$(KUSTOMIZE) config/default | kubectl delete --ignore-not-found=$(ignore-not-found) -f -

.PHONY: build-installer
build-installer: manifests ## Render config/default with image $(IMG) into one dist/install.yaml.
	mkdir -p dist
	$(KUSTOMIZE) --image $(IMG) config/default > dist/install.yaml.tmp
	mv dist/install.yaml.tmp dist/install.yaml
	@echo "wrote dist/install.yaml (image $(IMG)); install with: kubectl apply --server-side -f dist/install.yaml"

.PHONY: lint-dockerfile
lint-dockerfile: ## Check the Dockerfile's shape and build the binary with its exact flags (no Docker engine needed).
	hack/lint-dockerfile.sh --build

.PHONY: docker-build
docker-build: ## Build the container image $(IMG) with VERSION and REVISION stamped in.
	docker build --build-arg VERSION=$(VERSION) --build-arg REVISION=$(REVISION) -t $(IMG) .

.PHONY: docker-push
docker-push: ## Push the container image $(IMG).
	docker push $(IMG)

##@ Release

.PHONY: release
release: ## make release VERSION=x.y.z: dist/install.yaml and the chart for that version, image tag x.y.z.
	@[[ "$(origin VERSION)" == "command line" || "$(origin VERSION)" == "environment" ]] || { echo "usage: make release VERSION=x.y.z" >&2; exit 2; }
	@[[ "$(VERSION)" =~ ^[0-9]+\.[0-9]+\.[0-9]+(-[0-9A-Za-z.-]+)?$$ ]] || { echo "VERSION=$(VERSION) is not semver x.y.z[-pre]" >&2; exit 2; }
	VERSION=$(VERSION) IMG=$(IMG) KUSTOMIZE="$(KUSTOMIZE)" hack/release.sh
