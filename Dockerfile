# Multi-stage build of the rbpk binary; the runtime image holds only the binary.
# Build:  docker build -t rbpk .
# Run against PostgreSQL:
#   docker run -p 8080:8080 -e DATABASE_URL=postgres://rbpk:secret@db:5432/rbpk \
#     -e RBPK_JWT_SECRET="$(openssl rand -hex 32)" rbpk
# There is no built-in signing secret: without RBPK_JWT_SECRET the embedded
# SQLite default signs with a random one made at start (tokens end with the
# container), and PostgreSQL refuses to start (docs/SECURITY.md).
# Files (photos, evidence) go to ./rbpk-objects in the container unless
# -e RBPK_OBJECT_STORE=s3://bucket/prefix with AWS_ACCESS_KEY_ID,
# AWS_SECRET_ACCESS_KEY, AWS_REGION (and AWS_ENDPOINT_URL for a server that
# is not AWS) names a bucket, which several containers share (docs/DECISIONS.md).
FROM rust:1.95-bookworm AS build
RUN apt-get update && apt-get install -y --no-install-recommends pkg-config libssl-dev \
    && rm -rf /var/lib/apt/lists/*
WORKDIR /src
# Dependencies first, so code changes do not rebuild them.
COPY Cargo.toml Cargo.lock build.rs ./
COPY migrations migrations
COPY data data
RUN mkdir src && echo 'fn main() {}' > src/main.rs && echo '' > src/lib.rs \
    && cargo build --release --locked || true
COPY . .
RUN touch src/main.rs src/lib.rs && cargo build --release --locked && strip target/release/rbpk

FROM debian:bookworm-slim
RUN apt-get update && apt-get install -y --no-install-recommends ca-certificates curl libssl3 \
    && rm -rf /var/lib/apt/lists/* \
    && useradd --system --uid 10001 --home /var/lib/rbpk --create-home rbpk
COPY --from=build /src/target/release/rbpk /usr/local/bin/rbpk
USER rbpk
WORKDIR /var/lib/rbpk
ENV RBPK_BIND=0.0.0.0:8080 RUST_LOG=info
EXPOSE 8080
HEALTHCHECK --interval=30s --timeout=3s --start-period=10s \
    CMD curl -fsS http://127.0.0.1:8080/health/live || exit 1
ENTRYPOINT ["/usr/local/bin/rbpk"]
CMD ["serve"]
