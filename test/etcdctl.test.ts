/**
 * The real etcdctl 3.4 (ETCDCTL_API=3) against 3-member kubeling stores, for
 * what etcd users do with it: every get/put/del option, txn, watch, leases,
 * compaction, endpoint and member commands, snapshot save and check perf,
 * without TLS and with kubeadm's PKI (client-certificate auth, peer TLS).
 * Expected outputs are etcdctl's exact text. This file passes unchanged
 * against a real etcd 3.4.23 cluster (TestCluster.start('etcd', 3)), except
 * the check that a snapshot is kubeling's SQLite file (etcd's is bbolt):
 * only ids, sizes and timings differ, and the tests do not depend on them.
 * Kubeling's ids are below 2^53, so etcdctl's "%16x" pads them with spaces
 * in `member add/remove` messages.
 *
 * Tests within a describe share one cluster and run in order; each uses its
 * own keys (under "/<test>/"; keys under "~" belong to the from-key tests,
 * which read or delete everything above a key). Waiting is by polling with
 * deadlines, never by sleeping.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { connect as tlsConnect } from 'node:tls';
import { after, before, describe, it } from 'node:test';
import { initPki } from '../store/server/pki.js';
import { TestCluster, etcdctl, etcdctlTls, freePort, pkiFiles, type MemberProc, type TlsFiles } from './cluster.js';

const ENV = { ...process.env, ETCDCTL_API: '3' };
const unb64 = (s: string | undefined): string => Buffer.from(s ?? '', 'base64').toString();

/** A 64-bit id as etcdctl -w json prints it: a number, or (above 2^53, from a real etcd) its decimal string. */
type Id = number | string;
/** An id in hex, as etcdctl's other forms print it. */
const hex = (id: Id | undefined): string => BigInt(id ?? 0).toString(16);

/** Parses etcdctl's JSON, keeping integers too large for a double (etcd's 64-bit ids) exact, as strings. */
function json<T>(out: string): T {
  return JSON.parse(out.replace(/([:[,])(\d{16,})(?=[,\]}])/g, (m, pre: string, d: string) => (BigInt(d) > 2n ** 53n ? `${pre}"${d}"` : m))) as T;
}

/** A KeyValue as etcdctl -w json prints it (proto names; bytes in base64; zero fields left out). */
interface JsonKv {
  key: string;
  create_revision?: number;
  mod_revision?: number;
  version?: number;
  value?: string;
  lease?: Id;
}

interface JsonHeader {
  cluster_id: Id;
  member_id: Id;
  revision?: number;
  raft_term: number;
}

/** A KeyValue in one line: `key=value c<create> m<mod> v<version>`. */
function kvLine(kv: JsonKv): string {
  return `${unb64(kv.key)}=${unb64(kv.value)} c${kv.create_revision ?? 0} m${kv.mod_revision ?? 0} v${kv.version ?? 0}`;
}

/** Runs etcdctl against one member or a list of endpoints; throws on failure. */
function ctl(endpoints: string, args: string[], opts: { tls?: TlsFiles; input?: string } = {}): string {
  return etcdctl(endpoints, args, opts).stdout;
}

/** `put -w json` and the revision it wrote at. */
function putRev(endpoint: string, key: string, value: string, extra: string[] = [], tls?: TlsFiles): number {
  const r = json<{ header: JsonHeader }>(ctl(endpoint, ['put', key, value, '-w', 'json', ...extra], tls ? { tls } : {}));
  assert.ok(r.header.revision !== undefined && r.header.revision > 0);
  return r.header.revision;
}

/** An `etcdctl watch` child (or another long-running etcdctl command): its output so far, a wait for the output to satisfy a predicate, and a stop by pid. */
class Watcher {
  readonly proc: ChildProcess;
  out = '';
  err = '';
  private readonly exited: Promise<number | null>;
  private wake: () => void = () => {};

