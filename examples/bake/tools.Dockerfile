# No syntax line: the BUILDKIT_SYNTAX build arg of the bake target selects the frontend.
ARG BASE=localhost:5000/busybox:e2e

FROM --platform=$BUILDPLATFORM ${BASE} AS build
ARG TOOL
ARG TARGETARCH
RUN mkdir /out && echo "${TOOL} for ${TARGETARCH}" > "/out/${TOOL}"

FROM base
COPY --from=build /out/ /tools/
