# lbd: the two quick-start targets are `make run` and `make test`.
SWIFT ?= swift

.PHONY: run test deps build bench check-demo clean-demo

deps:
	@./scripts/install-deps.sh

build: deps
	$(SWIFT) build

## Build lbd and run it on the bundled demo (file source + log announcer; no root needed). Ctrl-C stops it.
run: build
	"$$($(SWIFT) build --show-bin-path)/lbd" run --config demo/lbd.yaml

## Install what the tests need, build everything (lbd, the examples, the benchmark) and run every test.
test: deps
	$(SWIFT) build --build-tests
	"$$($(SWIFT) build --show-bin-path)/EmbeddingExample"
	"$$($(SWIFT) build --show-bin-path)/CustomAnnouncerExample" --conformance
	$(SWIFT) test

## Allocator benchmark (release build): one line per figure.
bench: deps
	$(SWIFT) build -c release --product lbd-bench --scratch-path .build-release
	.build-release/release/lbd-bench

check-demo: build
	"$$($(SWIFT) build --show-bin-path)/lbd" check --config demo/lbd.yaml

clean-demo:
	rm -rf .lbd-demo-state
