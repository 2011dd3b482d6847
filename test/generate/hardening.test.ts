import { describe, expect, it } from 'vitest';
import { composeSnippet, dockerRunLine, hardenedRun, kubernetesSnippet } from '../../src/generate/hardening.js';
import { Plan } from '../../src/generate/plan.js';
import { openDirRoot } from '../../src/rootfs/open.js';
import { helloRoot } from '../helpers/roots.js';

const account = (uid: number) => ({ name: uid ? 'postgres' : 'root', uid, gid: uid ? 104 : 0, gecos: '', home: '/', shell: '/bin/sh' });

function plan(): Plan {
  const p = new Plan(openDirRoot(helloRoot()));
  p.addDir('/tmp', 0o1777, 0, 0, '/tmp');
  p.addDir('/run', 0o755, 0, 0, '/run');
  p.addDir('/run/postgresql', 0o2775, 102, 104, 'sockets', true);
  p.addDir('/var/lib/postgresql/15/main/pg_wal', 0o700, 102, 104, 'written', true);
  return p;
}

describe('the hardened run', () => {
  it('a non-root database: no capability, a tmpfs for each empty directory it writes, a volume for its data; three renderings', () => {
    const h = hardenedRun(plan(), {
      user: '102',
      runAs: account(102),
      switchesUsers: false,
      ports: [5432],
      state: ['/var/lib/postgresql/15/main'],
      volumes: [],
    });
    expect(h).toEqual({
      user: '102',
      capAdd: [],
      tmpfs: [
        { path: '/run/postgresql', mode: 0o2775, uid: 102, gid: 104 },
        { path: '/tmp', mode: 0o1777, uid: 0, gid: 0 },
      ],
      volumes: ['/var/lib/postgresql/15/main'],
    });
    expect(dockerRunLine(h, 'pg')).toBe(
      'docker run --read-only --cap-drop ALL --security-opt no-new-privileges --user 102 --tmpfs /run/postgresql:mode=2775,uid=102,gid=104 --tmpfs /tmp:mode=1777,uid=0,gid=0 -v var-lib-postgresql-15-main:/var/lib/postgresql/15/main pg',
    );
    expect(kubernetesSnippet(h, 'pg')).toContain(
      '      readOnlyRootFilesystem: true\n      allowPrivilegeEscalation: false\n      runAsNonRoot: true\n      runAsUser: 102\n',
    );
    expect(kubernetesSnippet(h, 'pg')).toContain('  - name: run-postgresql\n    emptyDir: {}\n');
    expect(composeSnippet(h, 'pg')).toContain('    read_only: true\n    cap_drop: [ALL]\n');
    expect(composeSnippet(h, 'pg')).toContain('      - var-lib-postgresql-15-main:/var/lib/postgresql/15/main\n');
  });

  it('root that switches to its workers keeps what switching takes, and binds its port', () => {
    const h = hardenedRun(plan(), { user: '0:0', runAs: account(0), switchesUsers: true, ports: [], state: [], volumes: ['/data'] });
    expect(h.capAdd).toEqual(['CHOWN', 'KILL', 'NET_BIND_SERVICE', 'SETGID', 'SETUID']);
    expect(h.volumes).toEqual(['/data', '/var/lib/postgresql/15/main/pg_wal']);
    expect(kubernetesSnippet(h, 'x')).not.toContain('runAsNonRoot');
  });
});
