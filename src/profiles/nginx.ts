import { ScratchifyError } from '../errors.js';
import { globInRoot } from '../rootfs/glob.js';
import type { ByteSource } from '../elf/source.js';
import type { ElfFile } from '../elf/file.js';
import { probed, stringAfter } from './binary-probes.js';
import { parseConfigureArgs, parseNginxConf, type Directive, type NginxBuild } from './nginx-conf.js';
import { emptyProfile, type ProfileContext, type ProfileResult } from './types.js';

/** Bounds on the include graph, so a config that includes itself or a huge glob terminates. */
const MAX_CONF_FILES = 2000;
const MAX_INCLUDE_DEPTH = 32;

/**
 * Directives of the stock modules (http, mail, stream and Debian's dynamic ones) whose first argument is a
 * file nginx opens, relative to the configuration directory.
 */
const CONF_FILES = new Set([
  'ssl_certificate',
  'ssl_certificate_key',
  'ssl_trusted_certificate',
  'ssl_client_certificate',
  'ssl_dhparam',
  'ssl_crl',
  'ssl_password_file',
  'ssl_stapling_file',
  'ssl_session_ticket_key',
  'auth_basic_user_file',
  'geoip_country',
  'geoip_city',
  'geoip_org',
  'xslt_stylesheet',
  'xml_entities',
  ...['proxy', 'grpc', 'uwsgi'].flatMap((p) =>
    ['certificate', 'certificate_key', 'trusted_certificate', 'crl', 'password_file'].map((f) => `${p}_ssl_${f}`),
  ),
]);
/** Directories the worker processes write, relative to the prefix; nginx creates the last component. */
const WORKER_DIRS = new Set([
  'client_body_temp_path',
  'proxy_temp_path',
  'fastcgi_temp_path',
  'uwsgi_temp_path',
  'scgi_temp_path',
  'proxy_cache_path',
  'fastcgi_cache_path',
  'uwsgi_cache_path',
  'scgi_cache_path',
]);
/** Directives naming a file nginx writes, whose directory must exist and be writable. */
const WRITTEN_FILES = new Set(['error_log', 'access_log', 'pid', 'lock_file']);
/**
 * Blocks whose lines are data, not directives (`map $uri $x { /old 1; }`, `types { text/html html; }`): a key
 * there that happens to read `root` or `alias` names nothing nginx opens. nginx reads `include` in them, and so
 * does the reader above.
 */
const DATA_BLOCKS = new Set(['map', 'geo', 'split_clients', 'types', 'charset_map', 'match']);
/** Values of those that are not files. */
const NOT_A_FILE = /^(off|stderr|syslog:|memory:|\/dev\/)/;

/** The part of a path before its first variable, cut back to a whole directory: `/srv/$host/x` is `/srv`. */
function beforeVariables(path: string): string {
  const i = path.indexOf('$');
  if (i < 0) return path;
  return path.slice(0, path.lastIndexOf('/', i)) || '/';
}

export function isNginx(program: string): boolean {
  return /(^|\/)nginx(-debug)?$/.test(program);
}

/**
 * The arguments nginx was configured with, as `nginx -V` prints them: a probe an image's cache runs on every ELF
 * file, so it reads only the read-only data the string sits in, not the code (46% of the bytes of this
 * machine's programs).
 */
export function nginxConfigure(src: ByteSource, elf?: ElfFile): string | undefined {
  return stringAfter(src, 'configure arguments:', elf?.constData);
}

/**
 * nginx, read and never run: compiled-in paths from its `configure arguments:`, then nginx.conf and every
 * file it includes, for modules, config, web roots, logs, temp paths and the worker user.
 */
