# kargo-webhooks as a container image, for deploy/ (docs/kubernetes.md).
#
#   docker build -t kargo-webhooks:latest .
#
# Build stage: the same two commands as CI (.ci/run), on Debian 12.
# Runtime stage: Debian 12 with only the shared libraries the binary links
# (tests/integration/suite_deploy.py checks this list against the built
# binary's DT_NEEDED entries), CA certificates for the API server's TLS,
# and a numeric non-root user, so runAsNonRoot can verify it.

FROM debian:bookworm-slim AS build
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends make ca-certificates \
 && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY . .
RUN make deps && make -j"$(nproc)" && ./kargo-webhooks --version

FROM debian:bookworm-slim
# runtime packages: one per library in the binary's DT_NEEDED (libc6 is in the base image)
RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
    libmicrohttpd12 \
    libcjson1 \
    libyaml-0-2 \
    libsqlite3-0 \
    libpcre2-8-0 \
    libssl3 \
    libcurl4 \
    ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY --from=build /src/kargo-webhooks /usr/local/bin/kargo-webhooks
# Fails the build if a linked library is missing from the list above.
RUN ! ldd /usr/local/bin/kargo-webhooks | grep 'not found' \
 && mkdir -p /var/lib/kargo-webhooks \
 && chown 65532:65532 /var/lib/kargo-webhooks
USER 65532:65532
WORKDIR /var/lib/kargo-webhooks
EXPOSE 8080
ENTRYPOINT ["/usr/local/bin/kargo-webhooks", "serve"]
