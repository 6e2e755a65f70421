# Relance — `make dev` runs the whole system, `make test` runs every test.
# Postgres: DATABASE_URL when set, else a throwaway cluster under .dev/.
SHELL := /bin/bash
.DEFAULT_GOAL := all

GO        ?= go
TEMPORAL  := bin/temporal
PG        := deploy/local/postgres.sh
# The URL tests create their databases from, and the one services use.
DB_URL     = $(if $(DATABASE_URL),$(DATABASE_URL),$(shell $(PG) url))
SERVICES  := api payments disputes events portal worker migrate console

.PHONY: all build dev test test-unit test-integration migrate postgres postgres-stop lint bench drills images helm-lint clean test-deploy

all: $(TEMPORAL) build

# The Temporal CLI dev server, pinned in tools/go.mod; built once (≈3 min on 2 cores).
# GOWORK=off: in the workspace the app's newer Temporal API module would
# replace the one the pinned server was built against, and it would not compile.
$(TEMPORAL): tools/go.mod tools/go.sum
	cd tools && GOWORK=off $(GO) build -o ../$(TEMPORAL) github.com/temporalio/cli/cmd/temporal

build:
	@mkdir -p bin
	$(GO) build -o bin/ $(addprefix ./services/,$(SERVICES))

postgres:
	@if [ -z "$(DATABASE_URL)" ]; then $(PG) start; fi

postgres-stop:
	@$(PG) stop

migrate: postgres
	DATABASE_URL='$(DB_URL)' $(GO) run ./services/migrate

dev: $(TEMPORAL) build postgres
	DATABASE_URL='$(DB_URL)' deploy/local/dev.sh

test: lint test-unit test-integration test-deploy

test-unit:
	$(GO) test -count=1 ./...

# The console's and the portal's tests drive Debian's Chromium, installed
# by deploy/local/chromium.sh when missing (a missing browser fails the run).
test-integration: $(TEMPORAL) postgres
	browser=$$(deploy/local/chromium.sh) && RELANCE_CHROMIUM="$$browser" \
	RELANCE_TEST_DATABASE_URL='$(DB_URL)' RELANCE_TEMPORAL_BIN='$(CURDIR)/$(TEMPORAL)' \
		$(GO) test -count=1 -tags integration -run Integration -timeout 30m ./...

# Linters pinned in their own module (tools/lint) so their dependencies
# never move the app's or the Temporal CLI's.
bin/staticcheck bin/workflowcheck: tools/lint/go.mod tools/lint/go.sum
	cd tools/lint && GOWORK=off $(GO) build -o ../../bin/ honnef.co/go/tools/cmd/staticcheck go.temporal.io/sdk/contrib/tools/workflowcheck

lint: bin/staticcheck bin/workflowcheck
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1; }
	$(GO) vet ./...
	$(GO) vet -tags integration ./...
	bin/staticcheck ./...
	bin/workflowcheck ./workflows/...

# Benchmarks and fault drills (bench/, issue 7): each figure is a ratio
# against a baseline measured in the same run, on a Temporal dev server and a
# Postgres cluster of their own. QUICK=1: small sizes (minutes); BENCH_FLAGS /
# DRILL_FLAGS pass more flags (see `go run ./bench/cmd/bench -h`).
bench: $(TEMPORAL)
	$(GO) run ./bench/cmd/bench $(if $(QUICK),-quick) $(BENCH_FLAGS)

drills: $(TEMPORAL)
	$(GO) run ./bench/cmd/drills $(if $(QUICK),-quick) $(DRILL_FLAGS)

clean:
	rm -rf bin .dev

# --- Deployment (deploy/, helm/, docker-compose.yml) ---
HELM       := bin/helm
IMAGE_REPO ?= relance
IMAGE_TAG  ?= dev

# Helm, pinned in tools/helm/go.mod, a module of its own so its Kubernetes
# dependencies stay out of the app and of tools/; built once.
$(HELM): tools/helm/go.mod tools/helm/go.sum
	cd tools/helm && GOWORK=off $(GO) build -o ../../$(HELM) helm.sh/helm/v3/cmd/helm

helm-lint: $(HELM)
	$(HELM) lint --strict helm/relance
	$(HELM) lint --strict helm/relance -f helm/relance/ci/all-on-values.yaml

# The chart (lint, render, strict Kubernetes decoding) and docker-compose.yml
# (compose-spec loader) checked without Docker or network by deploy/check,
# its own module (GOWORK=off: it is not in the workspace).
test-deploy: $(HELM)
	@mkdir -p bin
	$(GO) build -o bin/migrate ./services/migrate
	cd deploy/check && GOWORK=off RELANCE_HELM_BIN='$(CURDIR)/$(HELM)' RELANCE_MIGRATE_BIN='$(CURDIR)/bin/migrate' \
		$(GO) test -count=1 ./...

# One image per service from deploy/Dockerfile: $(IMAGE_REPO)/<service>:$(IMAGE_TAG).
images:
	@command -v docker >/dev/null 2>&1 || { echo "make images: docker is not installed; install Docker to build the images" >&2; exit 1; }
	@timeout 30 docker info >/dev/null 2>&1 || { echo "make images: no Docker engine answers (docker info failed): the docker CLI is here but no daemon runs; run make images on a machine with Docker" >&2; exit 1; }
	@for s in $(SERVICES); do \
		echo "docker build -f deploy/Dockerfile --target $$s -t $(IMAGE_REPO)/$$s:$(IMAGE_TAG) ."; \
		docker build -f deploy/Dockerfile --target $$s -t $(IMAGE_REPO)/$$s:$(IMAGE_TAG) . || exit 1; \
	done
