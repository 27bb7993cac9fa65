# syntax=docker/dockerfile:1
# Multi-stage build: compile with the Rust toolchain, run on slim Debian with libpq and the
# PostgreSQL client tools (pg_dump, pg_restore: `soriano backup`, `restore`, nightly backups).

FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends libpq-dev && rm -rf /var/lib/apt/lists/*
WORKDIR /src
COPY Cargo.toml Cargo.lock askama.toml diesel.toml ./
COPY src src
COPY templates templates
COPY static static
COPY migrations migrations
RUN cargo build --release --locked && strip target/release/soriano

FROM debian:bookworm-slim
RUN apt-get update \
    && apt-get install -y --no-install-recommends libpq5 postgresql-client ca-certificates curl \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home-dir /var/lib/soriano --create-home soriano
COPY --from=build /src/target/release/soriano /usr/local/bin/soriano
USER soriano
WORKDIR /var/lib/soriano
ENV BIND=0.0.0.0:8080 \
    SORIANO_ENV=production \
    SORIANO_VAR_DIR=/var/lib/soriano \
    LOG_FORMAT=json
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=20s --retries=3 \
    CMD curl -fsS http://127.0.0.1:8080/healthz || exit 1
CMD ["soriano", "serve"]
