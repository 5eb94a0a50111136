# syntax=docker/dockerfile:1
# The aoai-api image: a static binary on distroless, run as a numeric
# non-root user. No secret is baked in: the key arrives at run time from
# a Kubernetes Secret, or no key at all with workload identity.
#
#   docker build -t aoai-api \
#     --build-arg VERSION="$(git describe --tags --always --dirty)" \
#     --build-arg REVISION="$(git rev-parse --short HEAD)" .
#
# test/dockerfile_test.go runs this file's own `go build` line and checks
# that the result is static, so keep that line self-contained.

FROM --platform=$BUILDPLATFORM golang:1.26.8-bookworm AS build
WORKDIR /src
COPY go.mod go.sum ./
RUN --mount=type=cache,target=/go/pkg/mod go mod download
COPY cmd ./cmd
COPY internal ./internal
ARG VERSION=dev
ARG REVISION=unknown
ARG TARGETOS
ARG TARGETARCH
RUN --mount=type=cache,target=/go/pkg/mod --mount=type=cache,target=/root/.cache/go-build \
    CGO_ENABLED=0 GOOS=$TARGETOS GOARCH=$TARGETARCH go build -trimpath \
    -ldflags "-s -w -X github.com/aoai-api/aoai-api/internal/app.version=${VERSION} -X github.com/aoai-api/aoai-api/internal/app.revision=${REVISION}" \
    -o /out/aoai-api ./cmd/aoai-api

FROM gcr.io/distroless/static-debian12:nonroot
COPY --from=build /out/aoai-api /aoai-api
# Listen on every interface inside the pod; log JSON to stdout only, as
# Kubernetes collects it (LOG_FILE empty: no file on a read-only root).
ENV HOST=0.0.0.0 PORT=5009 LOG_FORMAT=json LOG_FILE=""
EXPOSE 5009
# Numeric, so that runAsNonRoot can verify it without /etc/passwd.
USER 65532:65532
ENTRYPOINT ["/aoai-api"]
