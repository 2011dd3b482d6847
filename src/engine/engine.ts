import { spawn } from 'node:child_process';
import { closeSync, openSync } from 'node:fs';
import type { ExecaError } from 'execa';
import { ScratchifyError } from '../errors.js';

export type EngineName = 'docker' | 'podman';

export interface Engine {
  name: EngineName;
  /** Runs the engine CLI; output as text. Failures become ScratchifyError by the caller's classification. */
  run(args: string[], options?: { timeout?: number; env?: Record<string, string>; stdoutFile?: string }): Promise<string>;
  /** Runs the engine CLI without failing on a non-zero status: what it printed, and the status. */
  exec(args: string[], options?: { timeout?: number }): Promise<{ stdout: string; stderr: string; exitCode: number }>;
}

/** podman needs runc and lowered rlimits on hosts like CI's; docker takes them from daemon.json. */
function engineArgs(name: EngineName, args: string[]): string[] {
  if (name !== 'podman') return args;
  const runtime = process.env.SCRATCHIFY_PODMAN_RUNTIME;
  return runtime ? ['--runtime', runtime, ...args] : args;
}

/**
 * Runs the engine with its stdout on `file`: the file's descriptor is the child's own stdout, so the bytes
 * (a whole image) never pass through this process. Rejects with the engine's stderr when it fails.
 */
function toFile(cmd: string, args: string[], file: string, timeout: number): Promise<string> {
  const fd = openSync(file, 'w');
  return new Promise<string>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', fd, 'pipe'], timeout });
    let stderr = '';
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()).length > 65536 && (stderr = stderr.slice(-65536)));
    child.on('error', reject);
    child.on('close', (code, signal) => {
      if (code === 0) resolve('');
      else reject(Object.assign(new Error(`${cmd} ${args.join(' ')}: ${signal ?? `exit ${code}`}`), { stderr }));
    });
  }).finally(() => closeSync(fd));
}

function make(name: EngineName): Engine {
  return {
    name,
    async run(args, options = {}) {
      const { execa } = await import('execa');
      if (options.stdoutFile !== undefined) return toFile(name, engineArgs(name, args), options.stdoutFile, options.timeout ?? 120_000);
      const r = await execa(name, engineArgs(name, args), {
        timeout: options.timeout ?? 120_000,
        stripFinalNewline: true,
        env: options.env,
      });
      return r.stdout;
    },
    async exec(args, options = {}) {
      const { execa } = await import('execa');
      const r = await execa(name, engineArgs(name, args), { timeout: options.timeout ?? 600_000, reject: false, stripFinalNewline: true });
      return { stdout: String(r.stdout), stderr: String(r.stderr), exitCode: r.exitCode ?? -1 };
    },
  };
}

async function answers(name: EngineName): Promise<string | undefined> {
  // execa is loaded on first use: importing it costs about 90 ms, which `resolve` never needs.
  const { execa } = await import('execa');
  try {
    await execa(name, ['version', '--format', '{{.Server.Version}}'], { timeout: 15_000 });
    return undefined;
  } catch (e) {
    const err = e as ExecaError;
    if ((err as { code?: string }).code === 'ENOENT') return `${name} is not installed`;
    return `${name} does not answer: ${String(err.stderr || err.shortMessage).split('\n')[0]}`;
  }
}

/** The engine to use: the one asked for, else docker when it answers, else podman. */
export async function detectEngine(preferred?: EngineName): Promise<Engine> {
  const order: EngineName[] = preferred ? [preferred] : ['docker', 'podman'];
  const problems: string[] = [];
  for (const name of order) {
    const problem = await answers(name);
    if (!problem) return make(name);
    problems.push(problem);
  }
  throw new ScratchifyError('ENGINE_UNAVAILABLE', `no container engine: ${problems.join('; ')}`, {
    hint: 'start dockerd (or install podman), or analyse an unpacked root with --root DIR',
  });
}
