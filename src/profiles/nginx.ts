import { ScratchifyError } from '../errors.js';
import { globInRoot } from '../rootfs/glob.js';
import { stringAfter } from './binary-strings.js';
import { parseConfigureArgs, parseNginxConf, type Directive, type NginxBuild } from './nginx-conf.js';
import { emptyProfile, type ProfileContext, type ProfileResult } from './types.js';

/** Bounds on the include graph, so a config that includes itself or a huge glob terminates. */
const MAX_CONF_FILES = 2000;
const MAX_INCLUDE_DEPTH = 32;

/** Directives whose first argument is a file nginx opens at start, relative to the conf directory. */
const CONF_RELATIVE_FILES = new Set([
  'ssl_certificate', 'ssl_certificate_key', 'ssl_trusted_certificate', 'ssl_client_certificate', 'ssl_dhparam',
  'ssl_crl', 'ssl_password_file', 'auth_basic_user_file', 'geoip_country', 'geoip_city', 'geoip_org',
  'xslt_stylesheet', 'ssl_stapling_file', 'ssl_session_ticket_key',
]);
const TEMP_DIRECTIVES = new Set(['client_body_temp_path', 'proxy_temp_path', 'fastcgi_temp_path', 'uwsgi_temp_path', 'scgi_temp_path']);

export function isNginx(program: string): boolean {
  return /(^|\/)nginx(-debug)?$/.test(program);
}

/**
 * nginx, read and never run: compiled-in paths from its `configure arguments:`, then nginx.conf and every
 * file it includes, for modules, config, web roots, logs, temp paths and the worker user.
 */
export function nginxProfile(ctx: ProfileContext): ProfileResult {
  const { root } = ctx;
  const out = emptyProfile('nginx');
  const build: NginxBuild = parseConfigureArgs(stringAfter(root, ctx.real, 'configure arguments:'));
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
  const read = (path: string, depth: number, why: string) => {
    if (depth > MAX_INCLUDE_DEPTH) throw new ScratchifyError('CONFIG_INVALID', `${path}: includes nest deeper than ${MAX_INCLUDE_DEPTH}`, { hint: 'an include loops back on itself' });
    const real = root.resolve(path).path;
    if (seen.has(real)) return;
    seen.add(real);
    if (seen.size > MAX_CONF_FILES) throw new ScratchifyError('CONFIG_INVALID', `${path}: more than ${MAX_CONF_FILES} configuration files`, { hint: 'narrow the include patterns' });
    const text = root.readText(path);
    if (text === undefined) throw new ScratchifyError('CONFIG_INVALID', `${path}: cannot be read in ${root.description}`, { hint: 'an include names a directory or a missing file' });
    out.files.push({ path, reason: why });
    for (const d of parseNginxConf(text, path)) {
      if (d.name === 'include' && d.args[0]) {
        const pattern = fromConf(d.args[0]);
        const matches = globInRoot(root, pattern);
        if (matches.length === 0 && !/[*?[]/.test(pattern)) {
          throw new ScratchifyError('CONFIG_INVALID', `${d.file}:${d.line}: include ${d.args[0]}: no such file in ${root.description}`, { hint: 'nginx -t would fail the same way' });
        }
        for (const m of matches) read(m, depth + 1, `nginx config, included from ${d.file}:${d.line}`);
      } else {
        directives.push(d);
      }
    }
  };
  read(build.confPath, 0, 'nginx main configuration');

  let daemonSet = false;
  for (const d of directives) {
    const arg = d.args[0];
    const where = `${d.file}:${d.line}`;
    switch (d.name) {
      case 'load_module':
        if (arg) out.dlopen.push({ path: fromPrefix(arg), reason: `nginx module (load_module in ${where})` });
        break;
      case 'user':
        if (arg) {
          out.users.push(arg);
          if (d.args[1]) out.users.push(`:${d.args[1]}`);
          out.needsRoot = `${where} sets "user ${d.args.join(' ')}": the master process starts as root and its workers switch to ${arg}`;
        }
        break;
      case 'daemon':
        daemonSet = true;
        break;
      case 'root':
      case 'alias':
        if (arg && !arg.includes('$')) {
          const p = fromPrefix(arg);
          if (root.isDir(p)) out.trees.push({ path: p.replace(/\/$/, ''), reason: `web root (${d.name} in ${where})` });
          else out.warnings.push(`${where}: ${d.name} ${arg} is not a directory in ${root.description}`);
        }
        break;
      case 'error_log':
      case 'access_log':
      case 'pid':
      case 'lock_file':
        if (arg && arg !== 'off' && arg !== 'stderr' && !arg.startsWith('syslog:') && !arg.startsWith('memory:') && !arg.startsWith('/dev/') && !arg.includes('$')) {
          const p = fromPrefix(arg);
          out.writable.push({ path: p.slice(0, p.lastIndexOf('/')) || '/', reason: `${d.name} ${arg} (${where})` });
        }
        break;
      default:
        if (TEMP_DIRECTIVES.has(d.name) && arg) {
          out.writable.push({ path: fromPrefix(arg), reason: `${d.name} (${where})`, owner: 'worker' });
        } else if (CONF_RELATIVE_FILES.has(d.name) && arg && !arg.includes('$') && !arg.startsWith('data:')) {
          const p = fromConf(arg);
          if (root.exists(p)) out.files.push({ path: p, reason: `${d.name} in ${where}` });
          else out.warnings.push(`${where}: ${d.name} ${arg} is not in ${root.description}; nginx will fail to start`);
        }
    }
  }

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
