import type { Root } from '../rootfs/root.js';
import { isNginx, nginxProfile } from './nginx.js';
import type { ElfFile } from '../elf/file.js';
import { interpreterOf, interpreterProfile } from './interpreters.js';
import { isJvmLauncher, jvmProfile } from './jvm.js';
import { isMysqlServer, mysqlProfile } from './mysql.js';
import { isPostgres, postgresProfile } from './postgres.js';
import type { ProfileContext, ProfileResult } from './types.js';

/**
 * What programs need beyond DT_NEEDED, learned from their configuration: one registry that generate, doctor
 * and why consult alike. Each entry says which programs it knows and reads them (never runs them).
 */
const PROFILES: {
  name: string;
  /** By the program's path, or by its ELF header when the name says nothing (a JVM launcher links libjli.so). */
  matches: (program: string, elf?: ElfFile) => boolean;
  read: (ctx: ProfileContext) => ProfileResult;
}[] = [
  { name: 'nginx', matches: isNginx, read: nginxProfile },
  { name: 'postgres', matches: isPostgres, read: postgresProfile },
  { name: 'mysql', matches: isMysqlServer, read: mysqlProfile },
  { name: 'jvm', matches: (_p, elf) => isJvmLauncher(elf), read: jvmProfile },
  { name: 'interpreter', matches: (p) => interpreterOf(p) !== undefined, read: interpreterProfile },
];

/**
 * The profile of `program` (its path as named, `real` as resolved in the root), or undefined for none; `start` is
 * what it starts with, where the caller knows (generate does; doctor and why read the program alone).
 */
export function profileFor(
  root: Root,
  program: string,
  real: string,
  elf?: ElfFile,
  start: { args?: readonly string[]; env?: readonly string[] } = {},
): ProfileResult | undefined {
  const p = PROFILES.find((x) => x.matches(program, elf) || x.matches(real, elf));
  return p?.read({ root, program, real, elf, ...start });
}
