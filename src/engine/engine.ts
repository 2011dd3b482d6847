import { spawn } from 'node:child_process';
import { accessSync, closeSync, constants, createReadStream, mkdtempSync, openSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import type { Readable } from 'node:stream';
import { join } from 'node:path';
import type { ExecaError } from 'execa';
import { ScratchifyError } from '../errors.js';
import { defaultSocket, dockerGet, dockerPings, dockerRequest } from './docker-api.js';

export type EngineName = 'docker' | 'podman';

export interface Engine {
  name: EngineName;
  /** Runs the engine CLI; output as text. Failures become ScratchifyError by the caller's classification. */
  run(args: string[], options?: { timeout?: number; env?: Record<string, string> }): Promise<string>;
  /** Runs the engine CLI without failing on a non-zero status: what it printed, and the status. */
  exec(args: string[], options?: { timeout?: number }): Promise<{ stdout: string; stderr: string; exitCode: number }>;
  /** A container of `image` that is never started (export needs one); its ID. */
  createIdle(image: string): Promise<string>;
  /** Removes a container, whatever its state; a failure is not reported (the container may be gone already). */
  removeContainer(id: string): Promise<void>;
  /** Exports a container's filesystem, handing the tar to `each` as it arrives; a throw from `each` stops it. */
  exportStream(container: string, each: (chunk: Buffer) => void, options?: { timeout?: number }): Promise<void>;
  /** The command line that runs the engine CLI with `args`, for a synchronous run (a file fetched mid-read). */
  argv(args: string[]): [string, string[]];
  /**
   * GET on the engine's API without a CLI process (docker on its unix socket); absent, or undefined for no
   * answer: ask the CLI.
   */
  apiGet?(path: string): Promise<{ status: number; body: string } | undefined>;
}

/** podman needs runc and lowered rlimits on hosts like CI's; docker takes them from daemon.json. */
function engineArgs(name: EngineName, args: string[]): string[] {
  if (name !== 'podman') return args;
  const runtime = process.env.SCRATCHIFY_PODMAN_RUNTIME;
  return runtime ? ['--runtime', runtime, ...args] : args;
}

/**
 * Runs the engine with its output handed to `each` chunk by chunk; a throw from `each` stops the engine. The
 * output is the child's stdout, or with `fifo` a named pipe the engine writes (`-o FIFO` given by the caller).
 */
function streamed(cmd: string, args: string[], each: (chunk: Buffer) => void, timeout: number, fifo?: string): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const child = spawn(cmd, args, { stdio: ['ignore', fifo ? 'ignore' : 'pipe', 'pipe'], timeout });
    const output: Readable = fifo ? createReadStream(fifo) : child.stdout!;
    let stderr = '';
    let failed: unknown;
    let exit: Error | null | undefined;
    let ended = false;
    const settle = () => {
      if (exit === undefined || !ended) return;
      if (failed) reject(failed);
      else if (exit) reject(exit);
      else resolve();
    };
    child.stderr?.on('data', (d: Buffer) => (stderr += d.toString()).length > 65536 && (stderr = stderr.slice(-65536)));
    output.on('data', (chunk: Buffer) => {
      if (failed) return;
      try {
        each(chunk);
      } catch (e) {
        failed = e;
        child.kill();
      }
    });
    output.on('error', (e: Error) => {
      failed ??= e;
      ended = true;
      settle();
    });
    output.on('end', () => {
      ended = true;
      settle();
    });
    child.on('error', (e) => {
      exit = e;
      ended = true;
      settle();
    });
    child.on('close', (code, signal) => {
      exit = code === 0 ? null : Object.assign(new Error(`${cmd} ${args.join(' ')}: ${signal ?? `exit ${code}`}`), { stderr });
      // An engine that failed before opening the pipe leaves our reader waiting for a writer: be that writer.
      if (fifo && !ended) closeSync(openSync(fifo, constants.O_WRONLY | constants.O_NONBLOCK));
      settle();
    });
  });
}

/**
 * podman export opens /dev/stdout by name, which fails on the socket Node gives a child as stdout
 * ("no such device or address"): it writes to a named pipe instead. docker export -o refuses a named pipe
 * ("cannot write to a named pipe"), so docker keeps stdout.
 */
