import { abiOf } from '../elf/abi.js';
import { walkFiles } from '../rootfs/include.js';
import type { Root } from '../rootfs/root.js';
import { emptyProfile, type ProfileContext, type ProfileResult } from './types.js';

/**
 * Interpreters as Debian packages them, and where each looks for its standard library and modules: the
 * compiled-in search paths (`sys.path`, `@INC`, `$LOAD_PATH`, `package.path`/`cpath`, `$auto_path`, PHP's
 * `include_path` and extension directory, checked in a bookworm container). `{v}` is the interpreter's version
 * taken from its file name, `{t}` the multiarch tuple. Directories the base does not have are skipped.
 */
interface Interpreter {
  name: string;
  /** Matches the basename of the program's real path; group 1 is the version. */
  binary: RegExp;
  dirs: string[];
  /** Entries of those directories left out as dead weight, when they are bigger than DEAD_WEIGHT_MIN. */
  deadWeight?: string[];
  /** Directories whose version differs from the binary's ({api}: PHP's extension API, ruby's 3.1.0). */
  api?: { glob: string; pattern: RegExp };
  note?: string;
}

const INTERPRETERS: Interpreter[] = [
  {
    name: 'python',
    binary: /^python(3\.\d+)$/,
    // /etc/python{v} holds sitecustomize.py, which the stdlib links to; C.utf8 is the locale Python coerces
    // the C locale to at start (PEP 538).
    dirs: [
      '/usr/lib/python{v}',
      '/etc/python{v}',
      '/usr/local/lib/python{v}/dist-packages',
      '/usr/lib/python3/dist-packages',
      '/usr/lib/locale/C.utf8',
    ],
    deadWeight: [
      '/usr/lib/python{v}/test',
      '/usr/lib/python{v}/idlelib',
      '/usr/lib/python{v}/turtledemo',
      '/usr/lib/python{v}/lib2to3/tests',
    ],
  },
  {
    name: 'perl',
    binary: /^perl(?:5\.\d+(?:\.\d+)?)?$/,
    api: { glob: '/usr/lib/{t}/perl', pattern: /^(5\.\d+)$/ },
    dirs: [
      '/etc/perl',
      '/usr/local/lib/{t}/perl/{api}.0',
      '/usr/local/share/perl/{api}.0',
      '/usr/lib/{t}/perl5/{api}',
      '/usr/share/perl5',
      '/usr/lib/{t}/perl-base',
      '/usr/lib/{t}/perl/{api}',
      '/usr/lib/{t}/perl/{api}.0',
      '/usr/share/perl/{api}',
      '/usr/share/perl/{api}.0',
      '/usr/local/lib/site_perl',
    ],
  },
  {
    name: 'ruby',
    binary: /^ruby(\d\.\d+)?$/,
    api: { glob: '/usr/lib/ruby', pattern: /^(\d\.\d+\.\d+)$/ },
    dirs: [
      '/usr/local/lib/site_ruby/{api}',
      '/usr/lib/ruby/vendor_ruby/{api}',
      '/usr/lib/{t}/ruby/vendor_ruby/{api}',
      '/usr/lib/ruby/vendor_ruby',
      '/usr/lib/ruby/{api}',
      '/usr/lib/{t}/ruby/{api}',
      // RubyGems, which ruby loads at start, reads the specifications of the gems it ships and Debian's.
      '/usr/lib/ruby/gems/{api}',
      '/usr/lib/{t}/ruby/gems/{api}',
      '/var/lib/gems/{api}',
      '/usr/share/rubygems-integration',
      '/usr/lib/{t}/rubygems-integration',
    ],
  },
  {
    name: 'lua',
    binary: /^lua(5\.\d+)$/,
    dirs: ['/usr/local/share/lua/{v}', '/usr/local/lib/lua/{v}', '/usr/share/lua/{v}', '/usr/lib/{t}/lua/{v}', '/usr/lib/lua/{v}'],
  },
  {
    name: 'tcl',
    binary: /^tclsh(8\.\d+|9\.\d+)$/,
    dirs: ['/usr/share/tcltk/tcl{v}', '/usr/lib/tcltk/{t}', '/usr/lib/tcltk/tcl{v}'],
  },
  {
    name: 'php',
    binary: /^php(\d\.\d+)$/,
    api: { glob: '/usr/lib/php', pattern: /^(\d{8})$/ },
    // php.ini and conf.d, whose links name the ini files of mods-available; extensions load by name from those.
    dirs: ['/etc/php/{v}/cli', '/etc/php/{v}/mods-available', '/usr/lib/php/{api}', '/usr/share/php'],
  },
  {
    name: 'node',
    binary: /^node(?:js)?$/,
    dirs: ['/usr/lib/{t}/nodejs', '/usr/lib/nodejs', '/usr/share/nodejs', '/usr/local/lib/node_modules'],
    note: "Node.js's own standard library is compiled into the binary; the module directories Debian's node searches are added",
  },
];

