import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { DOCKER, IN_CI, dockerAnswers, jdkBase, verifyBase } from '../helpers/engine.js';
import { BIN } from '../helpers/paths.js';

const run = (await dockerAnswers()) || IN_CI;

/** A class that touches what the JVM loads by computed paths: the CA store, the time-zone data, the VM. */
const HELLO = `import java.security.KeyStore;
import java.time.ZoneId;
import java.time.ZonedDateTime;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509TrustManager;

public class Hello {
  public static void main(String[] args) throws Exception {
    TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
    tmf.init((KeyStore) null);
    int roots = ((X509TrustManager) tmf.getTrustManagers()[0]).getAcceptedIssuers().length;
    ZonedDateTime t = ZonedDateTime.of(2024, 7, 1, 12, 0, 0, 0, ZoneId.of("Europe/Paris"));
    System.out.println("hello " + String.join(" ", args) + ", Paris " + t.getOffset() + ", CA roots " + (roots > 100) + ", Java " + Runtime.version().feature());
  }
}
`;

async function verify(args: string[], cwd: string) {
  const r = await execa(BIN, ['verify', '--json', ...args], { reject: false, cwd, timeout: 600_000 });
  if (!r.stdout.startsWith('{')) throw new Error(`verify ${args.join(' ')} printed no report (exit ${r.exitCode}): ${r.stderr}`);
  return { code: r.exitCode ?? -1, report: JSON.parse(r.stdout), stderr: r.stderr };
}

describe.runIf(run)("Debian's OpenJDK: the JVM finds its parts by computed paths", () => {
  let dir: string;
  beforeAll(async () => {
    const jdk = await jdkBase();
    dir = mkdtempSync(join(tmpdir(), 'scratchify-jvm-'));
    writeFileSync(join(dir, 'Hello.java'), HELLO);
    writeFileSync(join(dir, 'manifest.txt'), 'Main-Class: Hello\n');
    // The JDK compiles in the builder stage; the scratch image gets the runtime only.
    writeFileSync(
      join(dir, 'Dockerfile'),
      [
        `FROM ${jdk} AS app`,
        'WORKDIR /src',
        'COPY Hello.java manifest.txt ./',
        'RUN mkdir -p /app/classes && javac -d /app/classes Hello.java && jar cfm /app/app.jar manifest.txt -C /app/classes . && rm -rf /src',
        // A runtime of java.base alone, as jlink makes one: the same layout, found from its own path.
        'FROM app AS jlinked',
        'RUN jlink --add-modules java.base --output /opt/jre',
        '',
      ].join('\n'),
    );
  });
  const stage = () => ['--dockerfile', join(dir, 'Dockerfile'), '--target', 'app', '--build-network', 'none'];

  it('java -cp DIR and java -jar FILE pass verify without flags; the JDK tools stay out', async () => {
    for (const args of [
      ['-cp', '/app/classes', 'Hello'],
      ['-jar', '/app/app.jar'],
    ]) {
      const out = join(dir, `Dockerfile.${args[0].slice(1)}`);
      const { code, report, stderr } = await verify(['/usr/bin/java', ...stage(), '--smoke', 'world', '-o', out, '--', ...args], dir);
      expect(code, stderr).toBe(0);
      expect(report.rounds[0][0].scratch.stdout).toBe('hello world, Paris +02:00, CA roots true, Java 17');
      const text = readFileSync(out, 'utf8');
      expect(text).toMatch(/lib\/server\/libjvm\.so/);
      expect(text).not.toMatch(/bin\/javac|lib\/ct\.sym|jmods/);
    }
  }, 900_000);

  it("a jlink'ed runtime (java.base only) passes too", async () => {
    const jlinked = ['--dockerfile', join(dir, 'Dockerfile'), '--target', 'jlinked', '--build-network', 'none'];
    const { code, report, stderr } = await verify(
      ['/opt/jre/bin/java', ...jlinked, '--smoke', 'world', '--', '-cp', '/app/classes', 'Hello'],
      dir,
    );
    expect(code, stderr).toBe(0);
    expect(report.rounds[0][0].scratch.stdout).toMatch(/^hello world, Paris \+02:00/);
  }, 600_000);

  it('--trace of java no longer stops at libjvm.so: what the run loaded together answers each other by name', async () => {
    const r = await execa(
      BIN,
      [
        '/usr/bin/java',
        ...stage(),
        '--trace',
        '/usr/bin/java -cp /app/classes Hello',
        '-o',
        join(dir, 'Dockerfile.traced'),
        '--',
        '-cp',
        '/app/classes',
        'Hello',
      ],
      {
        reject: false,
      },
    );
    expect(r.exitCode, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/paths only the processes around the program used/);
  }, 600_000);
});

describe.runIf(run)("a trace keeps the program's own needs, not its harness", () => {
  let base: string;
  beforeAll(async () => {
    base = (await verifyBase()).ref;
  });

  it('sh -c around gzip: no shell in the image; tar -z, which runs gzip through a shell of its own: the shell kept', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'scratchify-harness-'));
    const gz = await execa(
      BIN,
      ['/usr/bin/gzip', '--base', base, '--trace', "sh -c 'echo hi | gzip -c > /dev/null'", '-o', join(dir, 'gzip')],
      { reject: false },
    );
    expect(gz.exitCode, gz.stderr).toBe(0);
    expect(gz.stderr).toMatch(/paths only the processes around the program used .* are left out: .*\/sh/);
    const listing = await built(dir, 'gzip');
    expect(listing).not.toMatch(/dash/);
    const tar = await execa(
      BIN,
      ['/usr/bin/tar', '--base', base, '--trace', "sh -c 'tar -czf /tmp/a.tgz -C /etc debian_version'", '-o', join(dir, 'tar')],
      {
        reject: false,
      },
    );
    expect(tar.exitCode, tar.stderr).toBe(0);
    expect(await built(dir, 'tar')).toMatch(/usr\/bin\/dash/);
  }, 600_000);
});

/** Builds a generated Dockerfile and lists the image's files. */
async function built(dir: string, name: string): Promise<string> {
  const tag = `scratchify-test/harness:${name}`;
  const b = await execa(DOCKER, ['build', '-q', '--network', 'none', '-f', join(dir, name), '-t', tag, dir], {
    env: { DOCKER_BUILDKIT: '1' },
    reject: false,
  });
  expect(b.exitCode, b.stderr).toBe(0);
  const cid = (await execa(DOCKER, ['create', tag, '/none'])).stdout.trim();
  try {
    return (await execa('sh', ['-c', `${DOCKER} export ${cid} | tar -t`])).stdout;
  } finally {
    await execa(DOCKER, ['rm', '-f', cid]);
  }
}