  constructor(endpoint: string, args: string[], tls?: TlsFiles, command: string[] = ['watch']) {
    this.proc = spawn('etcdctl', [...etcdctlTls(tls), '--endpoints', endpoint, ...command, ...args], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc.stdout?.on('data', (d: Buffer) => {
      this.out += d.toString();
      this.wake();
    });
    this.proc.stderr?.on('data', (d: Buffer) => {
      this.err += d.toString();
      this.wake();
    });
    this.exited = new Promise((res) =>
      this.proc.once('exit', (code) => {
        res(code);
        this.wake();
      }),
    );
  }

  /** Waits (at most `ms`) until `done(stdout)`; throws with what arrived if it never does. */
  async until(done: (out: string) => boolean, ms = 10_000): Promise<string> {
    const deadline = Date.now() + ms;
    while (!done(this.out)) {
      const left = deadline - Date.now();
      if (left <= 0 || this.proc.exitCode !== null) {
        assert.fail(`watch output incomplete after ${ms} ms (exit ${this.proc.exitCode}):\n${this.out}\nstderr: ${this.err}`);
      }
      await new Promise<void>((res) => {
        const t = setTimeout(res, left);
        this.wake = () => {
          clearTimeout(t);
          res();
        };
      });
    }
    return this.out;
  }

  /** Waits for the process to exit by itself (at most `ms`); its exit code. */
  async exit(ms = 10_000): Promise<number | null> {
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<never>((_, rej) => {
      timer = setTimeout(() => rej(new Error(`etcdctl watch did not exit within ${ms} ms:\n${this.out}\n${this.err}`)), ms);
    });
    try {
      return await Promise.race([this.exited, timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** Signals the child (by its pid) and waits for it to go. */
  async stop(signal: NodeJS.Signals = 'SIGTERM'): Promise<void> {
    if (this.proc.exitCode === null && this.proc.signalCode === null) this.proc.kill(signal);
    await this.exited;
  }
}

/** Polls `f` until it returns a value (not undefined), at most `ms`. */
async function eventually<T>(what: string, f: () => T | undefined, ms = 15_000): Promise<T> {
  const deadline = Date.now() + ms;
  let last: unknown;
  for (;;) {
    try {
      const v = f();
      if (v !== undefined) return v;
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`${what}: not within ${ms} ms${last ? ` (last error: ${String(last)})` : ''}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The cells of an etcdctl `-w table`: header and rows, trimmed. */
function table(out: string): { header: string[]; rows: string[][] } {
  const lines = out.trimEnd().split('\n');
  const border = lines[0] ?? '';
  assert.match(border, /^\+(-+\+)+$/);
  assert.equal(lines[2], border);
  assert.equal(lines.at(-1), border);
  const cells = (l: string): string[] => l.split('|').slice(1, -1).map((c) => c.trim());
  for (const l of lines.slice(1, -1)) if (l !== border) assert.equal(l.length, border.length, `ragged table line: ${l}`);
  return { header: cells(lines[1] ?? ''), rows: lines.slice(3, -1).map(cells) };
}

const STATUS_COLUMNS = ['ENDPOINT', 'ID', 'VERSION', 'DB SIZE', 'IS LEADER', 'IS LEARNER', 'RAFT TERM', 'RAFT INDEX', 'RAFT APPLIED INDEX', 'ERRORS'];

/** A member as `member list -w json` gives it. */
interface JsonMember {
  ID: Id;
  name?: string;
  peerURLs: string[];
  clientURLs?: string[];
  isLearner?: boolean;
}

describe('etcdctl against a 3-member kubeling store', () => {
  let c: TestCluster;
  let ep: [string, string, string];
  before(async () => {
    c = await TestCluster.start('kubeling', 3);
    ep = [c.members[0]!.clientUrl, c.members[1]!.clientUrl, c.members[2]!.clientUrl];
  });
  after(async () => {
    await c?.stop();
  });

  it('put and get: one key, --prefix, a range [key, end), --limit, --keys-only, --print-value-only, -w json and fields', () => {
    assert.equal(ctl(ep[0], ['put', '/g/foo', 'bar']), 'OK\n');
    const r1 = putRev(ep[0], '/g/foo1', 'bar1');
    ctl(ep[1], ['put', '/g/foo2', 'bar2']);
    ctl(ep[2], ['put', '/g/zoo', 'z']);
    assert.equal(ctl(ep[0], ['put', '/g/foo', 'baz', '--prev-kv']), 'OK\n/g/foo\nbar\n');

    assert.equal(ctl(ep[1], ['get', '/g/foo']), '/g/foo\nbaz\n');
    assert.equal(ctl(ep[1], ['get', '/g/nothing']), '');
    assert.equal(ctl(ep[2], ['get', '/g/foo', '--prefix']), '/g/foo\nbaz\n/g/foo1\nbar1\n/g/foo2\nbar2\n');
    assert.equal(ctl(ep[2], ['get', '/g/foo', '/g/foo2']), '/g/foo\nbaz\n/g/foo1\nbar1\n', 'range end is exclusive');
    assert.equal(ctl(ep[0], ['get', '/g/', '--prefix', '--limit=2']), '/g/foo\nbaz\n/g/foo1\nbar1\n');
    assert.equal(ctl(ep[0], ['get', '/g/', '--prefix', '--keys-only']), '/g/foo\n\n/g/foo1\n\n/g/foo2\n\n/g/zoo\n\n');
    assert.equal(ctl(ep[0], ['get', '/g/foo', '--print-value-only']), 'baz\n');
    assert.equal(ctl(ep[0], ['get', '/g/foo', '--consistency=s']), '/g/foo\nbaz\n');

    const j = json<{ header: JsonHeader; kvs: JsonKv[]; more?: boolean; count: number }>(ctl(ep[1], ['get', '/g/', '--prefix', '--limit=2', '-w', 'json']));
    assert.equal(j.header.revision, r1 + 3);
    assert.ok(BigInt(j.header.cluster_id) > 0n && BigInt(j.header.member_id) > 0n && j.header.raft_term > 0);
    assert.deepEqual(j.kvs.map(kvLine), [`/g/foo=baz c${r1 - 1} m${r1 + 3} v2`, `/g/foo1=bar1 c${r1} m${r1} v1`]);
    assert.equal(j.more, true);
    assert.equal(j.count, 4);
    const none = json<object>(ctl(ep[1], ['get', '/g/nothing', '-w', 'json']));
    assert.deepEqual(Object.keys(none), ['header'], 'no kvs, count 0 and more false are left out, as protobuf JSON does');

    const fields = ctl(ep[2], ['get', '/g/foo', '-w', 'fields']).split('\n');
    assert.match(fields[0] ?? '', /^"ClusterID" : \d+$/);
    assert.match(fields[1] ?? '', /^"MemberID" : \d+$/);
    assert.deepEqual(fields.slice(2), [
      `"Revision" : ${r1 + 3}`,
      fields[3] ?? '',
      '"Key" : "/g/foo"',
      `"CreateRevision" : ${r1 - 1}`,
      `"ModRevision" : ${r1 + 3}`,
      '"Version" : 2',
      '"Value" : "baz"',
      '"Lease" : 0',
      '"More" : false',
      '"Count" : 1',
      '',
    ]);
    assert.match(fields[3] ?? '', /^"RaftTerm" : [1-9]\d*$/);

    const put = json<{ header: JsonHeader; prev_kv: JsonKv }>(ctl(ep[0], ['put', '/g/foo', 'qux', '--prev-kv', '-w', 'json']));
    assert.equal(put.header.revision, r1 + 4);
    assert.equal(kvLine(put.prev_kv), `/g/foo=baz c${r1 - 1} m${r1 + 3} v2`);
  });

  it('get --from-key', () => {
    for (const k of ['~g/a', '~g/b', '~g/c']) ctl(ep[0], ['put', k, k.toUpperCase()]);
    assert.equal(ctl(ep[1], ['get', '~g/b', '--from-key']), '~g/b\n~G/B\n~g/c\n~G/C\n');
    assert.equal(ctl(ep[1], ['get', '~g/b', '--from-key', '--keys-only', '--limit=1']), '~g/b\n\n');
    ctl(ep[0], ['del', '~g/', '--prefix']);
  });

  it('get --sort-by KEY, VERSION, CREATE, MODIFY, VALUE with --order ASCEND and DESCEND', () => {
    // a: created 1st, 3 versions, modified 5th, value "b"; b: 3rd, 1, 3rd, "z"; c: 2nd, 2, 6th, "q"
    for (const [k, v] of [['a', 'm'], ['c', 'k'], ['b', 'z'], ['a', 'n'], ['a', 'b'], ['c', 'q']] as const) ctl(ep[0], ['put', `/s/${k}`, v]);
    const order = (sort: string, ord?: string): string =>
      ctl(ep[1], ['get', '/s/', '--prefix', '--keys-only', `--sort-by=${sort}`, ...(ord ? [`--order=${ord}`] : [])])
        .split('\n')
        .filter(Boolean)
        .map((k) => k.slice(3))
        .join('');
    const expected: Record<string, string> = { KEY: 'abc', VERSION: 'bca', CREATE: 'acb', MODIFY: 'bac', VALUE: 'acb' };
    for (const [sort, asc] of Object.entries(expected)) {
      assert.equal(order(sort, 'ASCEND'), asc, `${sort} ASCEND`);
      assert.equal(order(sort, 'DESCEND'), [...asc].reverse().join(''), `${sort} DESCEND`);
      assert.equal(order(sort), asc, `${sort} with no --order sorts ascending`);
    }
    assert.equal(ctl(ep[2], ['get', '/s/', '--prefix', '--sort-by=MODIFY', '--order=DESCEND', '--limit=1']), '/s/c\nq\n');
    const j = json<{ kvs: JsonKv[] }>(ctl(ep[2], ['get', '/s/', '--prefix', '--sort-by=VALUE', '--order=DESCEND', '-w', 'json']));
    assert.deepEqual(
      j.kvs.map((kv) => `${unb64(kv.key)}=${unb64(kv.value)} v${kv.version}`),
      ['/s/b=z v1', '/s/c=q v2', '/s/a=b v3'],
    );
  });

  it('get --rev reads history, also of deleted keys', () => {
    const r1 = putRev(ep[0], '/h/k', 'v1');
    const r2 = putRev(ep[1], '/h/k', 'v2');
    const r3 = putRev(ep[2], '/h/other', 'x');
    assert.equal(ctl(ep[0], ['del', '/h/k']), '1\n');
    assert.equal(ctl(ep[0], ['get', '/h/k']), '');
    assert.equal(ctl(ep[1], ['get', '/h/k', `--rev=${r1 - 1}`]), '');
    assert.equal(ctl(ep[1], ['get', '/h/k', `--rev=${r1}`]), '/h/k\nv1\n');
    assert.equal(ctl(ep[2], ['get', '/h/k', `--rev=${r2}`]), '/h/k\nv2\n');
    assert.equal(ctl(ep[0], ['get', '/h/', '--prefix', `--rev=${r3}`]), '/h/k\nv2\n/h/other\nx\n');
    const j = json<{ header: JsonHeader; kvs: JsonKv[] }>(ctl(ep[0], ['get', '/h/k', `--rev=${r2}`, '-w', 'json']));
    assert.equal(j.header.revision, r3 + 1, 'the header has the current revision, not the one read');
    assert.deepEqual(j.kvs.map(kvLine), [`/h/k=v2 c${r1} m${r2} v2`]);
    const future = etcdctl(ep[0], ['get', '/h/k', `--rev=${r3 + 1000}`], { allowFail: true });
    assert.equal(future.status, 1);
    assert.match(future.stderr, /Error: etcdserver: mvcc: required revision is a future revision\n$/);
  });

  it('del: one key, --prev-kv, --prefix, --from-key, -w json', () => {
    for (const k of ['/d/a', '/d/b', '/d/c', '/d/c/x']) ctl(ep[0], ['put', k, `v${k}`]);
    assert.equal(ctl(ep[1], ['del', '/d/nothing']), '0\n');
    assert.equal(ctl(ep[1], ['del', '/d/a', '--prev-kv']), '1\n/d/a\nv/d/a\n');
    assert.equal(ctl(ep[2], ['del', '/d/c', '--prefix']), '2\n');
    const j = json<{ header: JsonHeader; deleted: number; prev_kvs: JsonKv[] }>(ctl(ep[0], ['del', '/d/', '--prefix', '--prev-kv', '-w', 'json']));
    assert.equal(j.deleted, 1);
    assert.deepEqual(j.prev_kvs.map((kv) => `${unb64(kv.key)}=${unb64(kv.value)}`), ['/d/b=v/d/b']);
    assert.equal(ctl(ep[0], ['get', '/d/', '--prefix']), '');

    for (const k of ['~h/a', '~h/b', '~h/c']) ctl(ep[0], ['put', k, 'v']);
    assert.equal(ctl(ep[1], ['del', '~h/b', '--from-key']), '2\n');
    assert.equal(ctl(ep[1], ['get', '~h/', '--prefix', '--keys-only']), '~h/a\n\n');
    assert.equal(ctl(ep[1], ['del', '~h/', '--from-key', '--prev-kv']), '1\n~h/a\nv\n');
  });

  it('txn -i: the success and the failure branch; txn from stdin with -w json', () => {
    ctl(ep[0], ['put', '/t/k', 'v']);
    const prompts = 'compares:\nsuccess requests (get, put, del):\nfailure requests (get, put, del):\n';
    assert.equal(
      ctl(ep[1], ['txn', '-i'], { input: 'value("/t/k") = "v"\n\nput /t/k v2\nget /t/k\n\ndel /t/k\n\n' }),
      `${prompts}SUCCESS\n\nOK\n\n/t/k\nv2\n`,
    );
    assert.equal(
      ctl(ep[2], ['txn', '-i'], { input: 'value("/t/k") = "v"\nversion("/t/k") = "1"\n\ndel /t/k\n\nput /t/k2 v3\nget /t/ --prefix\n\n' }),
      `${prompts}FAILURE\n\nOK\n\n/t/k\nv2\n/t/k2\nv3\n`,
    );
    assert.equal(ctl(ep[0], ['get', '/t/', '--prefix']), '/t/k\nv2\n/t/k2\nv3\n');
    const rev = Number(/"ModRevision" : (\d+)/.exec(ctl(ep[0], ['get', '/t/k2', '-w', 'fields']))?.[1]);
    const j = json<{
      header: JsonHeader;
      succeeded?: boolean;
      responses: { Response: { ResponseRange: { kvs: JsonKv[] } } }[];
    }>(ctl(ep[0], ['txn', '-w', 'json'], { input: `mod("/t/k2") = "${rev}"\ncreate("/t/k") > "0"\n\nget /t/k2\n\nput /t/never x\n\n` }));
    assert.equal(j.succeeded, true);
    assert.equal(j.header.revision, rev, 'a read-only txn writes nothing');
    assert.deepEqual(
      j.responses.map((r) => r.Response.ResponseRange.kvs.map(kvLine)),
      [[`/t/k2=v3 c${rev} m${rev} v1`]],
    );
  });

  it('watch --prefix --prev-kv streams puts and deletes as they happen', async () => {
    const w = new Watcher(ep[1], ['/w/', '--prefix', '--prev-kv']);
    try {
      // the watch is live once it reports a write made after it started;
      // once the last of those writes has arrived, everything after is new
      let last = 0;
      await eventually('the watch to start', () => {
        ctl(ep[0], ['put', '/w/ready', `r${++last}`]);
        return w.out.includes('/w/ready') ? true : undefined;
      });
      await w.until((o) => o.endsWith(`/w/ready\nr${last}\n`));
      const seen = w.out.length;
      ctl(ep[0], ['put', '/w/a', 'x']);
      ctl(ep[2], ['put', '/w/a', 'y']);
      ctl(ep[0], ['del', '/w/a']);
      ctl(ep[0], ['put', '/other', 'not watched']);
      // no compares (one empty line), then a success branch of two puts: one revision, two events
      assert.equal(ctl(ep[0], ['txn'], { input: '\nput /w/b 1\nput /w/c 2\n\n\n' }), 'SUCCESS\n\nOK\n\nOK\n');
      const expected = 'PUT\n/w/a\nx\nPUT\n/w/a\nx\n/w/a\ny\nDELETE\n/w/a\ny\n/w/a\n\nPUT\n/w/b\n1\nPUT\n/w/c\n2\n';
      const out = await w.until((o) => o.length >= seen + expected.length);
      assert.equal(out.slice(seen), expected);
    } finally {
      await w.stop();
    }
  });

  it('watch --rev replays history (-w json, --prev-kv) and then keeps streaming', async () => {
    const r1 = putRev(ep[0], '/wr/k', 'a');
    putRev(ep[1], '/wr/k', 'b');
    ctl(ep[2], ['del', '/wr/k']);
    const r4 = putRev(ep[0], '/wr/j', 'c');
    const w = new Watcher(ep[2], ['/wr/', '--prefix', `--rev=${r1}`, '--prev-kv', '-w', 'json']);
    type Resp = { Header: JsonHeader; Events: { type?: number; kv: JsonKv; prev_kv?: JsonKv }[]; Canceled: boolean };
    const events = (out: string): string[] =>
      out
        .split('\n')
        .filter(Boolean)
        .flatMap((l) => json<Resp>(l).Events)
        .map((e) => `${e.type === 1 ? 'DELETE' : 'PUT'} ${kvLine(e.kv)}${e.prev_kv ? ` prev ${kvLine(e.prev_kv)}` : ''}`);
    try {
      await w.until((o) => events(o).length >= 4);
      const r5 = putRev(ep[0], '/wr/j', 'd');
      const out = await w.until((o) => events(o).length >= 5);
      assert.deepEqual(events(out), [
        `PUT /wr/k=a c${r1} m${r1} v1`,
        `PUT /wr/k=b c${r1} m${r1 + 1} v2 prev /wr/k=a c${r1} m${r1} v1`,
        `DELETE /wr/k= c0 m${r1 + 2} v0 prev /wr/k=b c${r1} m${r1 + 1} v2`,
        `PUT /wr/j=c c${r4} m${r4} v1`,
        `PUT /wr/j=d c${r4} m${r5} v2 prev /wr/j=c c${r4} m${r4} v1`,
      ]);
      const first = json<Resp>(out.split('\n')[0] ?? '');
      assert.equal(first.Canceled, false);
      assert.ok(first.Header.revision !== undefined && first.Header.revision >= r4);
    } finally {
      await w.stop();
    }
  });

  it('lease grant, put --lease, timetolive --keys, keep-alive --once, list, revoke (which deletes the keys)', () => {
    const granted = ctl(ep[0], ['lease', 'grant', '100']);
    const m = /^lease ([0-9a-f]{16}) granted with TTL\(100s\)\n$/.exec(granted);
    assert.ok(m, granted);
    const id = m[1] ?? '';
    assert.equal(ctl(ep[1], ['put', '/l/a', '1', `--lease=${id}`]), 'OK\n');
    assert.equal(ctl(ep[2], ['put', '/l/b', '2', `--lease=${id}`]), 'OK\n');
    ctl(ep[0], ['put', '/l/c', 'no lease']);

    const ttl = ctl(ep[1], ['lease', 'timetolive', id, '--keys']);
    const t = /^lease ([0-9a-f]{16}) granted with TTL\(100s\), remaining\((\d+)s\), attached keys\(\[(.*)\]\)\n$/.exec(ttl);
    assert.ok(t, ttl);
    assert.equal(t[1], id);
    assert.ok(Number(t[2]) >= 95 && Number(t[2]) <= 100, ttl);
    assert.deepEqual((t[3] ?? '').split(' ').sort(), ['/l/a', '/l/b']);
    assert.match(ctl(ep[2], ['lease', 'timetolive', id]), new RegExp(`^lease ${id} granted with TTL\\(100s\\), remaining\\(\\d+s\\)\\n$`));
    const tj = json<{ id: Id; ttl: number; 'granted-ttl': number; keys: string[] }>(ctl(ep[2], ['lease', 'timetolive', id, '--keys', '-w', 'json']));
    assert.equal(hex(tj.id).padStart(16, '0'), id);
    assert.equal(tj['granted-ttl'], 100);
    assert.ok(tj.ttl >= 95 && tj.ttl <= 100);
    assert.deepEqual(tj.keys.map(unb64).sort(), ['/l/a', '/l/b']);
    const lj = json<{ kvs: JsonKv[] }>(ctl(ep[0], ['get', '/l/a', '-w', 'json']));
    assert.equal(hex(lj.kvs[0]?.lease).padStart(16, '0'), id);

    assert.equal(ctl(ep[2], ['lease', 'keep-alive', '--once', id]), `lease ${id} keepalived with TTL(100)\n`);
    const kj = json<{ ID: Id; TTL: number }>(ctl(ep[1], ['lease', 'keep-alive', '--once', id, '-w', 'json']));
    assert.deepEqual([hex(kj.ID).padStart(16, '0'), kj.TTL], [id, 100]);

    const list = ctl(ep[0], ['lease', 'list']).split('\n');
    assert.match(list[0] ?? '', /^found \d+ leases$/);
    assert.equal(Number(/\d+/.exec(list[0] ?? '')?.[0]), list.filter(Boolean).length - 1);
    assert.ok(list.includes(id), list.join('\n'));

    assert.equal(ctl(ep[1], ['lease', 'revoke', id]), `lease ${id} revoked\n`);
    assert.equal(ctl(ep[2], ['get', '/l/', '--prefix']), '/l/c\nno lease\n');
    assert.equal(ctl(ep[0], ['lease', 'timetolive', id]), `lease ${id} already expired\n`);
    assert.ok(!ctl(ep[0], ['lease', 'list']).split('\n').includes(id));

    const again = etcdctl(ep[0], ['lease', 'revoke', id], { allowFail: true });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /Error: failed to revoke lease \(etcdserver: requested lease not found\)\n$/);
    const put = etcdctl(ep[0], ['put', '/l/d', 'x', `--lease=${id}`], { allowFail: true });
    assert.equal(put.status, 1);
    assert.match(put.stderr, /Error: etcdserver: requested lease not found\n$/);
    const ka = etcdctl(ep[0], ['lease', 'keep-alive', '--once', id], { allowFail: true });
    assert.notEqual(ka.status, 0);
    assert.match(ka.stderr, /Error: etcdserver: requested lease not found\n$/);
  });

  it('a lease that is not kept alive expires and takes its key with it', async () => {
    const granted = ctl(ep[2], ['lease', 'grant', '2']);
    const id = /^lease ([0-9a-f]{16}) granted with TTL\(2s\)\n$/.exec(granted)?.[1];
    assert.ok(id, granted);
    ctl(ep[0], ['put', '/le/k', 'v', `--lease=${id}`]);
    assert.equal(ctl(ep[1], ['get', '/le/k']), '/le/k\nv\n');
    await eventually('the key to go with its lease', () => (ctl(ep[1], ['get', '/le/k']) === '' ? true : undefined), 15_000);
    assert.equal(ctl(ep[0], ['lease', 'timetolive', id]), `lease ${id} already expired\n`);
  });

  it("lock and elect (etcd's concurrency recipes: leases, txns and watches at revisions)", async () => {
    assert.equal(ctl(ep[0], ['lock', '/lock/a', 'echo', 'locked']), 'locked\n');
    // one holds the lock; another queues behind it, and runs its command once the first lets go
    const holder = new Watcher(ep[1], [], undefined, ['lock', '/lock/b']);
    let waiter: Watcher | undefined;
    try {
      const held = await holder.until((o) => o.endsWith('\n\n'));
      assert.match(held, /^\/lock\/b\/[0-9a-f]+\n\n$/);
      waiter = new Watcher(ep[2], [], undefined, ['lock', '/lock/b', 'echo', 'second']);
      await eventually('the second locker to queue', () => (ctl(ep[0], ['get', '/lock/b/', '--prefix', '--keys-only']).split('\n').filter(Boolean).length === 2 ? true : undefined));
      assert.equal(waiter.out, '', 'the second locker waits');
      holder.proc.kill('SIGINT'); // etcdctl unlocks (revokes its session's lease) and exits
      assert.equal(await waiter.exit(), 0);
      assert.equal(waiter.out, 'second\n');
    } finally {
      await holder.stop('SIGINT');
      await waiter?.stop();
    }
    const leader = new Watcher(ep[0], [], undefined, ['elect', '/elect/e', 'p1']);
    const observer = new Watcher(ep[1], [], undefined, ['elect', '-l', '/elect/e']);
    try {
      const won = await leader.until((o) => o.endsWith('\np1\n'));
      assert.match(won, /^\/elect\/e\/[0-9a-f]+\np1\n$/);
      assert.equal(await observer.until((o) => o.endsWith('\np1\n')), won);
    } finally {
      await leader.stop('SIGINT'); // etcdctl resigns (revokes its session's lease) and exits
      await observer.stop();
    }
    // nothing is left behind to expire later (and change the revision under the next tests)
    assert.equal(ctl(ep[2], ['get', '/lock/', '--prefix', '--keys-only']), '');
    assert.equal(ctl(ep[2], ['get', '/elect/', '--prefix', '--keys-only']), '');
  });

  it('writes on one member are seen at once by linearizable reads on the others', () => {
    for (let i = 0; i < 15; i++) {
      const writer = ep[i % 3] ?? ep[0];
      const reader = ep[(i + 1) % 3] ?? ep[0];
      const rev = putRev(writer, '/lin/k', `v${i}`);
      const j = json<{ header: JsonHeader; kvs: JsonKv[] }>(ctl(reader, ['get', '/lin/k', '--consistency=l', '-w', 'json']));
      assert.ok((j.header.revision ?? 0) >= rev);
      assert.deepEqual(j.kvs.map((kv) => `${unb64(kv.value)}@${kv.mod_revision}`), [`v${i}@${rev}`]);
    }
    // all three endpoints at once: etcdctl picks one
    assert.equal(ctl(c.endpoints, ['get', '/lin/k', '--print-value-only']), 'v14\n');
  });

  it('compaction; then reads and watches of compacted revisions fail with etcd\'s error', async () => {
    const r1 = putRev(ep[0], '/c/k', 'v1');
    const r2 = putRev(ep[0], '/c/k', 'v2');
    const r3 = putRev(ep[0], '/c/k', 'v3');
    assert.equal(ctl(ep[1], ['compaction', String(r2)]), `compacted revision ${r2}\n`);
    for (const e of ep) {
      const r = etcdctl(e, ['get', '/c/k', `--rev=${r1}`], { allowFail: true });
      assert.equal(r.status, 1);
      assert.match(r.stderr, /Error: etcdserver: mvcc: required revision has been compacted\n$/);
    }
    assert.equal(ctl(ep[2], ['get', '/c/k', `--rev=${r2}`]), '/c/k\nv2\n', 'the compaction revision itself stays readable');
    const again = etcdctl(ep[0], ['compaction', String(r2)], { allowFail: true });
    assert.equal(again.status, 1);
    assert.match(again.stderr, /Error: etcdserver: mvcc: required revision has been compacted\n$/);
    assert.equal(ctl(ep[0], ['put', '/c/after', 'x']), 'OK\n', 'a refused compaction leaves the member working');

    assert.equal(ctl(ep[2], ['compaction', '--physical', String(r3)]), `compacted revision ${r3}\n`);
    const w = new Watcher(ep[1], ['/c/k', `--rev=${r1}`]);
    try {
      assert.notEqual(await w.exit(), 0);
      assert.equal(w.out, '');
      assert.match(w.err, /watch was canceled \(etcdserver: mvcc: required revision has been compacted\)\n/);
    } finally {
      await w.stop();
    }
    const s = json<{ HashKV: { compact_revision: number } }[]>(ctl(ep[0], ['endpoint', 'hashkv', '-w', 'json']));
    assert.equal(s[0]?.HashKV.compact_revision, r3);
  });

  it('endpoint status and health, also --cluster, in the simple, json, fields and table forms', () => {
    const members = json<{ members: JsonMember[] }>(ctl(ep[0], ['member', 'list', '-w', 'json'])).members;
    const idOf = new Map(members.map((m) => [m.clientURLs?.[0] ?? '', hex(m.ID)]));

    const st = json<{
      Endpoint: string;
      Status: { header: JsonHeader; version: string; dbSize: number; leader: Id; raftIndex: number; raftTerm: number; raftAppliedIndex: number };
    }[]>(ctl(c.endpoints, ['endpoint', 'status', '-w', 'json']));
    assert.deepEqual(st.map((s) => s.Endpoint), ep);
    const leader = hex(st[0]?.Status.leader);
    assert.ok(members.some((m) => hex(m.ID) === leader));
    for (const s of st) {
      assert.equal(s.Status.version, '3.4.23');
      assert.equal(hex(s.Status.leader), leader);
      assert.equal(hex(s.Status.header.member_id), idOf.get(s.Endpoint));
      assert.ok(s.Status.dbSize > 0 && s.Status.raftIndex > 0 && s.Status.raftTerm > 0 && s.Status.raftAppliedIndex > 0);
    }

    const t = table(ctl(c.endpoints, ['endpoint', 'status', '-w', 'table']));
    assert.deepEqual(t.header, STATUS_COLUMNS);
    assert.equal(t.rows.length, 3);
    for (const [i, row] of t.rows.entries()) {
      assert.equal(row[0], ep[i]);
      assert.equal(row[1], idOf.get(ep[i] ?? ''));
      assert.equal(row[2], '3.4.23');
      assert.match(row[3] ?? '', /^\d+(\.\d)? [kMG]?B$/);
      assert.equal(row[4], String(row[1] === leader));
      assert.equal(row[5], 'false');
      assert.match(row.slice(6, 9).join(' '), /^\d+ \d+ \d+$/);
      assert.equal(row[9], '');
    }
    assert.equal(t.rows.filter((r) => r[4] === 'true').length, 1);

    const simple = ctl(ep[0], ['endpoint', 'status', '--cluster']).split('\n').filter(Boolean);
    assert.equal(simple.length, 3);
    for (const l of simple) assert.match(l, /^http:\/\/127\.0\.0\.1:\d+, [0-9a-f]+, 3\.4\.23, [\d.]+ [kMG]?B, (true|false), false, \d+, \d+, \d+, $/);
    assert.deepEqual(simple.map((l) => l.split(', ')[0]).sort(), [...ep].sort());

    const fields = ctl(ep[1], ['endpoint', 'status', '-w', 'fields']);
    assert.match(fields, /^"ClusterID" : \d+\n"MemberID" : \d+\n"Revision" : \d+\n"RaftTerm" : \d+\n"Version" : "3\.4\.23"\n"DBSize" : \d+\n"Leader" : \d+\n"IsLearner" : false\n"RaftIndex" : \d+\n"RaftTerm" : \d+\n"RaftAppliedIndex" : \d+\n"Errors" : \[\]\n"Endpoint" : "http:\/\/127\.0\.0\.1:\d+"\n\n$/);

    const health = etcdctl(ep[0], ['endpoint', 'health', '--cluster']);
    const hl = health.stderr.trimEnd().split('\n');
    assert.equal(hl.length, 3, health.stderr);
    for (const l of hl) assert.match(l, /^http:\/\/127\.0\.0\.1:\d+ is healthy: successfully committed proposal: took = [\d.]+(ms|µs|s)$/);
    assert.deepEqual(hl.map((l) => l.split(' ')[0]).sort(), [...ep].sort());
    const hj = json<{ endpoint: string; health: boolean; took: string }[]>(ctl(c.endpoints, ['endpoint', 'health', '-w', 'json']));
    assert.deepEqual(hj.map((h) => [h.endpoint, h.health]).sort(), ep.map((e) => [e, true]).sort());
    const ht = table(ctl(ep[2], ['endpoint', 'health', '-w', 'table']));
    assert.deepEqual(ht.header, ['ENDPOINT', 'HEALTH', 'TOOK', 'ERROR']);
    assert.deepEqual([ht.rows[0]?.[0], ht.rows[0]?.[1], ht.rows[0]?.[3]], [ep[2], 'true', '']);
  });

  it('member list in the simple, json and table forms', () => {
    const j = json<{ header: JsonHeader; members: JsonMember[] }>(ctl(ep[1], ['member', 'list', '-w', 'json']));
    assert.equal(j.header.revision, undefined, 'as etcd, Cluster answers carry no revision');
    const ms = [...j.members].sort((a, b) => (a.name ?? '').localeCompare(b.name ?? ''));
    assert.deepEqual(
      ms.map((m) => [m.name, m.peerURLs, m.clientURLs, m.isLearner ?? false]),
      c.members.map((m) => [m.name, [m.peerUrl], [m.clientUrl], false]),
    );
    const simple = ctl(ep[0], ['member', 'list']);
    assert.equal(
      simple,
      j.members.map((m) => `${hex(m.ID)}, started, ${m.name}, ${m.peerURLs.join(',')}, ${m.clientURLs?.join(',')}, false\n`).join(''),
    );
    const t = table(ctl(ep[2], ['member', 'list', '-w', 'table']));
    assert.deepEqual(t.header, ['ID', 'STATUS', 'NAME', 'PEER ADDRS', 'CLIENT ADDRS', 'IS LEARNER']);
    assert.deepEqual(
      t.rows,
      j.members.map((m) => [hex(m.ID), 'started', m.name, m.peerURLs.join(','), m.clientURLs?.join(','), 'false']),
    );
  });

  it('snapshot save writes the database', () => {
    const dir = mkdtempSync(join(tmpdir(), 'kubeling-snap-'));
    try {
      const file = join(dir, 'snap.db');
      const r = etcdctl(ep[1], ['snapshot', 'save', file]);
      assert.equal(r.stdout, `Snapshot saved at ${file}\n`);
      assert.ok(statSync(file).size > 4096);
      // etcdctl checked the sha256 trailer; what is left is the member's SQLite database
      assert.equal(readFileSync(file).subarray(0, 16).toString('latin1'), 'SQLite format 3\0');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('member add: a 4th member joins with --initial-cluster-state existing, catches up, serves; member remove stops it', { timeout: 60_000 }, async () => {
    for (let i = 0; i < 20; i++) ctl(ep[i % 3] ?? ep[0], ['put', `/m/k${i}`, `v${i}`]);
    const m4: MemberProc = {
      name: 'm4',
      clientUrl: `http://127.0.0.1:${await freePort()}`,
      peerUrl: `http://127.0.0.1:${await freePort()}`,
      dataDir: join(c.members[0]!.dataDir, '..', 'm4'),
      proc: undefined,
      extra: [],
      log: '',
    };
    // as etcd (--strict-reconfig-check), a member refuses to add one until it
    // has been connected to every voter for 5 s: "unhealthy cluster" until then
    const added = await eventually('member add to be accepted', () => {
      const r = etcdctl(ep[1], ['member', 'add', 'm4', `--peer-urls=${m4.peerUrl}`], { allowFail: true });
      if (r.status === 0) return r.stdout;
      assert.match(r.stderr, /Error: etcdserver: unhealthy cluster\n$/);
      return undefined;
    }, 15_000);
    // etcdctl pads ids to 16 columns ("%16x"); kubeling's are below 2^53, so shorter
    const a = /^Member +([0-9a-f]+) added to cluster +([0-9a-f]+)\n\nETCD_NAME="m4"\nETCD_INITIAL_CLUSTER="([^"]+)"\nETCD_INITIAL_ADVERTISE_PEER_URLS="([^"]+)"\nETCD_INITIAL_CLUSTER_STATE="existing"\n$/.exec(added);
    assert.ok(a, added);
    const [, id = '', , initial = '', advertised] = a;
    assert.equal(advertised, m4.peerUrl);
    assert.deepEqual(initial.split(',').sort(), [...c.members, m4].map((m) => `${m.name}=${m.peerUrl}`).sort());
    const cid = hex(json<{ header: JsonHeader }>(ctl(ep[0], ['member', 'list', '-w', 'json'])).header.cluster_id);
    assert.equal(a[2], cid);
    assert.ok(ctl(ep[0], ['member', 'list']).includes(`${id}, unstarted, , ${m4.peerUrl}, , false\n`));

    c.members.push(m4);
    c.spawn(m4, initial, 'existing');
    const got = await eventually('m4 to serve a linearizable get', () => {
      const r = etcdctl(m4.clientUrl, ['get', '/m/', '--prefix', '--consistency=l', '--keys-only', '--command-timeout=2s'], { allowFail: true });
      return r.status === 0 ? r.stdout : undefined;
    }, 30_000);
    assert.equal(got.split('\n').filter(Boolean).length, 20, m4.log);
    assert.equal(ctl(m4.clientUrl, ['get', '/m/k19', '--consistency=l', '--print-value-only']), 'v19\n');
    // writes through the new member reach the others, and the other way round
    const rev = putRev(m4.clientUrl, '/m/from-m4', 'hello');
    assert.equal(ctl(ep[2], ['get', '/m/from-m4', '--print-value-only']), 'hello\n');
    ctl(ep[0], ['put', '/m/to-m4', 'hi']);
    assert.equal(ctl(m4.clientUrl, ['get', '/m/to-m4', '--print-value-only']), 'hi\n');
    await eventually('m4 in member list as started', () => (ctl(ep[2], ['member', 'list']).includes(`${id}, started, m4, ${m4.peerUrl}, ${m4.clientUrl}, false\n`) ? true : undefined));
    const st = await eventually('m4 to have applied as much as the others', () => {
      const s = json<{ Status: { raftAppliedIndex: number; header: JsonHeader } }[]>(ctl([...ep, m4.clientUrl].join(','), ['endpoint', 'status', '-w', 'json']));
      const applied = s.map((x) => x.Status.raftAppliedIndex);
      return new Set(applied).size === 1 ? s : undefined;
    });
    assert.equal(st.length, 4);
    assert.ok(st.every((s) => (s.Status.header.revision ?? 0) >= rev));

    assert.equal(ctl(ep[0], ['member', 'remove', id]), `Member ${id.padStart(16)} removed from cluster ${cid.padStart(16)}\n`);
    const p = m4.proc;
    if (p && p.exitCode === null && p.signalCode === null) await new Promise((r) => p.once('exit', r));
    assert.equal(p?.exitCode, 0, 'a removed member stops by itself');
    m4.proc = undefined;
    c.members.splice(c.members.indexOf(m4), 1);
    assert.equal(ctl(ep[1], ['member', 'list']).split('\n').filter(Boolean).length, 3);
    const gone = etcdctl(ep[1], ['member', 'remove', id], { allowFail: true });
    assert.equal(gone.status, 1);
    assert.match(gone.stderr, /Error: etcdserver: member not found\n$/);
    assert.equal(ctl(ep[2], ['put', '/m/after', 'x']), 'OK\n');
    assert.equal(ctl(ep[0], ['get', '/m/after', '--consistency=l', '--print-value-only']), 'x\n');
  });
});

describe('etcdctl against a 3-member kubeling store with TLS (kubeadm PKI, client-certificate auth, peer TLS)', () => {
  let c: TestCluster;
  let tls: TlsFiles;
  let ep: [string, string, string];
  let pkiDir: string;
  let otherPki: string;
  before(async () => {
    pkiDir = mkdtempSync(join(tmpdir(), 'kubeling-pki-'));
    otherPki = mkdtempSync(join(tmpdir(), 'kubeling-pki-other-'));
    await Promise.all([initPki(pkiDir, { hostname: 'localhost' }), initPki(otherPki, { hostname: 'localhost' })]);
    tls = pkiFiles(pkiDir);
    c = await TestCluster.start('kubeling', 3, { tls });
    ep = [c.members[0]!.clientUrl, c.members[1]!.clientUrl, c.members[2]!.clientUrl];
  });
  after(async () => {
    await c?.stop();
    for (const d of [pkiDir, otherPki]) if (d) rmSync(d, { recursive: true, force: true });
  });

  it('put, get, del, txn and leases across members', () => {
    assert.deepEqual(ep.map((e) => e.slice(0, 8)), ['https://', 'https://', 'https://']);
    assert.equal(ctl(ep[0], ['put', '/tls/a', '1'], { tls }), 'OK\n');
    assert.equal(ctl(ep[1], ['put', '/tls/b', '2', '--prev-kv'], { tls }), 'OK\n');
    assert.equal(ctl(ep[2], ['get', '/tls/', '--prefix', '--consistency=l'], { tls }), '/tls/a\n1\n/tls/b\n2\n');
    assert.equal(
      ctl(ep[1], ['txn', '-i'], { tls, input: 'value("/tls/a") = "1"\n\nput /tls/a 3\n\n\n' }),
      'compares:\nsuccess requests (get, put, del):\nfailure requests (get, put, del):\nSUCCESS\n\nOK\n',
    );
    assert.equal(ctl(ep[0], ['del', '/tls/b', '--prev-kv'], { tls }), '1\n/tls/b\n2\n');
    const id = /^lease ([0-9a-f]{16}) granted with TTL\(60s\)\n$/.exec(ctl(ep[2], ['lease', 'grant', '60'], { tls }))?.[1];
    assert.ok(id);
    ctl(ep[0], ['put', '/tls/l', 'x', `--lease=${id}`], { tls });
    assert.equal(ctl(ep[1], ['lease', 'keep-alive', '--once', id], { tls }), `lease ${id} keepalived with TTL(60)\n`);
    assert.match(ctl(ep[0], ['lease', 'timetolive', id, '--keys'], { tls }), /attached keys\(\[\/tls\/l\]\)\n$/);
    assert.equal(ctl(ep[1], ['lease', 'revoke', id], { tls }), `lease ${id} revoked\n`);
    assert.equal(ctl(ep[2], ['get', '/tls/', '--prefix'], { tls }), '/tls/a\n3\n');
  });

  it('watch streams over TLS', async () => {
    const rev = putRev(ep[0], '/tlsw/k', 'a', [], tls);
    const w = new Watcher(ep[1], ['/tlsw/', '--prefix', `--rev=${rev}`], tls);
    try {
      await w.until((o) => o === 'PUT\n/tlsw/k\na\n');
      ctl(ep[2], ['put', '/tlsw/k', 'b'], { tls });
      assert.equal(await w.until((o) => o.length >= 'PUT\n/tlsw/k\na\nPUT\n/tlsw/k\nb\n'.length), 'PUT\n/tlsw/k\na\nPUT\n/tlsw/k\nb\n');
    } finally {
      await w.stop();
    }
  });

  it('endpoint health and status --cluster, member list: every member on https', () => {
    const health = etcdctl(ep[0], ['endpoint', 'health', '--cluster'], { tls });
    const hl = health.stderr.trimEnd().split('\n');
    assert.deepEqual(hl.map((l) => l.split(' ')[0]).sort(), [...ep].sort());
    for (const l of hl) assert.match(l, /^https:\/\/127\.0\.0\.1:\d+ is healthy: successfully committed proposal: took = /);
    const t = table(ctl(ep[1], ['endpoint', 'status', '--cluster', '-w', 'table'], { tls }));
    assert.deepEqual(t.header, STATUS_COLUMNS);
    assert.deepEqual(t.rows.map((r) => r[0]).sort(), [...ep].sort());
    assert.equal(t.rows.filter((r) => r[4] === 'true').length, 1);
    const ms = json<{ members: JsonMember[] }>(ctl(ep[2], ['member', 'list', '-w', 'json'], { tls })).members;
    assert.deepEqual(
      ms.map((m) => `${m.name} ${m.peerURLs.join()} ${m.clientURLs?.join()}`).sort(),
      c.members.map((m) => `${m.name} ${m.peerUrl} ${m.clientUrl}`).sort(),
    );
    for (const m of c.members) assert.match(m.peerUrl, /^https:\/\//);
  });

  it('refuses a client without a valid certificate', () => {
    const refused = (what: string, flags: string[], endpoint = ep[0]): void => {
      const r = spawnSync('etcdctl', [...flags, '--endpoints', endpoint, '--dial-timeout=1s', '--command-timeout=1s', 'get', '/tls/a'], { env: ENV, encoding: 'utf8', timeout: 20_000 });
      assert.notEqual(r.status, 0, `${what}: ${r.stdout}`);
      assert.equal(r.stdout, '', what);
      assert.match(r.stderr, /Error: context deadline exceeded\n$/, what);
    };
    refused('no client certificate', ['--cacert', tls.ca]);
    const other = pkiFiles(otherPki);
    refused('a certificate from another CA', ['--cacert', tls.ca, '--cert', other.clientCert, '--key', other.clientKey]);
    refused('an unknown server CA', ['--cacert', other.ca, '--cert', tls.clientCert, '--key', tls.clientKey]);
    refused('no TLS at all', [], ep[0].replace('https://', 'http://'));
    // the same client, with its certificate, is served
    assert.equal(ctl(ep[0], ['get', '/tls/a', '--print-value-only'], { tls }), '3\n');
  });

  it('the peer port refuses a connection without a valid peer certificate, and accepts one with it', async () => {
    const peer = new URL(c.members[0]!.peerUrl);
    // TLS 1.2, so that the server's verdict on the client's certificate is part of the handshake
    const handshake = (cert?: { cert: Buffer; key: Buffer }): Promise<boolean> =>
      new Promise((res, rej) => {
        const s = tlsConnect({ host: peer.hostname, port: Number(peer.port), ca: readFileSync(tls.ca), maxVersion: 'TLSv1.2', ...cert }, () => {
          const ok = s.authorized;
          s.destroy();
          res(ok);
        });
        s.once('error', rej);
        s.setTimeout(5000, () => s.destroy(new Error('timeout')));
      });
    await assert.rejects(handshake(), /alert|hang up|ECONNRESET|disconnected/, 'no certificate');
    const other = pkiFiles(otherPki);
    await assert.rejects(handshake({ cert: readFileSync(other.peerCert), key: readFileSync(other.peerKey) }), /alert|hang up|ECONNRESET|disconnected/, 'another CA');
    assert.equal(await handshake({ cert: readFileSync(tls.peerCert), key: readFileSync(tls.peerKey) }), true);
  });
});

describe('etcdctl check perf', () => {
  let c: TestCluster;
  before(async () => {
    c = await TestCluster.start('kubeling', 3);
  });
  after(async () => {
    await c?.stop();
  });

  it('--load=s passes (about 60 s)', { timeout: 180_000 }, async () => {
    const p = spawn('etcdctl', ['--endpoints', c.endpoints, 'check', 'perf', '--load=s'], { env: ENV, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    p.stdout.on('data', (d: Buffer) => (out += d.toString()));
    p.stderr.on('data', (d: Buffer) => (err += d.toString()));
    const timer = setTimeout(() => p.kill('SIGKILL'), 150_000);
    const code = await new Promise<number | null>((res) => p.once('exit', (c) => res(c)));
    clearTimeout(timer);
    const lines = out.replace(/\r[^\n]*/g, '').split('\n').map((l) => l.trim()).filter(Boolean);
    const verdict = lines.filter((l) => /^(PASS|FAIL)/.test(l));
    assert.equal(code, 0, `${verdict.join('\n')}\n${err}`);
    assert.equal(verdict.length, 4, lines.join('\n'));
    assert.match(verdict[0] ?? '', /^PASS: Throughput is \d+ writes\/s$/);
    assert.match(verdict[1] ?? '', /^PASS: Slowest request took [\d.]+s$/);
    assert.match(verdict[2] ?? '', /^PASS: Stddev is [\d.]+s$/);
    assert.equal(verdict[3], 'PASS');
    // it cleans up after itself
    assert.equal(ctl(c.endpoints, ['get', '/etcdctl-check-perf/', '--prefix', '--keys-only']), '');
  });
});
