import { Flags, type Interfaces } from '@oclif/core';
import { sharedFlags } from './flags.js';
import { serviceFlags } from './service-flags.js';

/**
 * The flags that shape the image, declared once: generate takes them, and verify takes the same so it plans the
 * image exactly as generate would. Neither command borrows the other's class to reach them.
 */
export const shapeFlags = {
  base: sharedFlags.base(),
  root: sharedFlags.root(),
  dockerfile: Flags.string({
    description: 'your own multi-stage Dockerfile: build --target, and append the scratch stage to it',
    dependsOn: ['target'],
  }),
  target: Flags.string({ description: 'with --dockerfile: the stage that holds the built program', dependsOn: ['dockerfile'] }),
  'build-network': Flags.string({ description: 'with --dockerfile: --network for building the stage (none, host)' }),
  platform: Flags.string({
    description: 'the platform of the base to use (linux/arm64, linux/arm/v7): a base that is another one is refused',
  }),
  include: sharedFlags.include(),
  exclude: Flags.string({
    description:
      'leave out paths matching this glob (an nginx module, a data directory); what the loader needs is refused with the chain that needs it; repeatable',
    multiple: true,
  }),
  user: Flags.string({
    char: 'u',
    description:
      "run as NAME or UID[:GID] (default: the base's own USER when it is not root, else nonroot 65532, or root when the program drops privileges itself)",
  }),
  expose: Flags.string({ description: 'add EXPOSE for this port or range (80, 8080/tcp, 53/udp, 8000-8010)', multiple: true }),
  'base-config': Flags.boolean({
    description:
      "keep what the base image's configuration says about running: ENV, WORKDIR, EXPOSE, STOPSIGNAL, VOLUME, LABEL, its USER and CMD, a HEALTHCHECK whose program is in the image",
    allowNo: true,
    default: true,
  }),
  'ca-certs': Flags.boolean({
    description: 'copy the CA bundle (default: when TLS libraries or Go crypto/x509 are present)',
    allowNo: true,
  }),
  tz: Flags.string({ description: 'copy tzdata: a zone (Europe/Paris, also /etc/localtime) or "all"' }),
  trace: Flags.string({
    description:
      "run this command in a container of the base (never on this machine), traced by this machine's strace brought in read-only, and add what it uses; repeatable, one run each",
    multiple: true,
  }),
  'trace-timeout': Flags.string({
    description: 'seconds a --trace run may take; then it is stopped and what it used so far is kept',
    default: '60',
  }),
  references: Flags.boolean({
    description:
      'copy what the program and its libraries name as absolute paths in their read-only data (a config file, a data directory such as the timezone database), when their packages ship it',
    allowNo: true,
    default: true,
  }),
  gconv: Flags.boolean({ description: "copy glibc's gconv modules when iconv_open is imported", allowNo: true, default: true }),
  'package-metadata': Flags.boolean({
    description: 'write dpkg metadata of the copied packages and the OS markers, so scanners see them',
    allowNo: true,
    default: true,
  }),
  copyright: Flags.boolean({
    description: "with package metadata: copy each package's copyright file, for license detection",
    allowNo: true,
    default: true,
  }),
  engine: sharedFlags.engine(),
  'library-path': sharedFlags.libraryPath(),
};

/** Every flag of generate (the main job): the shape flags, --trace-service and its service flags, the outputs. */
export const generateFlags = {
  ...shapeFlags,
  'trace-service': Flags.boolean({
    description:
      'start the program as a service in a container of the base, traced, make the --probe and --probe-cmd requests, and add what it used (--trace-timeout bounds its start)',
  }),
  ...serviceFlags,
  bundle: Flags.string({
    description:
      'write the minimal root itself instead: a directory (for COPY --from=build /out/ /), or FILE.tar; its settings (entrypoint, user, ports, the base configuration kept) beside it in NAME.scratchify.json, outside the image',
  }),
  image: Flags.string({
    description:
      'write the image itself, without a build: oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG], docker-daemon:NAME:TAG (loaded into --engine); the same bytes on every run, one layer per package',
  }),
  force: Flags.boolean({ description: 'with --bundle DIR or --image oci:DIR: replace a directory that is not empty' }),
  output: Flags.string({
    char: 'o',
    description: 'write the Dockerfile here (and the scaffold archive beside it) instead of stdout; - is stdout',
  }),
  verbose: Flags.boolean({
    description: 'also print warnings that hold in almost every base and change nothing (NSS modules glibc skips)',
  }),
  sizes: Flags.boolean({
    description: 'print the whole image as a tree by size, each file with why it is there (--json: the tree as sizeTree)',
  }),
  sbom: Flags.string({ description: "write the scratch image's SBOM to this file" }),
  'sbom-format': Flags.string({ description: 'SBOM format', options: ['cyclonedx', 'spdx'], default: 'cyclonedx' }),
};

export type GenerateFlags = Interfaces.InferredFlags<typeof generateFlags>;