async function exportStream(name: EngineName, container: string, each: (chunk: Buffer) => void, timeout: number): Promise<void> {
  if (name !== 'podman') return streamed(name, engineArgs(name, ['export', container]), each, timeout);
  const dir = mkdtempSync(join(tmpdir(), 'scratchify-export-'));
  try {
    const fifo = join(dir, 'export.tar');
    const { execa } = await import('execa');
    await execa('mkfifo', ['-m', '600', fifo]);
    await streamed(name, engineArgs(name, ['export', '-o', fifo, container]), each, timeout, fifo);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** JSON the daemon sent, or undefined for anything else it may send (a proxy's page, a truncated reply). */
function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The command a created container records: it is never run. */
export const NEVER_RUNS = '/scratchify-never-runs';

/**
 * Docker's engine API on its socket, for what a generate does on every cold run: the export arrives without the
 * CLI copying it between two pipes (about twice the CPU, on a machine the engine and the reader share), and create
 * and remove start no process. Any other answer than the expected one goes to the CLI, whose
 * error is the one a user knows; an export that fails part-way cannot, and fails with the daemon's message.
 */
function viaApi(socket: string, cli: () => Engine) {
  return {
    apiGet: (path: string) => dockerGet(socket, path),
    async createIdle(image: string): Promise<string> {
      const r = await dockerRequest(socket, 'POST', '/containers/create', {
        json: { Image: image, Cmd: [NEVER_RUNS] },
        timeoutMs: 120_000,
      });
      const id = r?.status === 201 ? (parseJson(r.body) as { Id?: unknown } | undefined)?.Id : undefined;
      return typeof id === 'string' && /^[0-9a-f]{64}$/.test(id) ? id : cli().createIdle(image);
    },
    async removeContainer(id: string): Promise<void> {
      const r = await dockerRequest(socket, 'DELETE', `/containers/${id}?force=true&v=true`, { timeoutMs: 120_000 });
      if (r?.status !== 204 && r?.status !== 404) await cli().removeContainer(id);
    },
    async exportStream(container: string, each: (chunk: Buffer) => void, options: { timeout?: number } = {}): Promise<void> {
      const r = await dockerRequest(socket, 'GET', `/containers/${container}/export`, { each, timeoutMs: options.timeout ?? 600_000 });
      if (r?.status === 200) return;
      const message = r && (parseJson(r.body) as { message?: unknown } | undefined)?.message;
      const why = typeof message === 'string' ? message : r ? `status ${r.status}` : 'no answer on its socket';
      throw Object.assign(new Error(`docker export ${container}: ${why}`), { stderr: why });
    },
  };
}

function make(name: EngineName, socket?: string): Engine {
  const engine: Engine = {
    name,
    async createIdle(image) {
      return (await engine.run(['create', image, NEVER_RUNS])).trim();
    },
    async removeContainer(id) {
      await engine.exec(['rm', '-f', '-v', id], { timeout: 120_000 });
    },
    exportStream(container, each, options = {}) {
      return exportStream(name, container, each, options.timeout ?? 600_000);
    },
    argv(args) {
      return [name, engineArgs(name, args)];
    },
    async run(args, options = {}) {
      const { execa } = await import('execa');
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
  return socket ? { ...engine, ...viaApi(socket, () => engine) } : engine;
}

async function answers(name: EngineName): Promise<string | undefined> {
  // execa is loaded on first use: importing it costs more than a whole resolve, which never needs it.
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

/** Whether `command` is an executable file in a directory of PATH (a few stat calls, no process). */
function onPath(command: string): boolean {
  return (process.env.PATH ?? '').split(':').some((dir) => {
    try {
      accessSync(join(dir || '.', command), constants.X_OK);
      return statSync(join(dir || '.', command)).isFile();
    } catch {
      return false;
    }
  });
}

/** The engine to use: the one asked for, else docker when it answers, else podman. */
export async function detectEngine(preferred?: EngineName): Promise<Engine> {
  const order: EngineName[] = preferred ? [preferred] : ['docker', 'podman'];
  const problems: string[] = [];
  for (const name of order) {
    // The API answers for what a generate does; builds, runs and traces still need the CLI, so it must be there.
    const socket = name === 'docker' && onPath('docker') ? defaultSocket() : undefined;
    if (await dockerPings(socket)) return make(name, socket);
    const problem = await answers(name);
    if (!problem) return make(name);
    problems.push(problem);
  }
  throw new ScratchifyError('ENGINE_UNAVAILABLE', `no container engine: ${problems.join('; ')}`, {
    hint: 'start dockerd (or install podman), or analyse an unpacked root with --root DIR',
  });
}
