import type { Account } from './accounts.js';
import type { Plan } from './plan.js';

/**
 * How the image runs hardened: its root filesystem read-only, every capability dropped but those it needs, no
 * privilege gained through setuid files, as its own user; each directory it writes into is a tmpfs (empty, with
 * the scaffold's mode and owner) under /run and /tmp, or a volume (a new named volume is seeded from the image)
 * elsewhere, where it holds data the image ships (a database's cluster), and where the base declares a VOLUME.
 */
export interface Hardened {
  user: string;
  capAdd: string[];
  tmpfs: { path: string; mode: number; uid: number; gid: number }[];
  volumes: string[];
}

/** Where a directory is a tmpfs in the hardened run; anywhere else one the service writes is a volume. */
const RUNTIME = /^\/(run|tmp|var\/run|var\/tmp|var\/lock|dev\/shm)(\/|$)/;

/** Ports below this need CAP_NET_BIND_SERVICE to be bound by anyone but root (and by root without its capabilities). */
const PRIVILEGED_PORTS = 1024;

/**
 * The hardened run of a plan. Capabilities: NET_BIND_SERVICE for a port under 1024, or for a program that runs as
 * root (it has no capability of its own left); a program that starts as root and switches to its own accounts
 * (nginx's workers) keeps what switching takes: SETUID and SETGID, CHOWN for the directories it hands its
 * workers, KILL to signal them once they run as another user.
 */
export function hardenedRun(
  plan: Plan,
  o: { user: string; runAs: Account; switchesUsers: boolean; ports: number[]; state: string[]; volumes: string[] },
): Hardened {
  const capAdd = new Set<string>();
  // Root without its capabilities cannot bind one either, and a program that starts as root usually does.
  if (o.runAs.uid === 0 || bindsLowPort(o.ports)) capAdd.add('NET_BIND_SERVICE');
  if (o.runAs.uid === 0 && o.switchesUsers) for (const c of ['CHOWN', 'SETUID', 'SETGID', 'KILL']) capAdd.add(c);
  const volumes = [...new Set([...o.volumes, ...o.state])].sort();
  const under = (p: string, dirs: string[]) => dirs.some((d) => p === d || p.startsWith(`${d}/`));
  // Run-time directories are a tmpfs; what a service writes elsewhere (/var/lib, /var/log) outlives a restart.
  const writable = [...plan.dirs.values()].filter((d) => (d.writable || d.path === '/tmp') && !under(d.path, volumes));
  for (const d of writable) if (!RUNTIME.test(d.path) && !under(d.path, volumes)) volumes.push(d.path);
  volumes.sort();
  const tmpfs = writable
    .filter((d) => RUNTIME.test(d.path))
    .map((d) => ({ path: d.path, mode: d.mode, uid: d.uid, gid: d.gid }))
    .sort((a, b) => (a.path < b.path ? -1 : 1));
  return { user: o.user, capAdd: [...capAdd].sort(), tmpfs, volumes };
}

const bindsLowPort = (ports: number[]) => ports.some((p) => p < PRIVILEGED_PORTS);

/** A tmpfs as docker's --tmpfs and compose's tmpfs take it: where, with the scaffold's mode and owner. */
const tmpfsSpec = (t: Hardened['tmpfs'][number]) => `${t.path}:mode=${t.mode.toString(8).padStart(4, '0')},uid=${t.uid},gid=${t.gid}`;

/** The engine's run flags (docker and podman take the same); a volume `volumeName` gives no name is anonymous. */
export function hardenedArgs(h: Hardened, volumeName: (path: string) => string | undefined): string[] {
  return [
    '--read-only',
    '--cap-drop',
    'ALL',
    ...h.capAdd.flatMap((c) => ['--cap-add', c]),
    '--security-opt',
    'no-new-privileges',
    '--user',
    h.user,
    ...h.tmpfs.flatMap((t) => ['--tmpfs', tmpfsSpec(t)]),
    ...h.volumes.flatMap((v) => ['-v', volumeName(v) === undefined ? v : `${volumeName(v)}:${v}`]),
  ];
}

