import { resolve } from 'node:path';
import { ScratchifyError } from '../errors.js';

/** Where --image writes, in skopeo's transport names, which users and their scripts already know. */
export type ImageTarget =
  | { kind: 'oci'; path: string; tag: string; tagged: boolean }
  | { kind: 'oci-archive'; path: string; tag: string; tagged: boolean }
  | { kind: 'docker-archive'; path: string; ref?: string }
  | { kind: 'docker-daemon'; ref: string }
  | { kind: 'docker'; ref: string };

const FORMS = 'oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG], docker-daemon:NAME:TAG or docker://NAME:TAG';

/** A reference as Docker takes it: lower-case name components, an optional registry, tag and digest. */
const REFERENCE = /^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?::\d+)?(?:\/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*(?::[\w][\w.-]{0,127})?$/;
const TAG = /^[\w][\w.-]{0,127}$/;

function bad(spec: string, why: string, flag = '--image'): ScratchifyError {
  return new ScratchifyError('USAGE', `${flag} ${spec}: ${why}`, { hint: `give ${flag === '--image' ? FORMS : BASE_FORMS}` });
}

const BASE_FORMS = 'oci:DIR[:TAG], oci-archive:FILE[:TAG], docker-archive:FILE[:NAME:TAG], docker://NAME:TAG or an image name';

/** A name without a tag gets `latest`, as `docker tag` and skopeo give it. */
function tagged(ref: string): string {
  const last = ref.slice(ref.lastIndexOf('/') + 1);
  return last.includes(':') ? ref : `${ref}:latest`;
}

function reference(spec: string, ref: string, flag?: string): string {
  if (!REFERENCE.test(ref)) throw bad(spec, `${ref || "''"} is not an image reference (lower-case name, optional :TAG)`, flag);
  return tagged(ref);
}

/** Parses --image (or --base's transports); a relative path is taken from the current directory, as skopeo takes it. */
export function parseImageTarget(spec: string, flag = '--image'): ImageTarget {
  const colon = spec.indexOf(':');
  const transport = colon < 0 ? '' : spec.slice(0, colon);
  const rest = spec.slice(colon + 1);
  if (transport === 'docker') {
    if (!rest.startsWith('//')) throw bad(spec, 'a registry reference is written docker://NAME:TAG', flag);
    return { kind: 'docker', ref: reference(spec, rest.slice(2), flag) };
  }
  if (transport === 'docker-daemon') return { kind: 'docker-daemon', ref: reference(spec, rest, flag) };
  if (transport === 'oci' || transport === 'oci-archive' || transport === 'docker-archive') {
    const at = rest.indexOf(':');
    const path = at < 0 ? rest : rest.slice(0, at);
    const name = at < 0 ? undefined : rest.slice(at + 1);
    if (!path) throw bad(spec, `${transport} needs a path`, flag);
    if (transport === 'docker-archive')
      return { kind: transport, path: resolve(path), ref: name ? reference(spec, name, flag) : undefined };
    if (name !== undefined && !TAG.test(name)) throw bad(spec, `${name} is not a tag (letters, digits, _ . -)`, flag);
    return { kind: transport, path: resolve(path), tag: name ?? 'latest', tagged: name !== undefined };
  }
  throw bad(
    spec,
    transport ? `${transport} is not a transport scratchify ${flag === '--image' ? 'writes' : 'reads'}` : 'no transport named',
    flag,
  );
}
