import { type Additions, noAdditions } from '../additions.js';
import type { Root } from '../rootfs/root.js';
import type { Resolver } from '../resolve/resolver.js';
import type { LinkMap, LoadedObject } from '../resolve/types.js';

export interface RuntimeOptions {
  /** Force (true) or suppress (false) CA certificates; by default they follow the TLS libraries. */
  caCerts?: boolean;
  /** A zone name (Europe/Paris) or "all". */
  tz?: string;
  /** Copy glibc's gconv modules when iconv_open is imported; default true. */
  gconv?: boolean;
  /** Set for Go programs that link crypto/x509, which reads the system roots. */
  goX509?: boolean;
}

const NSS_CALLS = [
  'getpwnam',
  'getpwuid',
  'getpwnam_r',
  'getpwuid_r',
  'getgrnam',
  'getgrgid',
  'getgrnam_r',
  'getgrgid_r',
  'getgrouplist',
  'initgroups',
  'getaddrinfo',
  'gethostbyname',
  'gethostbyname_r',
  'gethostbyname2_r',
  'getnameinfo',
  'getservbyname',
  'getservbyname_r',
  'getspnam',
];
const UNWIND_CALLS = ['pthread_cancel', 'pthread_exit'];
export const RUNTIME_IMPORTS: ReadonlySet<string> = new Set([...NSS_CALLS, ...UNWIND_CALLS, 'iconv_open']);

/** Services glibc 2.34 and later have built into libc itself. */
const BUILTIN_NSS = new Set(['files', 'dns']);

const MINIMAL_NSSWITCH =
  'passwd: files\ngroup: files\nshadow: files\nhosts: files dns\nnetworks: files\nprotocols: files\nservices: files\n';

const CA_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt', '/etc/ssl/cert.pem'];
/** OpenSSL's compiled-in default file on Debian and Ubuntu; a link to the bundle. */
const OPENSSL_DEFAULT = '/usr/lib/ssl/cert.pem';
const TLS_LIBS = /^lib(ssl|gnutls|nss3|curl|mbedtls|wolfssl)[.-]/;

function nsswitchServices(text: string): Map<string, string[]> {
  const out = new Map<string, string[]>();
  for (const raw of text.split('\n')) {
    const line = raw.replace(/#.*/, '').trim();
    const m = /^(\w+)\s*:\s*(.*)$/.exec(line);
    if (!m) continue;
    const services = m[2]
      .replace(/\[[^\]]*\]/g, ' ')
      .split(/\s+/)
      .filter(Boolean);
    out.set(m[1], services);
  }
  return out;
}

/**
 * glibc's run-time loads, each with why: NSS modules named in nsswitch.conf (beyond those built into libc),
 * libgcc_s.so.1 (dlopen'ed by libc to unwind on pthread_cancel/pthread_exit), gconv modules when iconv_open is
 * imported; CA certificates when TLS libraries or Go's crypto/x509 are present; tzdata on request.
 */
export function runtimeNeeds(root: Root, resolver: Resolver, map: LinkMap, opts: RuntimeOptions = {}): Additions {
  const out = noAdditions();
  const importers = new Map<string, string>();
  for (const o of map.objects) {
    let imports: string[] = [];
    try {
      imports = root.readElf(o.real, { versions: false, imports: RUNTIME_IMPORTS }).imports ?? [];
    } catch {
      continue; // a file that does not parse was reported when it was loaded
    }
    for (const name of imports) if (!importers.has(name)) importers.set(name, o.path);
  }
  const libc = map.objects.find((o) => (o.elf.soname ?? o.name) === 'libc.so.6');

  if (map.libc === 'glibc' && libc) {
    const unwinder = UNWIND_CALLS.find((c) => importers.has(c));
    if (unwinder) {
      const gcc = resolver.dlopenName(map, 'libgcc_s.so.1', libc);
      const why = `libc dlopens it to unwind: ${importers.get(unwinder)} calls ${unwinder}`;
      if (gcc) out.copy.push({ path: gcc.path, reason: why });
      else out.warnings.push(`libgcc_s.so.1 is not in ${root.description}; ${why}, which will abort`);
    }

    if (importers.has('iconv_open') && opts.gconv !== false) {
      const dir = `${libc.real.slice(0, libc.real.lastIndexOf('/'))}/gconv`;
      if (root.isDir(dir)) out.copy.push({ path: dir, reason: `gconv modules: ${importers.get('iconv_open')} calls iconv_open` });
    }

    const nssCall = NSS_CALLS.find((c) => importers.has(c));
    const text = root.readText('/etc/nsswitch.conf', 1 << 20);
    if (text === undefined) {
      out.generated.push({
        path: '/etc/nsswitch.conf',
        content: MINIMAL_NSSWITCH,
        reason: 'glibc looks users and hosts up through it; files only',
      });
    } else {
      out.copy.push({ path: '/etc/nsswitch.conf', reason: 'glibc looks users and hosts up through it' });
      if (nssCall) {
        // Before glibc 2.34 even files and dns were modules of their own.
        const builtin = libcDefines(root, libc, 'GLIBC_2.34') ? BUILTIN_NSS : new Set<string>();
        const seen = new Set<string>();
        for (const [db, services] of nsswitchServices(text)) {
          for (const svc of services) {
            if (builtin.has(svc) || seen.has(svc)) continue;
            seen.add(svc);
            const mod = resolver.dlopenName(map, `libnss_${svc}.so.2`, libc);
            if (mod)
              out.copy.push({
                path: mod.path,
                reason: `NSS module for "${db}: ${svc}" in nsswitch.conf (${importers.get(nssCall)} calls ${nssCall})`,
              });
            else
              out.details.push(
                `nsswitch.conf names "${svc}" for ${db}, but libnss_${svc}.so.2 is not in ${root.description}; glibc skips it`,
              );
          }
        }
      }
    }
  }

  const tls = map.objects.find((o) => TLS_LIBS.test(o.elf.soname ?? o.name));
  const wantCa = opts.caCerts ?? (tls !== undefined || opts.goX509 === true);
  if (wantCa) {
    const why = opts.caCerts
      ? '--ca-certs'
      : tls
        ? `CA certificates for ${tls.elf.soname ?? tls.name}`
        : "CA certificates for Go's crypto/x509";
    const bundle = CA_BUNDLES.find((p) => root.exists(p));
    if (bundle) {
      out.copy.push({ path: bundle, reason: why });
      if (root.exists(OPENSSL_DEFAULT))
        out.copy.push({ path: OPENSSL_DEFAULT, reason: 'the link OpenSSL opens by default, to the same bundle' });
    } else {
      out.warnings.push(`no CA bundle in ${root.description} (${why}): TLS peers cannot be verified; install ca-certificates in the base`);
    }
  }

  if (opts.tz) {
    const zoneinfo = '/usr/share/zoneinfo';
    if (opts.tz === 'all') out.copy.push({ path: zoneinfo, reason: '--tz all' });
    else if (root.exists(`${zoneinfo}/${opts.tz}`)) {
      out.copy.push({ path: `${zoneinfo}/${opts.tz}`, reason: `--tz ${opts.tz}` });
      out.links.push({ path: '/etc/localtime', target: `${zoneinfo}/${opts.tz}` });
    } else {
      out.warnings.push(`--tz ${opts.tz}: ${zoneinfo}/${opts.tz} is not in ${root.description} (install tzdata in the base)`);
    }
  }
  return out;
}

function libcDefines(root: Root, libc: LoadedObject, version: string): boolean {
  try {
    return root.readElf(libc.real).verdef?.includes(version) ?? false;
  } catch {
    return false;
  }
}
