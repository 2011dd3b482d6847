import { carryDataDirectory } from './data-dir.js';
import type { Root } from '../rootfs/root.js';
import { type PgSetting, pgArgs, readPgConf } from './postgres-conf.js';
import { emptyProfile, type ProfileContext, type ProfileResult } from './types.js';

/** pg_database's heap file (its relfilenode is its OID, 1262, in every release) is read up to this many bytes. */
const MAX_CATALOG_BYTES = 1 << 20;

export function isPostgres(program: string): boolean {
  return /(^|\/)(postgres|postmaster)$/.test(program);
}

/** Settings whose value is a file the server reads, relative to the data directory when relative. */
const READ_FILES = ['hba_file', 'ident_file', 'ssl_cert_file', 'ssl_key_file', 'ssl_ca_file', 'ssl_crl_file', 'ssl_dh_params_file'];
const READ_DIRS = ['ssl_crl_dir'];
const LOCALES = ['lc_messages', 'lc_monetary', 'lc_numeric', 'lc_time'];
const PRELOADS = ['shared_preload_libraries', 'session_preload_libraries', 'local_preload_libraries'];

/** The value PostgreSQL applies: the last one given. */
function lastValue(settings: readonly PgSetting[], name: string): string | undefined {
  for (let i = settings.length - 1; i >= 0; i--) if (settings[i].name === name) return settings[i].value;
  return undefined;
}

const on = (v: string | undefined) => v !== undefined && /^(on|true|yes|1)$/i.test(v.trim());

/**
 * The server's package library directory (`$libdir`) and share directory. PostgreSQL finds both relative to its
 * own program (bin/../lib, Debian's /usr/lib/postgresql/15/lib; bin/../share or /usr/share/postgresql/15):
 * the first candidate that holds what the server loads from it is taken.
 */
function installDirs(root: Root, real: string): { libdir?: string; sharedir?: string } {
  const prefix = real.split('/').slice(0, -2).join('/') || '/';
  const major = prefix.split('/').pop() ?? '';
  const libdir = [`${prefix}/lib`, `${prefix}/lib/postgresql`, `${prefix}/lib64`, `${prefix}/lib64/postgresql`].find((d) =>
    root.exists(`${d}/plpgsql.so`),
  );
  const sharedir = [`${prefix}/share`, `${prefix}/share/postgresql`, `/usr/share/postgresql/${major}`].find((d) =>
    root.isDir(`${d}/timezonesets`),
  );
  return { libdir, sharedir };
}

/**
 * The locale names a data directory's databases were made with (pg_database's datcollate and datctype), read
 * from the catalog's heap file without parsing its tuples: each is a short varlena (one header byte, (length+1)*2+1)
 * holding a name like `C.UTF-8` or `en_US.utf8`.
 */
export function catalogLocales(bytes: Buffer): string[] {
  const out = new Set<string>();
  const text = bytes.toString('latin1');
  const re = /[A-Za-z]{1,8}(?:_[A-Z]{2})?\.[A-Za-z0-9-]{2,16}(?:@[a-z]+)?/g;
  for (let m = re.exec(text); m; m = re.exec(text)) {
    const header = bytes[m.index - 1];
    if (header === ((m[0].length + 1) << 1) + 1) out.add(m[0]);
  }
  return [...out];
}

/**
 * Where glibc's setlocale finds a locale: its own directory under /usr/lib/locale (the codeset normalised,
 * `C.UTF-8` is `C.utf8`), else the locale archive. C and POSIX need nothing.
 */
function localeFiles(root: Root, name: string): string[] {
  if (name === '' || name === 'C' || name === 'POSIX') return [];
  const [lang, rest = ''] = name.split('.');
  const [codeset, modifier] = rest.split('@');
  const normal = `${lang}.${codeset.toLowerCase().replace(/[^a-z0-9]/g, '')}${modifier ? `@${modifier}` : ''}`;
  for (const dir of [`/usr/lib/locale/${name}`, `/usr/lib/locale/${normal}`]) if (root.isDir(dir)) return [dir];
  return root.exists('/usr/lib/locale/locale-archive') ? ['/usr/lib/locale/locale-archive'] : [];
}

/**
 * PostgreSQL's server, read and never run: its configuration (the file `-c config_file=` names, else the data
 * directory's, with every include), the files its settings name, the data directory as the base has it, the
 * directories it writes into (socket directories, the pid file's), every module of `$libdir` it may load by
 * computed path (plpgsql, dict_snowball, preloads, extensions) but the JIT unless `jit` is on, its share
 * directory (time zone sets, text search data) and the locales its databases were made with.
 */
