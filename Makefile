# aoai-api — every target a newcomer needs; `make help` lists them.
SHELL   := bash
PKG     := github.com/aoai-api/aoai-api
BIN     := bin/aoai-api
VERSION  ?= $(shell git describe --tags --always --dirty 2>/dev/null || echo dev)
REVISION ?= $(shell git rev-parse --short HEAD 2>/dev/null || echo unknown)
LDFLAGS  := -s -w -X $(PKG)/internal/app.version=$(VERSION) -X $(PKG)/internal/app.revision=$(REVISION)
MOCKS   := internal/ports/mocks
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 20s

.PHONY: help build run demo test bench sdk-deps contract fuzz lint fmt-check vet mocks-check generate clean

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  %-12s %s\n", $$1, $$2}'

build: ## build the release binary into bin/
	CGO_ENABLED=0 go build -trimpath -ldflags '$(LDFLAGS)' -o $(BIN) ./cmd/aoai-api

run: build ## run against Azure OpenAI (needs AZURE_OPENAI_* set)
	./$(BIN)

demo: build ## run with the offline fake model on http://127.0.0.1:5009, chat page at /chat/
	@echo "Chat page: http://$${HOST:-127.0.0.1}:$${PORT:-5009}/chat/"
	LLM_PROVIDER=fake ./$(BIN)

test: sdk-deps fmt-check vet mocks-check ## gofmt, vet, stale mocks, then every test with the race detector
	go test -race -count=1 ./...

bench: ## end-to-end benchmark against the floor, written to docs/benchmarks.md (not part of test/CI)
	@command -v taskset >/dev/null || echo "taskset not found: the load generator will share CPUs with the targets"
	@command -v redis-server >/dev/null || { echo "make bench needs redis-server for its Redis row: apt-get install -y redis-server"; exit 1; }
	$$(command -v taskset >/dev/null && echo taskset -c 1) go run ./test/bench/runner -out docs/benchmarks.md

# Minimising each new input is capped at 2s; the default 60s leaves a
# short run minimising instead of fuzzing.
fuzz: ## run every fuzz target for FUZZTIME each (default 20s); make test runs their seed corpora
	@set -e; for pkg in $$(go list ./internal/...); do \
		for fn in $$(go test -list '^Fuzz' $$pkg | grep '^Fuzz' || true); do \
			echo "== $$fn ($$pkg)"; go test -run '^$$' -fuzz "^$$fn\$$" -fuzztime $(FUZZTIME) -fuzzminimizetime 2s $$pkg; \
		done; \
	done

lint: ## staticcheck, pinned; CI runs it after make test
	go run $(STATICCHECK) ./...

sdk-deps: ## install the openai, LangChain.js and AI SDK packages the /v1 end-to-end tests drive (needs Node 20 + npm)
	npm ci --prefix test/sdk --no-audit --no-fund --loglevel=error

contract: ## the OpenAPI contract tests alone (make test runs them too)
	go test -race -count=1 -run '^Test(Contract|Consumer)' ./test/

fmt-check:
	@out=$$(gofmt -l api cmd internal test); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi

vet: # with -race, so its compiled packages are the ones go test -race reuses
	go vet -race ./...

mocks-check: ## fail when the committed mocks differ from freshly generated ones
	@tmp=$$(mktemp -d); cp -r $(MOCKS) $$tmp/before; \
	go generate ./internal/ports/...; \
	if ! diff -r $$tmp/before $(MOCKS); then rm -rf $$tmp; echo "mocks are stale: run 'make generate' and commit"; exit 1; fi; \
	rm -rf $$tmp

generate: ## regenerate the gomock mocks
	go generate ./...

clean: ## remove build output and logs
	rm -rf bin logs
