# rewind — see README.md. Every target works on a fresh machine with Go.
GO      ?= go
BIN     := bin/rewind
PORT    ?= 7379
DIR     ?= ./data
FUZZTIME ?= 30s
BASE    ?= main
RUNS    ?= 3
BENCHFLAGS ?=

.PHONY: build run test race vet lint fuzz bench bench-compare bench-smoke jepsen clean

build:
	$(GO) build -o $(BIN) ./cmd/rewind

# Start a single node: Redis protocol on 127.0.0.1:$(PORT), data in $(DIR).
run: build
	./$(BIN) serve --port $(PORT) --dir $(DIR)

# The whole suite: formatting, vet, every test under the race detector, a
# short smoke run of the benchmark harness so it cannot rot, and the short
# fault-injection run (kill -9, pauses, power loss, disk faults, corruption).
test: lint
	$(GO) test -race -count=1 -timeout 20m ./...
	$(GO) test -count=1 -run 'Alloc' ./...   # allocation budgets (skipped under -race)
	$(MAKE) bench-smoke
	$(MAKE) jepsen

race:
	$(GO) test -race -count=1 ./...

vet:
	$(GO) vet ./...

lint: vet
	@unformatted=$$(gofmt -l $$(git ls-files '*.go' 2>/dev/null || find . -name '*.go')); \
	if [ -n "$$unformatted" ]; then echo "gofmt needed:"; echo "$$unformatted"; exit 1; fi

# Run every fuzz target for FUZZTIME each.
fuzz:
	@for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg 2>/dev/null | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

# Full comparison against redis-server (installed from Debian if missing).
bench: build
	./$(BIN) bench --install --json bench-results.json

# This tree against git revision BASE (before/after a change): BASE is built in
# a temporary directory, removed afterwards, and runs as rewind-base beside
# rewind and redis-always, RUNS times in alternating order. The table and the
# ratios report medians; every run is in bench-compare.json. BENCHFLAGS adds
# flags (e.g. --workloads publish,groups).
bench-compare: build
	@git rev-parse --verify --quiet "$(BASE)^{commit}" >/dev/null || { echo "bench-compare: unknown revision BASE=$(BASE)"; exit 2; }
	@tmp=$$(mktemp -d) && trap 'rm -rf "$$tmp"' EXIT && trap 'exit 130' INT TERM && \
	mkdir "$$tmp/src" && git archive "$(BASE)^{commit}" | tar -x -C "$$tmp/src" && \
	echo "building BASE=$(BASE) ($$(git rev-parse --short "$(BASE)^{commit}")) in $$tmp" && \
	(cd "$$tmp/src" && $(GO) build -buildvcs=false -o "$$tmp/rewind-base" ./cmd/rewind) && \
	./$(BIN) bench --install --rewind-base "$$tmp/rewind-base" --runs $(RUNS) \
	  --systems rewind,rewind-base,redis-always --json bench-compare.json $(BENCHFLAGS)

bench-smoke: build
	./$(BIN) bench --smoke --json /tmp/rewind-bench-smoke.json

# Short fault-injection run: exits non-zero on any violation; the report is
# in runs/<timestamp>/report.html. See jepsen/README.md for longer runs.
jepsen:
	$(GO) run ./jepsen --time 60s --nemesis kill,pause,powerloss,diskfault,corrupt --workload queue,log,subscribe --rate 2000 --out runs/

clean:
	rm -rf bin
