import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';

/** A registry host as the distribution API is reached: plain HTTP on loopback, as Docker and Podman allow it. */
export function registryUrl(registry: string): string {
  return `${isLoopback(registry) ? 'http' : 'https'}://${registry}/v2`;
}

/** Whether a registry host (with or without its port) is this machine's loopback. */
export function isLoopback(registry: string): boolean {
  const host = registry.replace(/:\d+$/, '');
  return host === 'localhost' || host === '127.0.0.1' || host === '[::1]';
}

/** The auth files skopeo and Podman read (REGISTRY_AUTH_FILE, then containers' auth.json), then Docker's. */
function authFiles(): string[] {
  const runtime = process.env.XDG_RUNTIME_DIR;
  return [
    ...(process.env.REGISTRY_AUTH_FILE ? [process.env.REGISTRY_AUTH_FILE] : []),
    ...(runtime ? [join(runtime, 'containers/auth.json')] : []),
    join(homedir(), '.config/containers/auth.json'),
    join(process.env.DOCKER_CONFIG ?? join(homedir(), '.docker'), 'config.json'),
  ];
}

/** `user:password` for `registry` from the first auth file that names it (its `auth` field, base64), if any. */
export function credentials(registry: string): string | undefined {
  for (const file of authFiles()) {
    let auths: Record<string, { auth?: string }> | undefined;
    try {
      auths = (JSON.parse(readFileSync(file, 'utf8')) as { auths?: Record<string, { auth?: string }> }).auths;
    } catch {
      continue;
    }
    for (const [key, v] of Object.entries(auths ?? {})) {
      const host = key.replace(/^https?:\/\//, '').replace(/\/.*$/, '');
      if (host === registry && v.auth) return Buffer.from(v.auth, 'base64').toString('utf8');
    }
  }
  return undefined;
}

/**
 * The Authorization header that answers a registry's 401 challenge: Basic with the user's credentials, or a
 * Bearer token from the challenge's realm for `scope` (anonymous, or with those credentials).
 */
export async function authorize(challenge: string, scope: string, registry: string): Promise<string | undefined> {
  const creds = credentials(registry);
  const basic = creds ? `Basic ${Buffer.from(creds).toString('base64')}` : undefined;
  if (/^Basic/i.test(challenge)) return basic;
  const field = (k: string) => new RegExp(`${k}="([^"]*)"`).exec(challenge)?.[1];
  const realm = field('realm');
  if (!realm) return undefined;
  const url = new URL(realm);
  url.searchParams.set('scope', scope);
  if (field('service')) url.searchParams.set('service', field('service')!);
  const r = await fetch(url, { headers: basic ? { Authorization: basic } : {}, signal: AbortSignal.timeout(30_000) });
  if (!r.ok) return undefined;
  const body = (await r.json()) as { token?: string; access_token?: string };
  const t = body.token ?? body.access_token;
  return t ? `Bearer ${t}` : undefined;
}
