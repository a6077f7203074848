# The nhigate container image, built by GoReleaser (dockers_v2 in
# .goreleaser.yaml) from the same binaries as the release archives: it copies
# the binary GoReleaser built for the platform, and compiles nothing.
# Static and non-root: no shell, no package manager, uid 65532.
FROM gcr.io/distroless/static-debian12:nonroot
ARG TARGETPLATFORM
COPY $TARGETPLATFORM/nhigate /usr/bin/nhigate
USER 65532:65532
WORKDIR /src
ENTRYPOINT ["/usr/bin/nhigate"]
CMD ["help"]
