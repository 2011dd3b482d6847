import { carryDataDirectory } from './data-dir.js';
import type { Root } from '../rootfs/root.js';
import { followConfig } from './config-files.js';
import { emptyProfile, type ProfileContext, type ProfileResult } from './types.js';

/** The option groups the server reads (MariaDB's and MySQL's). */
const SERVER_GROUPS = /^(mysqld|server|mariadb|mariadbd|mysqld-\d.*|mariadb-\d.*)$/;

export function isMysqlServer(program: string): boolean {
  return /(^|\/)(mysqld|mariadbd)$/.test(program);
}

/**
 * MySQL's and MariaDB's server, read and never run: its option files (`--defaults-file=`, else /etc/my.cnf and
 * /etc/mysql/my.cnf, with `!include` and `!includedir` followed), and from the server's groups of them: the data
 * directory as the base has it (its state: a volume in a hardened run), the socket's and pid file's directories,
 * the message files' directory, the plugin directory's modules (loaded by name).
 */
export function mysqlProfile(ctx: ProfileContext): ProfileResult {
  const { root } = ctx;
  const out = emptyProfile('mysql');
  const args = ctx.args ?? [];
  const fromArgs = (name: string) =>
    [...args]
      .reverse()
      .find((x) => x.replace(/_/g, '-').startsWith(`--${name}=`))
      ?.slice(name.length + 3);
  const defaults = fromArgs('defaults-file');
  const start = defaults ? [defaults] : ['/etc/my.cnf', '/etc/mysql/my.cnf'].filter((f) => root.exists(f));
  for (const f of start) out.files.push({ path: f, reason: `the server's option file${defaults ? ' (--defaults-file)' : ''}` });
  const followed = followConfig(root, start, undefined);
  out.files.push(...followed.files);
  out.trees.push(...followed.trees);
  const options = serverOptions(root, [...start, ...followed.files.map((f) => f.path)]);
  const get = (name: string) => fromArgs(name) ?? options.get(name);

  const dataDir = get('datadir') ?? '/var/lib/mysql';
  carryDataDirectory(root, dataDir, out);
  const dirOf = (p: string) => p.slice(0, p.lastIndexOf('/')) || '/';
  const socket = get('socket');
  if (socket?.startsWith('/')) {
    out.sockets = [dirOf(socket)];
    out.writable.push({ path: dirOf(socket), reason: `the server makes its socket here (socket = ${socket})` });
  }
  const pid = get('pid-file');
  if (pid?.startsWith('/')) out.writable.push({ path: dirOf(pid), reason: `the server writes its pid file here (pid-file = ${pid})` });
  const messages = get('lc-messages-dir') ?? get('language');
  if (messages?.startsWith('/') && root.isDir(messages)) out.trees.push({ path: messages, reason: 'the server reads its messages here' });
  const plugins = get('plugin-dir') ?? ['/usr/lib/mysql/plugin', '/usr/lib64/mysql/plugin'].find((d) => root.isDir(d));
  if (plugins && root.isDir(plugins))
    for (const n of root.readdir(plugins).filter((x) => x.endsWith('.so')))
      out.dlopen.push({
        path: `${plugins}/${n}`,
        reason: `the server loads it from its plugin directory (${plugins}) by name`,
        ifElf: true,
      });
  return out;
}

/** `name = value` (or a bare `name`) of the server's groups, the last one winning; `_` and `-` are the same. */
function serverOptions(root: Root, files: string[]): Map<string, string> {
  const out = new Map<string, string>();
  for (const f of files) {
    let group = '';
    for (const line of (root.readText(f) ?? '').split('\n')) {
      const g = /^\s*\[([^\]]+)\]/.exec(line);
      if (g) {
        group = g[1].trim().toLowerCase();
        continue;
      }
      const m = /^\s*([A-Za-z][\w-]*)\s*(?:=\s*(.*?))?\s*(?:#.*)?$/.exec(line);
      if (m && SERVER_GROUPS.test(group)) out.set(m[1].replace(/_/g, '-').toLowerCase(), (m[2] ?? '').replace(/^(["'])(.*)\1$/, '$2'));
    }
  }
  return out;
}
