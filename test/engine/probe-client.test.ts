import net from 'node:net';
import { join } from 'node:path';
import { execa } from 'execa';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { REPO } from '../helpers/paths.js';

// The probe client's round trips, against small servers of this test that speak (or do not speak) each protocol:
// the client is our own code, run here as it runs in the probe container.

const servers: net.Server[] = [];

/** A server on a free loopback port that answers every chunk it gets with `reply(chunk)`. */
async function serve(reply: (chunk: Buffer) => Buffer | string): Promise<number> {
  const server = net.createServer((s) => s.on('data', (c) => s.write(reply(c))));
  servers.push(server);
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return (server.address() as net.AddressInfo).port;
}

async function probe(p: Record<string, unknown>): Promise<{ error: string | null; text: string }> {
  const r = await execa(process.execPath, [
    join(REPO, 'templates', 'probe-client.mjs'),
    JSON.stringify({ probes: [{ kind: 'tcp', ...p }] }),
  ]);
  const result = JSON.parse(r.stdout).results[0] as { error: string | null; reply: string };
  return { error: result.error, text: Buffer.from(result.reply, 'base64').toString() };
}

/** A PostgreSQL message: type, a length that counts itself, the body. */
const pg = (type: string, body: Buffer) => {
  const head = Buffer.alloc(5);
  head.write(type);
  head.writeUInt32BE(body.length + 4, 1);
  return Buffer.concat([head, body]);
};
const int32 = (n: number) => {
  const b = Buffer.alloc(4);
  b.writeUInt32BE(n);
  return b;
};

describe("the probe client's protocol round trips", () => {
  let redis: number;
  let scram: number;
  let trusting: number;
  beforeAll(async () => {
    redis = await serve((c) => (c.toString().startsWith('PING') ? '+PONG\r\n' : '-ERR unknown command\r\n'));
    scram = await serve(() => pg('R', Buffer.concat([int32(10), Buffer.from('SCRAM-SHA-256\0\0')])));
    // A server that lets anyone in, then answers the query with one row, or a startup error for another database.
    trusting = await serve((c) =>
      c[0] === 0x51
        ? Buffer.concat([
            pg('D', Buffer.concat([Buffer.from([0, 2]), int32(2), Buffer.from('42'), int32(3), Buffer.from("'x'")])),
            pg('Z', Buffer.from('I')),
          ])
        : Buffer.concat([pg('R', int32(0)), pg('S', Buffer.from('a\0b\0')), pg('Z', Buffer.from('I'))]),
    );
  });
  afterAll(() => {
    for (const s of servers) s.close();
  });

  it('Redis answers PING; PostgreSQL asks for its password or lets the probe in and answers its query', async () => {
    expect(await probe({ port: redis, protocol: 'redis' })).toEqual({ error: null, text: '+PONG' });
    expect(await probe({ port: scram, protocol: 'postgres' })).toEqual({ error: null, text: 'the server asks for SCRAM (SASL)' });
    expect(await probe({ port: trusting, protocol: 'postgres' })).toEqual({ error: null, text: "let in; the query answered 42|'x'" });
  });

  it('a service that speaks another protocol: the round trip says what came back instead', async () => {
    expect((await probe({ port: redis, protocol: 'postgres' })).text).toBe(
      'not PostgreSQL: the server answered "-ERR unknown command\\r\\n"',
    );
    const mysql = await probe({ port: redis, protocol: 'mysql' });
    expect(mysql.error ?? mysql.text).toMatch(/ETIMEDOUT|closed|handshake/);
  }, 30_000);
});
