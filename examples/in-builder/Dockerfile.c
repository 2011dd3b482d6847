# A C program built and cut in the same builder: scratchify writes its minimal root to /out.
ARG BUILDER=scratchify-examples/in-builder:bookworm
FROM ${BUILDER} AS build
COPY hello.c /src/hello.c
RUN gcc -O2 -o /usr/local/bin/hello /src/hello.c
COPY scratchify/ /opt/scratchify/
RUN /opt/scratchify/node /opt/scratchify/bin/run.js /usr/local/bin/hello --bundle /out

FROM scratch
COPY --from=build /out/ /
USER 65532:65532
ENTRYPOINT ["/usr/local/bin/hello"]
