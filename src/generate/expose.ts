import { ScratchifyError } from '../errors.js';

const PROTOCOLS = ['tcp', 'udp', 'sctp'];

/**
 * An `EXPOSE` value as Docker reads one: a port or a range of ports (1-65535, start <= end), optionally with
 * /tcp, /udp or /sctp. Anything else is refused before any work, not left for the build to fail on.
 */
export function checkExpose(value: string): string {
  const m = /^(\d{1,5})(?:-(\d{1,5}))?(?:\/([a-z]+))?$/.exec(value);
  const start = m ? Number(m[1]) : NaN;
  const end = m?.[2] !== undefined ? Number(m[2]) : start;
  const proto = m?.[3];
  const ok = m && start >= 1 && end <= 65535 && start <= end && (proto === undefined || PROTOCOLS.includes(proto));
  if (!ok) {
    throw new ScratchifyError('USAGE', `--expose ${value}: not a port or port range`, {
      hint: 'give PORT or START-END (1-65535), optionally with /tcp, /udp or /sctp: 80, 8080/tcp, 53/udp, 8000-8010',
    });
  }
  return value;
}
