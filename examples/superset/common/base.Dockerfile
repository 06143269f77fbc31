# The base every service starts from, and the flavour switch.
# Included from the build context by each service's Dockerfile.
ARG BASE=localhost:5000/busybox:e2e
ARG FLAVOR=release

FROM ${BASE} AS base
ARG FLAVOR
RUN mkdir -p /app/bin && echo "flavor=${FLAVOR}" > /app/build-info

# Assets differ per flavour; a service copies those of its flavour with
# COPY --from=assets-${FLAVOR}.
FROM ${BASE} AS assets-release
RUN mkdir /assets && echo "minified assets" > /assets/app.txt

FROM ${BASE} AS assets-debug
RUN mkdir /assets && echo "assets with source maps" > /assets/app.txt

IF ${FLAVOR} == "debug"
FROM base AS runtime
ENV LOG_LEVEL=debug
RUN echo "set -x" > /app/bin/prelude.sh
ELSE
FROM base AS runtime
ENV LOG_LEVEL=info
RUN echo ":" > /app/bin/prelude.sh
END