const volumeLabel = (path: string) =>
  path
    .replace(/^\//, '')
    .replace(/[^a-zA-Z0-9]+/g, '-')
    .toLowerCase() || 'root';

const quote = (s: string) => (/^[\w@%+=:,./-]+$/.test(s) ? s : `'${s.replace(/'/g, `'\\''`)}'`);

/** `docker run ...` as a user pastes it. */
export function dockerRunLine(h: Hardened, image: string): string {
  return ['docker', 'run', ...hardenedArgs(h, volumeLabel), image].map(quote).join(' ');
}

/** The run flags alone, quoted for a shell. */
export function hardenedFlags(h: Hardened): string {
  return hardenedArgs(h, volumeLabel).map(quote).join(' ');
}

/** A Kubernetes container's securityContext, and the volumes and mounts the writable paths take. */
export function kubernetesSnippet(h: Hardened, image: string): string {
  const [uid, gid] = h.user.split(':');
  const mounts = [...h.tmpfs.map((t) => t.path), ...h.volumes];
  const lines = [
    'containers:',
    '  - name: app',
    `    image: ${image}`,
    '    securityContext:',
    '      readOnlyRootFilesystem: true',
    '      allowPrivilegeEscalation: false',
    ...(uid === '0' ? [] : ['      runAsNonRoot: true', `      runAsUser: ${uid}`, ...(gid ? [`      runAsGroup: ${gid}`] : [])]),
    '      capabilities:',
    '        drop: ["ALL"]',
    ...(h.capAdd.length ? [`        add: [${h.capAdd.map((c) => `"${c}"`).join(', ')}]`] : []),
    ...(mounts.length
      ? ['    volumeMounts:', ...mounts.flatMap((m) => [`      - name: ${volumeLabel(m)}`, `        mountPath: ${m}`])]
      : []),
    ...(mounts.length ? ['volumes:'] : []),
    ...h.tmpfs.flatMap((t) => [`  - name: ${volumeLabel(t.path)}`, '    emptyDir: {}']),
    ...h.volumes.flatMap((v) => [`  - name: ${volumeLabel(v)}`, `    persistentVolumeClaim: { claimName: ${volumeLabel(v)} }`]),
  ];
  return `${lines.join('\n')}\n`;
}

/** A compose service that runs the image hardened. */
export function composeSnippet(h: Hardened, image: string): string {
  const lines = [
    'services:',
    '  app:',
    `    image: ${image}`,
    `    user: "${h.user}"`,
    '    read_only: true',
    '    cap_drop: [ALL]',
    ...(h.capAdd.length ? [`    cap_add: [${h.capAdd.join(', ')}]`] : []),
    '    security_opt: ["no-new-privileges:true"]',
    ...(h.tmpfs.length ? ['    tmpfs:', ...h.tmpfs.map((t) => `      - ${tmpfsSpec(t)}`)] : []),
    ...(h.volumes.length ? ['    volumes:', ...h.volumes.map((v) => `      - ${volumeLabel(v)}:${v}`)] : []),
    ...(h.volumes.length ? ['volumes:', ...h.volumes.map((v) => `  ${volumeLabel(v)}: {}`)] : []),
  ];
  return `${lines.join('\n')}\n`;
}

/** The same run with NET_BIND_SERVICE added when a port it is asked on is under 1024, and without a tmpfs where `mounted` go. */
export function adjusted(h: Hardened, o: { ports: number[]; mounted: string[] }): Hardened {
  const capAdd = new Set(h.capAdd);
  if (bindsLowPort(o.ports)) capAdd.add('NET_BIND_SERVICE');
  return { ...h, capAdd: [...capAdd].sort(), tmpfs: h.tmpfs.filter((t) => !o.mounted.includes(t.path)) };
}
