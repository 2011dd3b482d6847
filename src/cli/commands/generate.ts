import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { positionals } from '../positionals.js';
import { generateFlags } from '../generate-flags.js';
import { runGenerate } from '../generate-run.js';
import { generateJob } from '../job/generate-job.js';

export default class Generate extends BaseCommand {
  static summary = 'Write a FROM scratch Dockerfile that holds exactly what BINARY needs from the base image.';
  static description = `The default command: "scratchify BINARY ..." is "scratchify generate BINARY ...".
Reads the image's files without running anything from it, resolves the binary as its dynamic loader would, adds what its configuration names (nginx: modules, config, web roots, writable dirs) and what glibc loads at run time (NSS modules, libgcc_s, gconv), and writes the Dockerfile plus a small scaffold archive (directories, links, passwd/group) that the Dockerfile ADDs.`;
  static strict = false;
  static enableJsonFlag = true;

  static args = {
    binary: Args.string({ description: 'the program inside the image, e.g. /usr/sbin/nginx', required: true }),
  };

  static flags = generateFlags;

  static examples = [
    '<%= config.bin %> /usr/sbin/nginx --base myorg/nginx-base:bookworm -o Dockerfile',
    '<%= config.bin %> /app/server --dockerfile Dockerfile --target build -o Dockerfile.scratch',
    '<%= config.bin %> /usr/local/bin/app --root ./rootfs --base myorg/app-builder -o Dockerfile -- --port 8080',
  ];

  async run(): Promise<unknown> {
    const { args, flags, raw } = await this.parse(Generate);
    const job = generateJob([args.binary, ...positionals(raw).slice(1)], flags, raw, this.jsonEnabled());
    return runGenerate(job, {
      json: this.jsonEnabled(),
      progress: this.progress(),
      say: this.say(),
      version: this.config.version,
      flagDefs: Generate.flags,
    });
  }
}
