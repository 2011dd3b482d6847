import type { ElfProbe } from './binary-probes.js';
import { goBuildInfo } from './go.js';
import { nginxConfigure } from './nginx.js';

/** Every probe a profile asks of a program's bytes, by the name it asks with (see probed()). */
export const ELF_PROBES: Record<string, ElfProbe> = {
  go: goBuildInfo,
  'nginx-configure': nginxConfigure,
};
