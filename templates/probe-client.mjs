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

/**
 * A conversation over one connection: `talk` gets a reader of whole messages and a writer, and returns the
 * round trip's answer as text, which is what verify compares (never bytes that differ by design: salts, ids).
 */
function converse(where, talk) {
  return new Promise((resolve) => {
    let buf = Buffer.alloc(0);
    let waiting;
    let done = false;
    const s = net.connect(where);
    const finish = (error, text) => {
      if (done) return;
      done = true;
      s.destroy();
      resolve({ error: error ?? null, reply: Buffer.from(text ?? '').toString('base64'), expectFound: null });
    };
    s.setTimeout(PROBE_MS, () => finish('ETIMEDOUT'));
    s.on('data', (c) => {
      buf = Buffer.concat([buf, c]);
      waiting?.();
    });
    s.once('error', (e) => finish(e.code ?? e.message));
    s.once('close', () => {
      if (waiting) waiting();
    });
    /** Waits until `take(buf)` returns [value, bytesUsed] (or the peer closes: then null). */
    const read = (take) =>
      new Promise((res) => {
        const tryTake = () => {
          const got = take(buf);
          if (got) {
            buf = buf.subarray(got[1]);
            waiting = undefined;
            res(got[0]);
          } else if (s.destroyed || s.readableEnded) {
            waiting = undefined;
            res(null);
          }
        };
        waiting = tryTake;
        tryTake();
      });
    s.once('connect', () =>
      talk(read, (b) => s.write(b)).then(
        (text) => finish(null, text),
        (e) => finish(e.message),
      ),
    );
  });
}

const line = (b) => {
  const i = b.indexOf('\r\n');
  return i < 0 ? null : [b.subarray(0, i).toString('utf8'), i + 2];
};

/** PostgreSQL's messages: a type byte and a length that counts itself; anything else is another protocol's reply. */
const pgMessage = (b) => {
  if (b.length > 0 && !'ERSZKNTDCv'.includes(String.fromCharCode(b[0]))) return [{ type: '?', body: b }, b.length];
  if (b.length < 5 || b.length < 1 + b.readUInt32BE(1)) return null;
  return [{ type: String.fromCharCode(b[0]), body: b.subarray(5, 1 + b.readUInt32BE(1)) }, 1 + b.readUInt32BE(1)];
};
const notIt = (m) => `not PostgreSQL: the server answered ${JSON.stringify(m.body.subarray(0, 60).toString('latin1'))}`;
const pgFields = (body) => {
  const f = {};
  for (let i = 0; i < body.length && body[i] !== 0; ) {
    const end = body.indexOf(0, i + 1);
    f[String.fromCharCode(body[i])] = body.subarray(i + 1, end).toString('utf8');
    i = end + 1;
  }
  return `${f.S ?? 'ERROR'} ${f.C ?? ''}: ${f.M ?? ''}`;
};
const AUTH = { 2: 'Kerberos', 3: 'a cleartext password', 5: 'an MD5 password', 7: 'GSSAPI', 9: 'SSPI', 10: 'SCRAM (SASL)' };

async function postgres(read, write, p) {
  const params = Buffer.from(`user\0${p.unix?.user ?? 'postgres'}\0database\0postgres\0\0`);
  const head = Buffer.alloc(8);
  head.writeUInt32BE(8 + params.length, 0);
  head.writeUInt32BE(196608, 4);
  write(Buffer.concat([head, params]));
  for (;;) {
    const m = await read(pgMessage);
    if (!m) return 'the server closed the connection during startup';
    if (m.type === '?') return notIt(m);
    if (m.type === 'E') return pgFields(m.body);
    if (m.type === 'R' && m.body.readUInt32BE(0) !== 0) return `the server asks for ${AUTH[m.body.readUInt32BE(0)] ?? 'authentication'}`;
    if (m.type === 'Z') break;
  }
  // Let in: a query that reaches what a first real client does (the database's locale, plpgsql, text search).
  const sql = Buffer.from("SELECT 6 * 7, to_tsvector('english', 'running probes')::text\0");
  const q = Buffer.alloc(5);
  q.write('Q');
  q.writeUInt32BE(4 + sql.length, 1);
  write(Buffer.concat([q, sql]));
  const rows = [];
  for (;;) {
    const m = await read(pgMessage);
    if (!m) return 'the server closed the connection during the query';
    if (m.type === 'E') return `let in; the query failed: ${pgFields(m.body)}`;
    if (m.type === 'D') {
      const cols = [];
      for (let i = 2, n = 0; n < m.body.readUInt16BE(0); n++) {
        const len = m.body.readInt32BE(i);
        cols.push(len < 0 ? 'NULL' : m.body.subarray(i + 4, i + 4 + len).toString('utf8'));
        i += 4 + Math.max(0, len);
      }
      rows.push(cols.join('|'));
    }
    if (m.type === 'Z') return `let in; the query answered ${rows.join('; ')}`;
  }
}

async function redis(read, write) {
  write('PING\r\n');
  return (await read(line)) ?? 'the server closed the connection';
}

async function memcached(read, write) {
  write('version\r\n');
  const version = (await read(line)) ?? '';
  write('set scratchify-probe 0 60 2\r\nok\r\nget scratchify-probe\r\n');
  const out = [version.replace(/^VERSION .*/, 'VERSION')];
  for (let l = await read(line); l !== null; l = l === 'END' || /ERROR/.test(l) ? null : await read(line)) out.push(l);
  return out.join(' / ');
}

/** MySQL's first packet: the server's handshake (protocol 10 and its version), or an error packet. */
async function mysql(read) {
  const packet = await read((b) => (b.length >= 4 && b.length >= 4 + b.readUIntLE(0, 3) ? [b.subarray(4, 4 + b.readUIntLE(0, 3)), 4 + b.readUIntLE(0, 3)] : null));
  if (!packet) return 'the server closed the connection before its handshake';
  if (packet[0] === 0xff) return `error ${packet.readUInt16LE(1)}: ${packet.subarray(3).toString('utf8').replace(/^#\w{5}/, '')}`;
  return `handshake, protocol ${packet[0]}, server ${packet.subarray(1, packet.indexOf(0, 1)).toString('utf8')}`;
}

const PROTOCOLS = { postgres, redis, memcached, mysql };

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
  for (const p of request.probes)
    results.push(
      p.kind === 'http'
        ? await httpProbe(p)
        : p.protocol
          ? await converse(p.unix ? { path: `${p.unix.dir}/${p.unix.name}` } : { host: HOST, port: p.port }, (read, write) =>
              PROTOCOLS[p.protocol](read, write, p),
            )
          : await tcpProbe(p),
    );
  answer = { results };
}
process.stdout.write(`${JSON.stringify(answer)}\n`);
