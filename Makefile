# verdict: the Makefile is the CI contract (.ci/run calls `make test`).
GO          ?= go
STATICCHECK := honnef.co/go/tools/cmd/staticcheck@v0.8.2
FUZZTIME    ?= 10s
BENCHTIME   ?= 1x
VERDICT     := bin/verdict

.PHONY: all build demo contest phases test bench fuzz check wasm clean
.PHONY: bench-anchors

all: build

## build: the verdict binary in bin/
build:
	$(GO) build -trimpath -o $(VERDICT) ./cmd/verdict

## demo: a whole competition on the embedded example task, end to end
demo:
	$(GO) run ./cmd/verdict demo

## contest: a one-week contest on a simulated clock: limits, teams, selections, close, private reveal
contest:
	$(GO) run ./cmd/verdict demo --contest

## phases: a two-phase invite-only contest on a simulated clock: admission, a refused outsider, the final re-run on unseen rows, certification
phases:
	$(GO) run ./cmd/verdict demo --phases

## test: vet, then every test with the race detector (includes the CLI's end-to-end tests), a generated 2e7-row task end to end and the intervals' coverage simulation at full size (both too slow under -race), and the Go guest SDK's own module
test:
	$(GO) vet ./...
	$(GO) test -race -count=1 -timeout 30m ./...
	$(GO) test -short -count=1 -timeout 30m -run '^TestLargeTask$$' ./bench/
	$(GO) test -short -count=1 -run '^TestCoverage$$' ./engine/metric/
	cd sdk/guest && $(GO) vet ./... && $(GO) test -race -count=1 ./...
	cd guests/onnx && $(GO) vet ./... && $(GO) test -race -count=1 ./...

## bench: benchmarks (sandboxed vs native inference, metrics, datasets, store, credentials, the queue, the ledger, the marketplace)
bench:
	$(GO) test -run='^$$' -bench=. -benchmem -benchtime=$(BENCHTIME) ./bench/ ./datasets/ ./engine/ ./engine/metric/ ./leaderboard/ ./sandbox/ \
	  ./engine/credential/... ./dispatch/ ./ledger/ ./market/ ./internal/httpapi/ ./internal/mcpserver/

## bench-anchors: the sandbox against the same C model natively (clang -O3, cgo) and under wasmtime, 1e6 rows x 20 features (a module of its own: bench/anchors)
bench-anchors:
	cd bench/anchors && CC=clang $(GO) test -count=1 -run='^$$' -bench=. -benchtime=$(or $(ANCHORS_BENCHTIME),5x) .

## fuzz: a short run of every fuzz target
fuzz:
	@set -e; for pkg in $$($(GO) list ./...); do \
	  for f in $$($(GO) test -list='^Fuzz' $$pkg | grep '^Fuzz' || true); do \
	    echo "fuzz $$pkg $$f"; \
	    $(GO) test -run='^$$' -fuzz="^$$f$$" -fuzztime=$(FUZZTIME) $$pkg; \
	  done; \
	done

## check: formatting, vet, staticcheck, tidy go.mod
check:
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || { gofmt -l $$(git ls-files '*.go'); echo 'gofmt: files above need formatting'; exit 1; }
	$(GO) vet ./...
	$(GO) run $(STATICCHECK) ./...
	$(GO) mod tidy -diff
	cd sdk/guest && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./... && $(GO) mod tidy -diff
	cd guests/onnx && $(GO) vet ./... && $(GO) run $(STATICCHECK) ./... && $(GO) mod tidy -diff

## wasm: rebuild every checked-in .wasm from its source (needs clang, lld, wasi-libc, wabt, npm, Debian's rustc + libstd-rust-dev-wasm32)
wasm:
	bash sandbox/sandboxtest/build.sh
	bash examples/build.sh
	bash sdk/guest/build.sh
	bash sdk/c/build.sh
	bash sdk/rust/build.sh
	bash guests/onnx/build.sh

clean:
	rm -rf bin

## onnx: rebuild the ONNX model corpus in examples/onnx (Debian's python3 with python3-torch, python3-onnx, python3-sklearn, python3-xgboost, python3-numpy)
.PHONY: onnx
onnx:
	sh examples/onnx/build.sh
