import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { EXIT_CODES } from '../../src/errors.js';
import { DOCKER, IN_CI, dockerAnswers, dockerBuild, nginxBase } from '../helpers/engine.js';
import { BIN } from '../helpers/paths.js';
import { checks, verify } from '../helpers/verify.js';

const run = (await dockerAnswers()) || IN_CI;

const docker = (args: string[]) => execa(DOCKER, args, { reject: false, timeout: 120_000 });

/**
 * The blog this project started from: a user's Dockerfile stage on the nginx base adds a site whose /cv is one
 * file (`alias /usr/share/nginx/resume.pdf`), / answers a redirect, and the stage sets the run configuration a
 * team would (ENV, WORKDIR, EXPOSE, STOPSIGNAL SIGQUIT, LABEL, ENTRYPOINT and CMD).
 */
const BLOG_CONF = `server {
  listen 80 default_server;
  root /var/www/html;
  location = / { return 302 /cv; }
  location /cv { alias /usr/share/nginx/resume.pdf; default_type application/pdf; }
}
`;
const PDF = '%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n';

describe.runIf(run)("verify of the blog's nginx site: a user's stage, hand-written Dockerfiles, --fix, --hardened, Ctrl-C", () => {
  let blog: string;
  beforeAll(async () => {
    const nginx = (await nginxBase()).ref;
    blog = mkdtempSync(join(tmpdir(), 'scratchify-blog-'));
    writeFileSync(join(blog, 'resume.pdf'), PDF);
    writeFileSync(join(blog, 'blog.conf'), BLOG_CONF);
    writeFileSync(
      join(blog, 'Dockerfile'),
      [
        `FROM ${nginx} AS site`,
        'COPY resume.pdf /usr/share/nginx/resume.pdf',
        'COPY blog.conf /etc/nginx/sites-enabled/default',
        // A link out of the web root, as Debian's packages make them: only a request shows nginx opens its target.
        'RUN ln -s /usr/share/common-licenses/GPL-3 /var/www/html/license.txt',
        'ENV APP_MODE=production LANG=C.UTF-8',
        'WORKDIR /srv',
        'EXPOSE 80',
        'STOPSIGNAL SIGQUIT',
        'LABEL org.example.team="web"',
        'ENTRYPOINT ["/usr/sbin/nginx"]',
        'CMD ["-g", "daemon off;"]',
        '',
      ].join('\n'),
    );
  });

  /** The blog's generated Dockerfile with a scaffold that lacks /var/lib/nginx, as a hand-written one would. */
  async function withoutTempDirs(): Promise<string> {
    await dockerBuild(blog, 'scratchify-test/blog:site', 'Dockerfile');
    const lacking = join(blog, 'Dockerfile.notemp');
    if (existsSync(lacking)) return lacking;
    // The scaffold unpacked (owners and modes kept), /var/lib/nginx taken out, packed again.
    const tree = mkdtempSync(join(tmpdir(), 'scratchify-notemp-'));
    await execa('tar', ['-xpf', join(blog, 'Dockerfile.scratch.scaffold.tar'), '-C', tree]);
    rmSync(join(tree, 'var/lib/nginx'), { recursive: true });
    await execa('tar', ['--numeric-owner', '-C', tree, '-cf', join(blog, 'notemp.tar'), '.']);
    rmSync(tree, { recursive: true });
    writeFileSync(lacking, readFileSync(join(blog, 'Dockerfile.scratch'), 'utf8').replace(/^ADD \S+ \/$/m, 'ADD notemp.tar /'));
    return lacking;
  }

  it("the blog's site from a user's stage: / and /cv answer as in the base, without flags; the image keeps the stage's configuration and stops on SIGQUIT", async () => {
    const out = join(blog, 'Dockerfile.scratch');
    const site = ['--dockerfile', join(blog, 'Dockerfile'), '--target', 'site', '--build-network', 'none'];
    const { code, report, stderr } = await verify([
      '/usr/sbin/nginx',
      ...site,
      '--probe',
      'http://127.0.0.1/',
      '--probe',
      'http://127.0.0.1/cv',
      '-o',
      out,
    ]);
    expect(code, stderr).toBe(0);
    const c = checks(report);
    const root = c.get("--probe 'http://127.0.0.1/'");
    expect(root?.scratch?.http).toMatchObject({ status: 302, location: expect.stringMatching(/\/cv$/) });
    expect(root?.scratch?.http?.location).toBe(root?.base?.http?.location);
    const cv = c.get("--probe 'http://127.0.0.1/cv'")?.scratch?.http;
    expect(cv).toMatchObject({ status: 200, contentType: 'application/pdf', sha256: createHash('sha256').update(PDF).digest('hex') });
    expect(c.get('stop')).toMatchObject({ pass: true, scratch: { status: 'stopped', exitCode: 0 } });
    // The stage image scratchify built to read the stage is not left behind.
    const stageTag = `scratchify-stage/site:${createHash('sha256')
      .update(`${join(blog, 'Dockerfile')}\0site`)
      .digest('hex')
      .slice(0, 12)}`;
    expect((await docker(['image', 'inspect', stageTag])).exitCode).not.toBe(0);

    // The Dockerfile written is the user's stages and the scratch stage: it builds as it is.
    await dockerBuild(blog, 'scratchify-test/blog:scratch', 'Dockerfile.scratch');
    const config = JSON.parse((await docker(['image', 'inspect', '--format', '{{json .Config}}', 'scratchify-test/blog:scratch'])).stdout);
    expect(config.Env).toEqual(expect.arrayContaining(['APP_MODE=production', 'LANG=C.UTF-8']));
    expect(config).toMatchObject({
      WorkingDir: '/srv',
      ExposedPorts: { '80/tcp': {} },
      StopSignal: 'SIGQUIT',
      Entrypoint: ['/usr/sbin/nginx'],
      Cmd: ['-g', 'daemon off;'],
    });
    expect(config.Labels).toMatchObject({ 'org.example.team': 'web' });
    const name = `scratchify-test-blog-${process.pid}`;
    await docker(['run', '-d', '--name', name, '--network', 'none', 'scratchify-test/blog:scratch']);
    try {
      await new Promise((r) => setTimeout(r, 1000));
      const t0 = Date.now();
      await docker(['stop', '-t', '10', name]);
      // SIGQUIT is nginx's graceful stop: it exits at once with 0, not killed (137) after 10 s.
      expect(Date.now() - t0).toBeLessThan(5000);
      expect((await docker(['inspect', '--format', '{{.State.ExitCode}}', name])).stdout.trim()).toBe('0');
    } finally {
      await docker(['rm', '-f', name]);
    }
  }, 600_000);

  it('the blog passes verify --hardened: nginx starts as root with only the capabilities it switches users and binds port 80 with', async () => {
    const site = ['--dockerfile', join(blog, 'Dockerfile'), '--target', 'site', '--build-network', 'none'];
    const { code, report, stderr } = await verify(['/usr/sbin/nginx', ...site, '--hardened', '--probe', 'http://127.0.0.1/cv']);
    expect(code, stderr).toBe(0);
    expect((report as unknown as { hardened: { capAdd: string[] } }).hardened.capAdd).toEqual([
      'CHOWN',
      'KILL',
      'NET_BIND_SERVICE',
      'SETGID',
      'SETUID',
    ]);
  }, 600_000);

  it('a hand-written Dockerfile that lacks the PDF: verify -f FAILs naming it and the flag; --fix writes a copy that passes', async () => {
    await dockerBuild(blog, 'scratchify-test/blog:site', 'Dockerfile');
    const written = readFileSync(join(blog, 'Dockerfile.scratch'), 'utf8');
    writeFileSync(join(blog, 'Dockerfile.lacking'), written.replace(/^COPY --from=site \/usr\/share\/nginx\/resume\.pdf .*\n/m, ''));
    const probes = ['--probe', 'http://127.0.0.1/cv'];
    const common = ['/usr/sbin/nginx', '-f', join(blog, 'Dockerfile.lacking'), '--base', 'scratchify-test/blog:site', ...probes];
    const failed = await verify(common);
    expect(failed.code, failed.stderr).toBe(EXIT_CODES.MISMATCH);
    const cv = checks(failed.report).get("--probe 'http://127.0.0.1/cv'");
    expect(cv?.differences.join(' ')).toMatch(/HTTP status 404, the base's 200/);
    expect(failed.report.service[0]?.missing).toContainEqual({
      path: '/usr/share/nginx/resume.pdf',
      use: 'read',
      fix: '--include /usr/share/nginx/resume.pdf',
    });
    const fixed = await verify([...common, '--fix', '-o', join(blog, 'Dockerfile.fixed')]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.report.added.map((a) => a.path)).toEqual(['/usr/share/nginx/resume.pdf']);
    expect(readFileSync(join(blog, 'Dockerfile.fixed'), 'utf8')).toMatch(/^COPY --from=site \/usr\/share\/nginx\/resume.pdf /m);
  }, 600_000);

  it("a hand-written Dockerfile without nginx's temp directories: verify -f names the directory nginx creates them in, and --fix passes in one round", async () => {
    const lacking = await withoutTempDirs();
    const common = ['/usr/sbin/nginx', '-f', lacking, '--base', 'scratchify-test/blog:site', '--probe', 'http://127.0.0.1/cv'];
    const failed = await verify(common);
    expect(failed.code, failed.stderr).toBe(EXIT_CODES.MISMATCH);
    expect(failed.report.service[0]?.missing).toContainEqual(
      expect.objectContaining({ path: '/var/lib/nginx', use: 'dir', fix: expect.stringMatching(/created body there/) }),
    );
    const fixed = await verify([...common, '--fix', '-o', join(blog, 'Dockerfile.notemp.fixed')]);
    expect(fixed.code, fixed.stderr).toBe(0);
    expect(fixed.report.service.length).toBe(2);
    expect(readFileSync(join(blog, 'Dockerfile.notemp.fixed'), 'utf8')).toMatch(
      /^# body was created there by the service in the base \(--fix\)\nCOPY --from=site \/var\/lib\/nginx\/ \/var\/lib\/nginx\/$/m,
    );
  }, 600_000);

  it('Ctrl-C while verify --fix builds, traces, or builds again: exit 130, and no image (tagged or not), container, volume, temporary file or output left', async () => {
    const lacking = await withoutTempDirs();
    const out = join(blog, 'Dockerfile.interrupted');
    for (const moment of [
      /building the scratch image \(round 1\)/,
      /tracing the service in both images/,
      /building the scratch image \(round 2\)/,
    ]) {
      const tmp = mkdtempSync(join(tmpdir(), 'scratchify-ctrlc-'));
      const dangling = async () =>
        new Set((await docker(['images', '-a', '-q', '--filter', 'dangling=true'])).stdout.split('\n').filter(Boolean));
      const before = await dangling();
      const child = execa(
        BIN,
        [
          'verify',
          '/usr/sbin/nginx',
          '-f',
          lacking,
          '--base',
          'scratchify-test/blog:site',
          '--probe',
          'http://127.0.0.1/cv',
          '--fix',
          '-o',
          out,
        ],
        {
          detached: true,
          reject: false,
          env: { TMPDIR: tmp },
        },
      );
      await Promise.race([
        new Promise<void>((resolve) => child.stderr!.on('data', (d: Buffer) => moment.test(String(d)) && resolve())),
        child,
      ]);
      // Inside the step, not at its first line.
      await new Promise((r) => setTimeout(r, 1500));
      process.kill(-child.pid!, 'SIGINT');
      const interrupted = await child;
      expect(interrupted.exitCode, `${moment}: ${interrupted.stderr}`).toBe(130);
      expect((await docker(['ps', '-a', '--format', '{{.Names}}'])).stdout).not.toMatch(/scratchify-(service|probe|run|trace)-/);
      expect((await docker(['volume', 'ls', '--format', '{{.Name}}'])).stdout).not.toMatch(/scratchify-volume-/);
      expect((await docker(['images', '--format', '{{.Repository}}'])).stdout).not.toMatch(/scratchify-verify/);
      expect((await docker(['images', '-a', '-q', '--filter', 'label=org.scratchify.leftover'])).stdout.trim(), `${moment}`).toBe('');
      // A build's step images, and an export whose tag never came, are untagged: none is new.
      expect(
        [...(await dangling())].filter((id) => !before.has(id)),
        `${moment}`,
      ).toEqual([]);
      expect(readdirSync(tmp), `${moment}`).toEqual([]);
      expect(existsSync(out)).toBe(false);
      rmSync(tmp, { recursive: true });
    }
  }, 600_000);

  it('generate --trace-service sees what a request opens behind a link out of the web root; verify -f of its Dockerfile passes', async () => {
    const out = join(blog, 'Dockerfile.traced');
    const g = await execa(
      BIN,
      ['/usr/sbin/nginx', '--base', 'scratchify-test/blog:site', '--trace-service', '--probe', 'http://127.0.0.1/license.txt', '-o', out],
      {
        reject: false,
      },
    );
    expect(g.exitCode, g.stderr).toBe(0);
    expect(readFileSync(out, 'utf8')).toMatch(
      /# used by the service while it answered its probes \(--trace-service\)\n(#.*\n)*COPY --from=base .*\/usr\/share\/common-licenses\/GPL-3/,
    );
    const v = await verify([
      '/usr/sbin/nginx',
      '-f',
      out,
      '--base',
      'scratchify-test/blog:site',
      '--probe',
      'http://127.0.0.1/license.txt',
    ]);
    expect(v.code, v.stderr).toBe(0);
  }, 600_000);
});
