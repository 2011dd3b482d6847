import { join } from 'node:path';
import { ScratchifyError } from '../errors.js';
import { packageRoot } from '../package-root.js';
import { type BroughtIn, bringIn } from './bring-in.js';

/** Where the probe client is mounted inside the probe container. */
export const PROBER_MOUNT = '/.scratchify-probe';

/**
 * The probe client, brought in: this machine's Node.js (the one scratchify runs on, so it is always here) with
 * its libraries and templates/probe-client.mjs. Probes must not depend on the image: a scratch image has no
 * curl, and a base's curl could differ from one image to the next. A client of our own also reports exactly
 * what is compared (status, Location, Content-Type, a body digest) in one JSON line.
 */
export function prepareProber(): BroughtIn {
  // This machine's Node.js runs here whatever the image's architecture: the probe container joins the service's
  // network namespace, and nothing of the image runs in it.
  const b = bringIn(process.execPath, PROBER_MOUNT, [
    { name: 'probe-client.mjs', from: join(packageRoot(), 'templates', 'probe-client.mjs') },
  ]);
  if (!b) {
    throw new ScratchifyError(
      'ENGINE_UNAVAILABLE',
      `${process.execPath}: this Node.js cannot be brought into a container (not a glibc program whose libraries resolve)`,
      {
        hint: "run scratchify on a Node.js built for glibc (the official builds and Debian's are)",
      },
    );
  }
  return b;
}

/** The command that runs the probe client with one request, inside a container that mounts the prober. */
export function proberCommand(prober: BroughtIn, request: unknown): string[] {
  return [...prober.command, '--max-old-space-size=128', `${PROBER_MOUNT}/probe-client.mjs`, JSON.stringify(request)];
}
