# docker buildx bake with our frontend: `docker buildx bake` (the default group), or
# `docker buildx bake --print` to see the expanded targets. Every target is built by our
# frontend: `app` and `base` name it on their `# syntax=` line, the `tool-*` matrix through the
# BUILDKIT_SYNTAX build arg (from `_common`). Override the variables from the environment:
#   FRONTEND=registry.example.com/you/frontend:1 BASE=busybox:1.36 docker buildx bake

variable "FRONTEND" {
  default = "localhost:5000/frontend:dev"
}

variable "BASE" {
  default = "localhost:5000/busybox:e2e"
}

variable "TAG" {
  default = "dev"
}

group "default" {
  targets = ["app", "tools"]
}

# Shared by every target: the base image, both platforms (RUN steps run on the build
# platform, `FROM --platform=$BUILDPLATFORM`: no emulation needed), a label.
target "_common" {
  context   = "."
  platforms = ["linux/amd64", "linux/arm64"]
  args = {
    BASE = BASE
  }
  labels = {
    "org.opencontainers.image.source" = "examples/bake"
  }
}

# A minimal root file system the other targets start from (`FROM base`).
target "base" {
  inherits   = ["_common"]
  dockerfile = "base.Dockerfile"
}

target "app" {
  inherits   = ["_common"]
  dockerfile = "Dockerfile"
  contexts = {
    base = "target:base"
  }
  tags = ["bake-app:${TAG}"]
}

# One target per tool; no `# syntax=` line in tools.Dockerfile: BUILDKIT_SYNTAX selects us.
target "tools" {
  name       = "tool-${tool}"
  inherits   = ["_common"]
  dockerfile = "tools.Dockerfile"
  matrix = {
    tool = ["lint", "fmt"]
  }
  args = {
    TOOL            = tool
    BUILDKIT_SYNTAX = FRONTEND
  }
  contexts = {
    base = "target:base"
  }
}