export function nginxProfile(ctx: ProfileContext): ProfileResult {
  const { root } = ctx;
  const out = emptyProfile('nginx');
  const build: NginxBuild = parseConfigureArgs(probed(root, ctx.real, 'nginx-configure', nginxConfigure));
  const confDir = build.confPath.slice(0, build.confPath.lastIndexOf('/')) || '/';
  const fromPrefix = (p: string) => (p.startsWith('/') ? p : `${build.prefix}/${p}`);
  const fromConf = (p: string) => (p.startsWith('/') ? p : `${confDir}/${p}`);

  if (!root.exists(build.confPath)) {
    throw new ScratchifyError('CONFIG_INVALID', `${build.confPath}: nginx's configuration file is not in ${root.description}`, {
      hint: 'nginx reads it at start; add it to the image, or pass the binary of a different build',
    });
  }
  out.trees.push({ path: confDir, reason: `nginx configuration directory (conf-path ${build.confPath})` });

  const directives: Directive[] = [];
  const seen = new Set<string>();
  const ids = { next: 0 };
  const read = (path: string, depth: number, why: string, outer: Directive | undefined) => {
    if (depth > MAX_INCLUDE_DEPTH)
      throw new ScratchifyError('CONFIG_INVALID', `${path}: includes nest deeper than ${MAX_INCLUDE_DEPTH}`, {
        hint: 'an include loops back on itself',
      });
    const real = root.resolve(path).path;
    if (seen.has(real)) return;
    seen.add(real);
    if (seen.size > MAX_CONF_FILES)
      throw new ScratchifyError('CONFIG_INVALID', `${path}: more than ${MAX_CONF_FILES} configuration files`, {
        hint: 'narrow the include patterns',
      });
    const text = root.readText(path);
    if (text === undefined)
      throw new ScratchifyError('CONFIG_INVALID', `${path}: cannot be read in ${root.description}`, {
        hint: 'an include names a directory or a missing file',
      });
    out.files.push({ path, reason: why });
    const scope = { context: outer?.context ?? [], blocks: outer?.blocks ?? [], ids };
    for (const d of parseNginxConf(text, path, scope)) {
      if (d.name === 'include' && d.args[0]) {
        const pattern = fromConf(d.args[0]);
        const matches = globInRoot(root, pattern);
        if (matches.length === 0 && !/[*?[]/.test(pattern)) {
          throw new ScratchifyError('CONFIG_INVALID', `${d.file}:${d.line}: include ${d.args[0]}: no such file in ${root.description}`, {
            hint: 'nginx -t would fail the same way',
          });
        }
        for (const m of matches) read(m, depth + 1, `nginx config, included from ${d.file}:${d.line}`, d);
      } else {
        directives.push(d);
      }
    }
  };
  read(build.confPath, 0, 'nginx main configuration', undefined);

  let daemonSet = false;
  const rooted = new Set<number>();
  const perlModules: string[] = [];
  for (const d of directives) {
    const arg = d.args[0];
    const where = `${d.file}:${d.line}`;
    if (d.context.some((c) => DATA_BLOCKS.has(c))) continue;
    const viaVariables = (kind: string, p: string) =>
      out.warnings.push(`${where}: ${d.name} ${arg} holds variables; copying ${p}, the ${kind} before them`);
    if (d.name === 'load_module') {
      if (arg) out.dlopen.push({ path: fromPrefix(arg), reason: `nginx module (load_module in ${where})` });
    } else if (d.name === 'user') {
      if (arg) {
        out.users.push(arg);
        if (d.args[1]) out.users.push(`:${d.args[1]}`);
        out.needsRoot = `${where} sets "user ${d.args.join(' ')}": the master process starts as root and its workers switch to ${arg}`;
      }
    } else if (d.name === 'daemon') {
      daemonSet = true;
    } else if ((d.name === 'root' || d.name === 'alias') && arg) {
      if (d.blocks.length) rooted.add(d.blocks[d.blocks.length - 1]);
      const p = beforeVariables(fromPrefix(arg)).replace(/(.)\/$/, '$1');
      if (p !== fromPrefix(arg).replace(/(.)\/$/, '$1')) viaVariables('directory', p);
      const kind = root.lookup(p)?.entry.type;
      if (kind === 'dir') out.trees.push({ path: p, reason: `web root (${d.name} in ${where})` });
      // `alias` may name one file (location /cv { alias /srv/cv.pdf; }): nginx serves that file for the location.
      else if (kind === 'file') out.files.push({ path: p, reason: `served file (${d.name} in ${where})` });
      else out.warnings.push(`${where}: ${d.name} ${arg} is not in ${root.description}; nginx will answer 404 there`);
    } else if (WRITTEN_FILES.has(d.name) && arg && !NOT_A_FILE.test(arg)) {
      const p = fromPrefix(arg);
      const dir = beforeVariables(p.slice(0, p.lastIndexOf('/')) || '/');
      if (arg.includes('$')) viaVariables('directory', dir);
      out.writable.push({ path: dir, reason: `${d.name} ${arg} (${where})` });
    } else if (d.name === 'working_directory' && arg) {
      // The workers' current directory (where they dump core): it must exist for them to start.
      out.writable.push({ path: fromPrefix(arg), reason: `working_directory (${where})`, owner: 'worker' });
    } else if (d.name === 'perl_modules' && arg) {
      const p = fromConf(arg);
      perlModules.push(p);
      if (root.isDir(p)) out.trees.push({ path: p, reason: `embedded Perl modules (perl_modules in ${where})` });
    } else if (d.name === 'perl_require' && arg) {
      const found = perlModules.map((m) => `${m}/${arg}`).find((p) => root.lookup(p)?.entry.type === 'file');
      if (!found)
        out.warnings.push(
          `${where}: perl_require ${arg} is not in any perl_modules directory; add it with --include if Perl finds it elsewhere`,
        );
    } else if (WORKER_DIRS.has(d.name) && arg) {
      const p = beforeVariables(fromPrefix(arg));
      out.writable.push({ path: p, reason: `${d.name} (${where})`, owner: 'worker' });
    } else if (CONF_FILES.has(d.name) && arg && !arg.startsWith('data:') && !arg.startsWith('engine:')) {
      const p = fromConf(arg);
      if (arg.includes('$')) {
        // nginx resolves these per request (ssl_certificate $ssl_server_name...): the whole directory goes in.
        const dir = beforeVariables(p);
        viaVariables('directory', dir);
        if (root.isDir(dir)) out.trees.push({ path: dir, reason: `${d.name} in ${where}` });
      } else if (root.exists(p)) out.files.push({ path: p, reason: `${d.name} in ${where}` });
      else out.warnings.push(`${where}: ${d.name} ${arg} is not in ${root.description}; nginx will fail to start`);
    }
  }

  // A server or location with no root of its own, nor from an enclosing block, serves nginx's default root.
  const unrooted = directives.some(
    (d) =>
      d.opens !== undefined &&
      (d.name === 'server' || d.name === 'location') &&
      d.context[0] === 'http' &&
      ![...d.blocks, d.opens].some((b) => rooted.has(b)),
  );
  const defaultRoot = fromPrefix('html');
  if (unrooted && root.isDir(defaultRoot))
    out.trees.push({ path: defaultRoot, reason: "web root (nginx's default, html under the prefix)" });

  // Compiled-in paths nginx uses when the configuration does not override them.
  for (const p of [build.errorLogPath, build.pidPath, build.httpLogPath]) {
    if (p !== 'stderr' && !out.writable.some((w) => p.startsWith(`${w.path}/`))) {
      out.writable.push({ path: p.slice(0, p.lastIndexOf('/')) || '/', reason: `compiled-in path ${p}` });
    }
  }
  for (const p of build.tempPaths) {
    if (!out.writable.some((w) => w.path === p)) out.writable.push({ path: p, reason: 'compiled-in temp path', owner: 'worker' });
  }
  if (!daemonSet) out.defaultArgs = ['-g', 'daemon off;'];
  return out;
}