/** An entry of a library is left out only past this size: COPY cannot exclude, so leaving one out costs layers. */
const DEAD_WEIGHT_MIN = 4 << 20;

/** Shared objects by name, so the profile need not read every file of a 30 MB library to find them. */
const SHARED_OBJECT = /\.so(\.\d+)*$/;

export function interpreterOf(real: string): Interpreter | undefined {
  const base = real.slice(real.lastIndexOf('/') + 1);
  return INTERPRETERS.find((i) => i.binary.test(base));
}

function treeBytes(root: Root, dir: string): number {
  const files: string[] = [];
  walkFiles(root, dir, files);
  return files.reduce((n, f) => n + (root.lookup(f)?.entry.size ?? 0), 0);
}

/**
 * An interpreter's standard library and module directories, as the base has them. Each directory is copied
 * whole (one COPY source), except dead weight big enough to be worth the extra COPY lines; the shared objects
 * in them (extension modules) are loaded as if dlopen'ed, so their libraries come too.
 */
export function interpreterProfile(ctx: ProfileContext): ProfileResult {
  const { root, real } = ctx;
  const interp = interpreterOf(real)!;
  const p = emptyProfile(interp.name);
  const base = real.slice(real.lastIndexOf('/') + 1);
  const version = interp.binary.exec(base)?.[1] ?? '';
  const elf = ctx.elf;
  const tuple = (elf ? abiOf(elf)?.tuple : undefined) ?? 'x86_64-linux-gnu';
  const apis = interp.api ? root.readdir(interp.api.glob.replace('{t}', tuple)).filter((n) => interp.api!.pattern.test(n)) : [''];
  const expand = (d: string) => apis.map((api) => d.replaceAll('{v}', version).replaceAll('{t}', tuple).replaceAll('{api}', api));
  const dirs = [...new Set(interp.dirs.flatMap(expand))].filter((d) => root.lookup(d)?.entry.type === 'dir');
  // Each candidate is measured once: its size decides, and the warning quotes it.
  const deadBytes = new Map<string, number>();
  for (const d of (interp.deadWeight ?? []).flatMap(expand)) {
    const bytes = root.lookup(d) ? treeBytes(root, d) : 0;
    if (bytes >= DEAD_WEIGHT_MIN) deadBytes.set(d, bytes);
  }
  const dead = new Set(deadBytes.keys());
  const reason = `${interp.name} ${version || ''} standard library and module path`.replace('  ', ' ');
  const seen = new Set<string>();
  for (const d of dirs) {
    const real = root.lookup(d)!.path;
    if (seen.has(real)) continue;
    seen.add(real);
    const inside = [...dead].filter((x) => x.startsWith(`${d}/`));
    if (inside.length === 0) p.trees.push({ path: d, reason });
    else addExcept(root, d, dead, reason, p);
    const files: string[] = [];
    walkFiles(root, d, files);
    for (const f of files)
      if (SHARED_OBJECT.test(f) && !inside.some((x) => f.startsWith(`${x}/`)))
        p.dlopen.push({ path: f, reason: `${interp.name} extension module in ${d}`, ifElf: true });
  }
  for (const [x, bytes] of deadBytes)
    p.warnings.push(
      `left out ${x} (${(bytes / 1048576).toFixed(1)} MiB, not needed to run programs); add it with --include if you need it`,
    );
  if (dirs.length === 0)
    p.notes.push(`${interp.name}: none of its module directories is in ${root.description}; only what is compiled into it is there`);
  if (interp.note) p.notes.push(interp.note);
  return p;
}

/** Adds `dir`'s entries one by one, descending only into directories that hold something to leave out. */
function addExcept(root: Root, dir: string, dead: Set<string>, reason: string, p: ProfileResult): void {
  for (const name of root.readdir(dir)) {
    const path = `${dir}/${name}`;
    if (dead.has(path)) continue;
    const holds = [...dead].some((x) => x.startsWith(`${path}/`));
    if (holds) addExcept(root, path, dead, reason, p);
    else if (root.lookup(path)?.entry.type === 'dir') p.trees.push({ path, reason });
    else p.files.push({ path, reason });
  }
}