export function postgresProfile(ctx: ProfileContext): ProfileResult {
  const { root } = ctx;
  const out = emptyProfile('postgres');
  const cli = pgArgs(ctx.args ?? []);
  const env = new Map((ctx.env ?? []).map((e) => [e.slice(0, e.indexOf('=')), e.slice(e.indexOf('=') + 1)]));
  const fromCli = (name: string) => lastValue(cli.settings, name);
  let dataDir = cli.dataDir ?? fromCli('data_directory') ?? env.get('PGDATA');
  const configFile = fromCli('config_file') ?? (dataDir ? `${dataDir}/postgresql.conf` : undefined);
  let settings: PgSetting[] = [];
  if (configFile && root.exists(configFile)) {
    const conf = readPgConf(root, configFile);
    for (const f of conf.files) out.files.push({ path: f, reason: `PostgreSQL configuration (${configFile})` });
    for (const d of conf.dirs) if (root.isDir(d)) out.trees.push({ path: d, reason: `include_dir of ${configFile}` });
    settings = conf.settings;
  } else
    out.warnings.push(
      configFile
        ? `${configFile}: PostgreSQL's configuration file is not in ${root.description}; the server will not start without it`
        : 'PostgreSQL gets no data directory here (-D, -c data_directory= or PGDATA): nothing of its configuration was read',
    );
  const all = [...settings, ...cli.settings];
  const get = (name: string) => lastValue(all, name);
  dataDir ??= get('data_directory');
  const inData = (p: string) => (p.startsWith('/') || !dataDir ? p : `${dataDir}/${p}`);

  carryDataDirectory(root, dataDir, out);
  for (const [name, fallback] of [
    ['hba_file', 'pg_hba.conf'],
    ['ident_file', 'pg_ident.conf'],
  ] as const)
    if (get(name) === undefined && dataDir)
      out.files.push({ path: `${dataDir}/${fallback}`, reason: `PostgreSQL's ${name} (its default)` });
  for (const name of READ_FILES) {
    const v = get(name);
    if (v && root.exists(inData(v))) out.files.push({ path: inData(v), reason: `PostgreSQL's ${name}` });
  }
  for (const name of READ_DIRS) {
    const v = get(name);
    if (v && root.isDir(inData(v))) out.trees.push({ path: inData(v), reason: `PostgreSQL's ${name}` });
  }

  out.sockets = (get('unix_socket_directories') ?? '')
    .split(',')
    .map((d) => d.trim())
    .filter((d) => d.startsWith('/'));
  for (const dir of out.sockets)
    out.writable.push({ path: dir, reason: 'PostgreSQL makes its socket and lock file here (unix_socket_directories)' });
  const pid = get('external_pid_file');
  if (pid?.startsWith('/'))
    out.writable.push({ path: pid.slice(0, pid.lastIndexOf('/')), reason: 'PostgreSQL writes its external_pid_file here' });

  const { libdir, sharedir } = installDirs(root, ctx.real);
  const jit = on(get('jit'));
  if (libdir) {
    const modules = root.readdir(libdir).filter((n) => n.endsWith('.so') && (jit || !/^llvmjit/.test(n)));
    for (const m of modules)
      out.dlopen.push({ path: `${libdir}/${m}`, reason: `PostgreSQL loads it from $libdir by name (${libdir})`, ifElf: true });
    out.notes.push(
      `postgres: ${modules.length} modules of $libdir (${libdir}) added, which the server loads by computed path (plpgsql, text search, preloads, extensions)${jit ? '' : '; the JIT (llvmjit and libLLVM) left out: jit is not on in the configuration, and the server runs without it'}`,
    );
  }
  for (const name of PRELOADS)
    for (const lib of (get(name) ?? '').split(',').map((l) => l.trim().replace(/^'|'$/g, ''))) {
      if (!lib.startsWith('/')) continue;
      const path = root.exists(lib) ? lib : `${lib}.so`;
      if (root.exists(path)) out.dlopen.push({ path, reason: `PostgreSQL's ${name}` });
    }
  if (sharedir) out.trees.push({ path: sharedir, reason: 'PostgreSQL share directory: time zone sets, text search data, extensions' });

  const catalog = dataDir ? root.readBytes(`${dataDir}/global/1262`, MAX_CATALOG_BYTES) : undefined;
  const locales = new Set([...LOCALES.map(get), ...(catalog ? catalogLocales(catalog) : [])].filter((l): l is string => !!l));
  for (const name of locales)
    for (const path of localeFiles(root, name))
      out.trees.push({ path, reason: `the locale ${name}, which PostgreSQL's databases or settings use` });
  for (const tz of new Set([get('timezone'), get('log_timezone')]))
    if (tz && /^[\w+-]+(\/[\w+-]+)*$/.test(tz) && root.exists(`/usr/share/zoneinfo/${tz}`))
      out.files.push({ path: `/usr/share/zoneinfo/${tz}`, reason: `PostgreSQL's time zone ${tz}` });
  return out;
}
