# lbd's image: lbd built with the Swift standard library linked in (`--static-swift-stdlib`), on Debian slim with
# only what it still loads at run time (libpcap for the Layer 2 plugin; libc, libstdc++, libgcc_s and zlib are in
# the base image). Build: docker build -t REGISTRY/lbd:0.1.0 .   Used by charts/lbd (docs/kubernetes.md).
ARG SWIFT_IMAGE=swift:6.3-bookworm
ARG RUNTIME_IMAGE=debian:bookworm-slim

FROM ${SWIFT_IMAGE} AS build
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpcap-dev \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN swift build -c release --static-swift-stdlib --product lbd \
 && install -D -m 0755 "$(swift build -c release --static-swift-stdlib --show-bin-path)/lbd" /out/lbd \
 && strip /out/lbd \
 && /out/lbd version

FROM ${RUNTIME_IMAGE} AS runtime
RUN apt-get update \
 && apt-get install -y --no-install-recommends libpcap0.8 ca-certificates \
 && rm -rf /var/lib/apt/lists/* \
 && groupadd --gid 65532 lbd \
 && useradd --uid 65532 --gid 65532 --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin lbd \
 && mkdir -p /etc/lbd /run/lbd \
 && chown 65532:65532 /run/lbd
COPY --from=build /out/lbd /usr/local/bin/lbd
LABEL org.opencontainers.image.title="lbd" \
      org.opencontainers.image.description="Load balancer for bare-metal networks: addresses from pools, announced by ARP/NDP or BGP"
# Non-root by default. Answering ARP/NDP needs CAP_NET_RAW, which Kubernetes can only give to uid 0 (it has no
# ambient capabilities): the chart runs the Layer 2 pods as uid 0 with every other capability dropped.
USER 65532:65532
ENTRYPOINT ["lbd", "run"]
