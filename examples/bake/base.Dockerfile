# syntax=localhost:5000/frontend:dev
# The shared base: files made on the build platform, one root per target platform.
ARG BASE=localhost:5000/busybox:e2e

FROM --platform=$BUILDPLATFORM ${BASE} AS prep
ARG TARGETPLATFORM
RUN mkdir -p /out/etc && echo "base for ${TARGETPLATFORM}" > /out/etc/base-info

FROM scratch AS base
COPY --from=prep /out/ /
