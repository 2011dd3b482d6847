import { Args, Flags, type Interfaces } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { positionals } from '../positionals.js';
import { shapeFlags } from '../generate-flags.js';
import { runGenerate } from '../generate-run.js';
import { serviceFlags } from '../service-flags.js';

export type GenerateFlags = Interfaces.InferredFlags<typeof Generate.flags>;

export default class Generate extends BaseCommand {
  static summary = 'Write a FROM scratch Dockerfile that holds exactly what BINARY needs from the base image.';
  static description = `The default command: "scratchify BINARY ..." is "scratchify generate BINARY ...".
Reads the image's files without running anything from it, resolves the binary as its dynamic loader would, adds what its configuration names (nginx: modules, config, web roots, writable dirs) and what glibc loads at run time (NSS modules, libgcc_s, gconv), and writes the Dockerfile plus a small scaffold archive (directories, links, passwd/group) that the Dockerfile ADDs.`;
  static strict = false;
  static enableJsonFlag = true;

  static args = {
    binary: Args.string({ description: 'the program inside the image, e.g. /usr/sbin/nginx', required: true }),
  };

  static flags = {
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
    force: Flags.boolean({ description: 'with --bundle DIR: replace a directory that is not empty' }),
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

  static examples = [
    '<%= config.bin %> /usr/sbin/nginx --base myorg/nginx-base:bookworm -o Dockerfile',
    '<%= config.bin %> /app/server --dockerfile Dockerfile --target build -o Dockerfile.scratch',
    '<%= config.bin %> /usr/local/bin/app --root ./rootfs --base myorg/app-builder -o Dockerfile -- --port 8080',
  ];

  async run(): Promise<unknown> {
    const { args, flags, raw } = await this.parse(Generate);
    return runGenerate(
      { binary: args.binary, argv: positionals(raw), flags, raw },
      { json: this.jsonEnabled(), progress: this.progress(), say: this.say(), version: this.config.version, flagDefs: Generate.flags },
    );
  }
}
