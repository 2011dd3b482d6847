import { Args } from '@oclif/core';
import { BaseCommand } from '../base-command.js';
import { verifyJob } from '../job/verify-job.js';
import { verifyFlags } from '../verify-flags.js';
import { runVerify } from '../verify-run.js';

export default class Verify extends BaseCommand {
  static summary = 'Build the scratch image, run it beside the base (commands, or the service and its probes), and name what is missing.';
  static description =
    `Generates the Dockerfile as "scratchify BINARY" would (same flags), builds it with the engine, and compares the scratch image with the base. --smoke runs a command's arguments through the image's ENTRYPOINT in both, as the same user, with no network, and compares exit status and standard output (--compare-stderr: standard error too). --probe and --probe-cmd start the program as a service in each image, in a network namespace of its own, wait until it is ready, make the same requests to both (in the order given, --restart among them) and compare the answers, then stop it with the image's stop signal and compare how it ended. On a difference, traces both with this machine's strace brought into each container and lists what the base used that the scratch image lacks, with the flag that adds it. --fix adds it and tries again. Exit status 0 when everything behaves the same, 9 when something does not.`;
  static strict = false;
  static enableJsonFlag = true;

  static args = {
    binary: Args.string({ description: 'the program inside the image, e.g. /usr/bin/python3', required: true }),
  };

  static flags = verifyFlags;

  static examples = [
    '<%= config.bin %> verify /usr/bin/python3 --base myorg/python:bookworm --smoke "-c \'import json, ssl\'"',
    "<%= config.bin %> verify /usr/sbin/rsyslogd --base myorg/rsyslog --smoke '-N1 -f /etc/rsyslog.conf' --fix -o Dockerfile",
    '<%= config.bin %> verify /usr/sbin/nginx --base myorg/site --probe http://127.0.0.1/ --probe http://127.0.0.1/cv --fix -o Dockerfile',
    "<%= config.bin %> verify /usr/bin/redis-server --base myorg/redis --volume data:/var/lib/redis --probe-cmd 'redis-cli set k v' --restart --probe-cmd 'redis-cli get k'",
  ];

  async run(): Promise<unknown> {
    const { args, flags, raw } = await this.parse(Verify);
    const job = verifyJob(args.binary, flags, raw, this.say());
    return runVerify(job, { json: this.jsonEnabled(), progress: this.progress(), say: this.say() });
  }
}
