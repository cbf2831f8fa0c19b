# lbd: the two quick-start targets are `make run` and `make test`.
SWIFT ?= swift

.PHONY: run test deps build bench check-demo clean-demo lab lab-down bgp-bench fuzz l2-lab l2-lab-down l2-bench kube-bench

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
	LBD="$$($(SWIFT) build --show-bin-path)/lbd" ./scripts/check-chart.sh
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

## The BGP lab (root): a BIRD router and two lbd nodes in network namespaces; docs/bgp-lab.md. `make lab-down` ends it.
lab: build
	./scripts/bgp-lab.sh up "$$($(SWIFT) build --show-bin-path)/lbd"

lab-down:
	./scripts/bgp-lab.sh down

## The Layer 2 lab (root): a bridge, a client and three lbd nodes answering ARP/NDP; docs/layer2-lab.md. `make l2-lab-down` ends it.
l2-lab: build
	./scripts/l2-lab.sh up "$$($(SWIFT) build --show-bin-path)/lbd"

l2-lab-down:
	./scripts/l2-lab.sh down

## The Layer 2 benchmark (root): reply latency, failover, handover and memory against the kernel and keepalived;
## docs/layer2-benchmark.md. Extra options in L2_BENCH_ARGS (e.g. --runs 10).
l2-bench: deps
	$(SWIFT) build -c release --product lbd --scratch-path .build-release
	./scripts/l2-bench/l2-bench run --lbd .build-release/release/lbd $(L2_BENCH_ARGS)

## The Kubernetes source benchmark (no root): lbd against the API test server, one Service at a time, 1,000 at once,
## RSS with 10,000; docs/kubernetes-benchmark.md. Extra options in KUBE_BENCH_ARGS (e.g. --runs 50).
kube-bench: deps
	$(SWIFT) build -c release --product lbd --scratch-path .build-release
	$(SWIFT) build -c release --product lbd-kube-bench --scratch-path .build-release
	.build-release/release/lbd-kube-bench --lbd .build-release/release/lbd $(KUBE_BENCH_ARGS)

## The BGP benchmark (root): lbd, GoBGP, FRR and BIRD announcing N routes to BIRD; docs/bgp-benchmark.md.
bgp-bench: deps
	$(SWIFT) build -c release --product lbd --scratch-path .build-release
	./scripts/bgp-bench/bgp-bench run --lbd .build-release/release/lbd $(BGP_BENCH_ARGS)

## Fuzz the BGP decoder with libFuzzer for FUZZ_SECONDS per target (Fuzz/README.md); crashes land in Fuzz/crashes/.
FUZZ_SECONDS ?= 300
fuzz:
	cd Fuzz && $(SWIFT) build -c release --scratch-path ../.build-fuzz -Xswiftc -sanitize=fuzzer,address -Xswiftc -use-ld=lld
	cd Fuzz && mkdir -p corpus/decode corpus/roundtrip crashes && \
	  python3 seeds.py ../Tests/BGPPluginTests/Fixtures/wire corpus/decode corpus/roundtrip && \
	  SWIFT_BACKTRACE=enable=no ../.build-fuzz/release/fuzz-decode corpus/decode ../Tests/BGPPluginTests/Fixtures/crashers \
	    -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -artifact_prefix=crashes/ && \
	  SWIFT_BACKTRACE=enable=no ../.build-fuzz/release/fuzz-roundtrip corpus/roundtrip ../Tests/BGPPluginTests/Fixtures/crashers \
	    -max_total_time=$(FUZZ_SECONDS) -max_len=8192 -artifact_prefix=crashes/
