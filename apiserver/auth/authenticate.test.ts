import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { TokenFileError, bearerToken, readTokenFile, tokens, union, x509 } from './authenticate.js';

const dir = mkdtempSync(join(tmpdir(), 'kubeling-tokens-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function tokenFile(text: string): string {
  const f = join(dir, `t${Math.random().toString(36).slice(2)}.csv`);
  writeFileSync(f, text);
  return f;
}

function req(headers: Record<string, string>, socket: object = {}): IncomingMessage {
  return { headers, socket } as unknown as IncomingMessage;
}

describe('static token file (--token-auth-file)', () => {
  it('reads token, user, uid and quoted groups, adding system:authenticated', () => {
    const users = readTokenFile(tokenFile('s3cret,alice,1001,"dev,ops"\nt0ken,bob,,\n\n# a comment\nother,carol,1003\n'));
    assert.deepEqual(users.get('s3cret'), { username: 'alice', uid: '1001', groups: ['dev', 'ops', 'system:authenticated'] });
    assert.deepEqual(users.get('t0ken'), { username: 'bob', groups: ['system:authenticated'] });
    assert.deepEqual(users.get('other'), { username: 'carol', uid: '1003', groups: ['system:authenticated'] });
    assert.equal(users.size, 3);
  });

  it('refuses a line with fewer than 3 columns, naming the line', () => {
    assert.throws(() => readTokenFile(tokenFile('ok,alice,1\nshort,bob\n')), (e: Error) => e instanceof TokenFileError && /at least 3 columns .* found 2 on line 2/.test(e.message));
  });

  it('refuses a repeated token', () => {
    assert.throws(() => readTokenFile(tokenFile('a,alice,1\na,bob,2\n')), TokenFileError);
  });
});

describe('bearer tokens', () => {
  const users = readTokenFile(tokenFile('s3cret,alice,1001,admins\n'));

  it('come from the Authorization header', () => {
    assert.equal(bearerToken(req({ authorization: 'Bearer abc' })), 'abc');
    assert.equal(bearerToken(req({ authorization: 'Basic abc' })), undefined);
    assert.equal(tokens(users)(req({ authorization: 'Bearer s3cret' }))?.username, 'alice');
    assert.equal(tokens(users)(req({ authorization: 'Bearer wrong' })), undefined);
  });

  it("come from a WebSocket's base64url bearer subprotocol", () => {
    const proto = `base64.binary.k8s.io, base64url.bearer.authorization.k8s.io.${Buffer.from('s3cret').toString('base64url')}`;
    assert.equal(tokens(users)(req({ 'sec-websocket-protocol': proto }))?.username, 'alice');
  });
});

describe('client certificates', () => {
  const tlsSocket = (authorized: boolean, subject: Record<string, string | string[]>) => ({ encrypted: true, authorized, getPeerCertificate: () => ({ subject }) });

  it('name the user by CN and the groups by O, when the TLS layer verified them', () => {
    assert.deepEqual(x509(req({}, tlsSocket(true, { CN: 'kubernetes-admin', O: 'system:masters' }))), { username: 'kubernetes-admin', groups: ['system:masters', 'system:authenticated'] });
    assert.deepEqual(x509(req({}, tlsSocket(true, { CN: 'n1', O: ['a', 'b'] })))?.groups, ['a', 'b', 'system:authenticated']);
    assert.equal(x509(req({}, tlsSocket(false, { CN: 'mallory' }))), undefined);
    assert.equal(x509(req({}, {})), undefined);
  });

  it('come before tokens in the union', async () => {
    const users = readTokenFile(tokenFile('s3cret,alice,1\n'));
    const a = union(x509, tokens(users));
    assert.equal((await a(req({ authorization: 'Bearer s3cret' }, tlsSocket(true, { CN: 'admin' }))))?.username, 'admin');
    assert.equal((await a(req({ authorization: 'Bearer s3cret' })))?.username, 'alice');
    assert.equal(await a(req({ authorization: 'Bearer nope' })), undefined);
  });
});
