import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import http2 from 'node:http2';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import * as grpc from '@grpc/grpc-js';
import { Status } from './status.js';
import type { Certs, Observed, Served } from './testing/fixtures.js';
import { bytes, grpcClient, makeCerts, post, serve, toyHandlers, unary } from './testing/fixtures.js';

function run(cmd: string, args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(cmd, args, { env: { ...process.env, ETCDCTL_API: '3' } }, (err, stdout, stderr) => resolve({ code: err ? 1 : 0, stdout, stderr }));
  });
}

describe('TLS with ALPN (h2 → gRPC, http/1.1 → gateway)', () => {
  const observed: Observed = { aborts: [] };
  let certs: Certs;
  let served: Served;
  before(async () => {
    certs = makeCerts();
    served = await serve(toyHandlers(observed), { tls: { cert: certs.serverCert, key: certs.serverKey } });
  });
  after(async () => {
    await served.close();
    rmSync(certs.dir, { recursive: true, force: true });
  });

  it('serves gRPC over TLS', async () => {
    const kv = grpcClient(served.port, 'KV', grpc.credentials.createSsl(certs.ca));
    const res = await unary(kv, 'Range', { key: bytes('foo') });
    kv.close();
    assert.deepEqual(res.kvs, [{ key: bytes('foo'), value: bytes('bar'), createRevision: 2, modRevision: 5, version: 3, lease: 0 }]);
    assert.deepEqual(observed.lastPeer?.tls, { authorized: false }); // no client certificate asked for
  });

  it('serves the gateway over HTTPS, with ALPN http/1.1 or without ALPN', async () => {
    for (const ALPNProtocols of [['http/1.1'], undefined]) {
      const res = await post(served.port, '/v3/kv/range', '{"key":"Zm9v"}', { tls: { ca: certs.ca, ...(ALPNProtocols ? { ALPNProtocols } : {}) } });
      assert.equal(res.status, 200);
      assert.equal(JSON.parse(res.body).kvs[0].value, 'YmFy');
    }
  });

  it('serves the gateway to an HTTP/2 client over TLS (ALPN h2)', async () => {
    const session = http2.connect(`https://127.0.0.1:${served.port}`, { ca: certs.ca });
    const body = await new Promise<string>((resolve, reject) => {
      const stream = session.request({ ':method': 'POST', ':path': '/v3/kv/range', 'content-type': 'application/json' });
      let text = '';
      stream.on('data', (c: Buffer) => (text += c.toString()));
      stream.on('end', () => resolve(text));
      stream.on('error', reject);
      stream.end('{"key":"Zm9v"}');
    });
    session.close();
    assert.equal(JSON.parse(body).count, '1');
  });

  it('curl --cacert reaches the gateway (curl negotiates h2 when it can)', async () => {
    const { code, stdout, stderr } = await run('curl', ['-sS', '--cacert', join(certs.dir, 'ca.crt'), '-X', 'POST', `https://127.0.0.1:${served.port}/v3/kv/range`, '-d', '{"key":"Zm9v"}']);
    assert.equal(code, 0, stderr);
    assert.equal(JSON.parse(stdout).kvs[0].key, 'Zm9v');
  });

  it('etcdctl --cacert gets over TLS', async () => {
    const { code, stdout, stderr } = await run('etcdctl', ['--endpoints', `https://127.0.0.1:${served.port}`, '--cacert', join(certs.dir, 'ca.crt'), 'get', 'foo', '--print-value-only']);
    assert.equal(code, 0, stderr);
    assert.equal(stdout.trim(), 'bar');
  });
});

describe('TLS with client certificates required (--client-cert-auth)', () => {
  const observed: Observed = { aborts: [] };
  let certs: Certs;
  let served: Served;
  before(async () => {
    certs = makeCerts();
    served = await serve(toyHandlers(observed), {
      tls: { cert: certs.serverCert, key: certs.serverKey, ca: certs.ca, requestCert: true, rejectUnauthorized: true },
    });
  });
  after(async () => {
    await served.close();
    rmSync(certs.dir, { recursive: true, force: true });
  });

  it('refuses a gRPC client without a certificate', async () => {
    const kv = grpcClient(served.port, 'KV', grpc.credentials.createSsl(certs.ca));
    const err = await unary(kv, 'Range', { key: bytes('foo') }, { deadline: Date.now() + 3000 }).then(() => undefined, (e: grpc.ServiceError) => e);
    kv.close();
    assert.equal(err?.code, Status.UNAVAILABLE);
  });

  it('refuses an HTTPS client without a certificate', async () => {
    await assert.rejects(post(served.port, '/v3/kv/range', '{"key":"Zm9v"}', { tls: { ca: certs.ca } }));
  });

  it('serves a client with a certificate, and tells the handler who it is', async () => {
    const kv = grpcClient(served.port, 'KV', grpc.credentials.createSsl(certs.ca, certs.clientKey, certs.clientCert));
    const res = await unary(kv, 'Range', { key: bytes('foo') });
    kv.close();
    assert.equal(res.count, 1);
    assert.deepEqual(observed.lastPeer?.tls, { authorized: true, commonName: 'kubeling-client' });
    const https = await post(served.port, '/v3/kv/range', '{"key":"Zm9v"}', { tls: { ca: certs.ca, cert: certs.clientCert, key: certs.clientKey } });
    assert.equal(https.status, 200);
  });

  it('etcdctl needs --cert/--key', async () => {
    const base = ['--endpoints', `https://127.0.0.1:${served.port}`, '--cacert', join(certs.dir, 'ca.crt')];
    // refused, it retries until its timeouts: short ones there; room for a busy machine where it must succeed
    const without = await run('etcdctl', [...base, '--dial-timeout', '1s', '--command-timeout', '2s', 'get', 'foo']);
    assert.notEqual(without.code, 0);
    const withCert = await run('etcdctl', [...base, '--dial-timeout', '10s', '--command-timeout', '10s', '--cert', join(certs.dir, 'client.crt'), '--key', join(certs.dir, 'client.key'), 'get', 'foo', '--print-value-only']);
    assert.equal(withCert.code, 0, withCert.stderr);
    assert.equal(withCert.stdout.trim(), 'bar');
  });
});
