import type { TarIndex } from '../rootfs/tar.js';

/**
 * Docker's `export` flattens the container's init layer over the image: where the image lacks them, the engine
 * creates empty placeholders for the files it bind-mounts at run time (hosts, hostname, resolv.conf), its own
 * marker and console, and an mtab link. They are not in the image, so `COPY --from=base` of one fails; and
 * whatever the image holds there, the engine mounts its own over it when the result runs. The placeholders have
 * one shape (empty, mode 0755; mtab a link to /proc/mounts), which an image's own file of that name rarely has;
 * when one does, leaving it out changes nothing at run time for the same reason.
 */
const PLACEHOLDER_FILES = ['/.dockerenv', '/etc/hosts', '/etc/hostname', '/etc/resolv.conf', '/dev/console'];

/** Removes the init layer's placeholders from an export's index; returns the paths it removed. */
export function dropInitLayer(index: TarIndex): string[] {
  const dropped: string[] = [];
  for (const p of PLACEHOLDER_FILES) {
    const m = index[p];
    if (m && m.type === 'file' && !m.hardlink && m.size === 0 && m.mode === 0o755) dropped.push(p);
  }
  const mtab = index['/etc/mtab'];
  if (mtab?.type === 'symlink' && mtab.link === '/proc/mounts') dropped.push('/etc/mtab');
  for (const p of dropped) delete index[p];
  return dropped;
}
