// scratchify's probe client. It runs inside a container that shares the service's network namespace, on this
// machine's own Node.js brought in read-only (src/engine/prober.ts), so it needs nothing from the image. It reads
// one JSON request from its first argument and prints one JSON answer on stdout:
//   { "wait": { "ports": [80], "ms": 30000 } }            -> { "ready": [80] }   (the ports that accepted in time)
//   { "probes": [ { "kind": "http", ... }, ... ] }          -> { "results": [ ... ] } (one per probe, in order)
//   { "copy": { "from": "/from", "to": "/to" } }             -> { "copied": N }     (a volume's files, owners kept)
import { createHash } from 'node:crypto';
import { chmodSync, lchownSync, lstatSync, mkdirSync, readdirSync, readlinkSync, copyFileSync, symlinkSync, utimesSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';

const HOST = '127.0.0.1';
/** A reply is read until the expected text arrives, the peer closes, or it has been quiet this long. */
const QUIET_MS = 500;
const PROBE_MS = 10_000;
const MAX_BODY = 64 << 20;

function connects(port) {
  return new Promise((resolve) => {
    const s = net.connect({ host: HOST, port });
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.setTimeout(1000, () => {
      s.destroy();
      resolve(false);
    });
  });
}

async function wait({ ports, ms }) {
  const deadline = Date.now() + ms;
  const ready = new Set();
  while (ready.size < ports.length && Date.now() < deadline) {
    for (const p of ports) if (!ready.has(p) && (await connects(p))) ready.add(p);
    if (ready.size < ports.length) await new Promise((r) => setTimeout(r, 100));
  }
  return { ready: [...ready] };
}

function httpProbe(p) {
  return new Promise((resolve) => {
    const body = p.data === undefined ? undefined : Buffer.from(p.data, 'base64');
    const headers = { ...p.headers };
    if (body && !Object.keys(headers).some((h) => h.toLowerCase() === 'content-length')) headers['Content-Length'] = String(body.length);
    const req = http.request({ host: HOST, port: p.port, method: p.method, path: p.path, headers, timeout: PROBE_MS }, (res) => {
      const hash = createHash('sha256');
      let bytes = 0;
      let head = Buffer.alloc(0);
      res.on('data', (chunk) => {
        bytes += chunk.length;
        if (bytes <= MAX_BODY) hash.update(chunk);
        if (head.length < 200) head = Buffer.concat([head, chunk]).subarray(0, 200);
      });
      res.on('end', () =>
        resolve({
          status: res.statusCode,
          location: res.headers.location ?? null,
          contentType: res.headers['content-type'] ?? null,
          bytes,
          sha256: hash.digest('hex'),
          head: head.toString('utf8'),
        }),
      );
      res.on('error', (e) => resolve({ error: e.code ?? e.message }));
    });
    req.on('timeout', () => req.destroy(Object.assign(new Error('timed out'), { code: 'ETIMEDOUT' })));
    req.on('error', (e) => resolve({ error: e.code ?? e.message }));
    req.end(body);
  });
}

function tcpProbe(p) {
  return new Promise((resolve) => {
    const chunks = [];
    const expect = p.expect === undefined ? undefined : Buffer.from(p.expect, 'base64');
    let quiet;
    let done = false;
    const finish = (error) => {
      if (done) return;
      done = true;
      clearTimeout(quiet);
      s.destroy();
      const reply = Buffer.concat(chunks);
      resolve({
        error: error ?? null,
        reply: reply.toString('base64'),
        expectFound: expect ? reply.includes(expect) : null,
      });
    };
    const s = net.connect({ host: HOST, port: p.port });
    s.setTimeout(PROBE_MS, () => finish(chunks.length ? undefined : 'ETIMEDOUT'));
    s.once('connect', () => {
      if (p.data !== undefined) s.write(Buffer.from(p.data, 'base64'));
      quiet = setTimeout(() => finish(), QUIET_MS * 4);
    });
    s.on('data', (c) => {
      chunks.push(c);
      if (expect && Buffer.concat(chunks).includes(expect)) return finish();
      clearTimeout(quiet);
      quiet = setTimeout(() => finish(), QUIET_MS);
    });
    s.once('end', () => finish());
    s.once('error', (e) => finish(e.code ?? e.message));
  });
}

/** A tree copied with its modes, owners, links and times: a volume's snapshot, as the service will find it. */
function copyTree(from, to) {
  let n = 0;
  const walk = (src, dst) => {
    const st = lstatSync(src);
    if (st.isSymbolicLink()) symlinkSync(readlinkSync(src), dst);
    else if (st.isDirectory()) {
      mkdirSync(dst, { recursive: true });
      for (const name of readdirSync(src)) walk(`${src}/${name}`, `${dst}/${name}`);
    } else if (st.isFile()) copyFileSync(src, dst);
    else return;
    lchownSync(dst, st.uid, st.gid);
    if (!st.isSymbolicLink()) {
      chmodSync(dst, st.mode & 0o7777);
      utimesSync(dst, st.atime, st.mtime);
    }
    n++;
  };
  for (const name of readdirSync(from)) walk(`${from}/${name}`, `${to}/${name}`);
  const top = lstatSync(from);
  lchownSync(to, top.uid, top.gid);
  chmodSync(to, top.mode & 0o7777);
  return { copied: n };
}

const request = JSON.parse(process.argv[2]);
let answer;
if (request.wait) answer = await wait(request.wait);
else if (request.copy) answer = copyTree(request.copy.from, request.copy.to);
else {
  const results = [];
  for (const p of request.probes) results.push(p.kind === 'http' ? await httpProbe(p) : await tcpProbe(p));
  answer = { results };
}
process.stdout.write(`${JSON.stringify(answer)}\n`);
