import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { X509Certificate } from 'node:crypto';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { promisify } from 'node:util';
import { pki } from './pki.js';

const run = async (argv: string[]) => {
  let out = '';
  await pki(argv, (t) => (out += t));
  return out;
};

describe('kubeling pki', () => {
  let dir = '';
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'kubeling-cli-pki-'));
  });
  after(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('init reports what it created, then what it kept; --force regenerates', async () => {
    const pkiDir = join(dir, 'pki');
    const first = await run(['init', '--dir', pkiDir, '--key-type', 'ecdsa', '--san', 'api.example.com,10.0.0.7', '--san', 'fd00::7']);
    assert.match(first, /^ {2}created {5}etcd\/ca\.crt$/m);
    assert.match(first, /^24 created, 0 regenerated, 0 kept\.$/m);
    assert.match(first, /--etcd-certfile \S*apiserver-etcd-client\.crt/);
    const apiserver = new X509Certificate(await readFile(join(pkiDir, 'apiserver.crt')));
    assert.equal(apiserver.checkHost('api.example.com'), 'api.example.com');
    assert.equal(apiserver.checkIP('10.0.0.7'), '10.0.0.7');
    assert.equal(apiserver.checkIP('fd00::7'), 'fd00::7');

    const second = await run(['init', '--dir', pkiDir, '--key-type', 'ecdsa', '--san', '10.9.9.9']);
    assert.match(second, /^ {2}kept {8}apiserver\.key$/m);
    assert.match(second, /^0 created, 0 regenerated, 24 kept\.$/m);
    assert.match(second, /^warnings:\n {2}apiserver\.crt lacks SAN 10\.9\.9\.9: use --force to reissue it$/m);

    const forced = await run(['init', '--dir', pkiDir, '--key-type', 'ecdsa', '--san', '10.9.9.9', '--force']);
    assert.match(forced, /^0 created, 24 regenerated, 0 kept\.$/m);
    assert.doesNotMatch(forced, /warnings:/);
  });

  it('refuses bad usage with one clear message', async () => {
    await assert.rejects(run(['init']), /--dir is required/);
    await assert.rejects(run(['init', '--dir', dir, '--key-type', 'dsa']), /--key-type must be rsa or ecdsa/);
    await assert.rejects(run(['renew']), /unknown subcommand "renew"/);
    await assert.rejects(run(['init', '--dir', dir, '--nope']), /Unknown option '--nope'/);
    assert.match(await run([]), /^usage: kubeling pki init --dir DIR/);
  });

  it('is wired into the kubeling executable', async () => {
    const bin = join(import.meta.dirname, 'bin.js');
    const { stdout } = await promisify(execFile)(process.execPath, [bin, 'pki', 'init', '--dir', join(dir, 'exe'), '--key-type', 'ecdsa'], {
      timeout: 60_000,
    });
    assert.match(stdout, /^24 created, 0 regenerated, 0 kept\.$/m);
    const failed = await promisify(execFile)(process.execPath, [bin, 'pki', 'init'], { timeout: 60_000 }).catch((e: unknown) => e);
    assert.match(String((failed as { stderr?: string }).stderr), /^kubeling pki: --dir is required/);
  });
});
