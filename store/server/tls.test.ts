import assert from 'node:assert/strict';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { connect, createServer, type ConnectionOptions, type TLSSocket } from 'node:tls';
import { parseArgs } from 'node:util';
import { initPki } from './pki.js';
import {
  ETCD_TLS_OPTIONS,
  TlsConfigError,
  clientTls,
  etcdTlsFlags,
  peerClientTls,
  serverTls,
  type ClientTls,
  type EtcdTlsFlags,
  type ServerTls,
} from './tls.js';

let dir = '';
let foreign = '';
const f = (name: string) => join(dir, name);

before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'kubeling-tls-'));
  foreign = join(dir, 'foreign');
  const opts = { keyAlgorithm: 'ecdsa', hostname: 'member-1' } as const;
  await Promise.all([initPki(dir, opts), initPki(foreign, opts)]);
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The member flags kubeadm's etcd static pod passes. */
const memberFlags = (): EtcdTlsFlags => ({
  certFile: f('etcd/server.crt'),
  keyFile: f('etcd/server.key'),
  trustedCaFile: f('etcd/ca.crt'),
  clientCertAuth: true,
  peerCertFile: f('etcd/peer.crt'),
  peerKeyFile: f('etcd/peer.key'),
  peerTrustedCaFile: f('etcd/ca.crt'),
  peerClientCertAuth: true,
});

const tlsError = (re: RegExp) => (e: unknown) => e instanceof TlsConfigError && re.test(e.message);

describe('tls: flags to options', () => {
  it('parses etcd flag names through parseArgs', () => {
    const { values } = parseArgs({
      args: ['--cert-file', 'a.crt', '--key-file', 'a.key', '--client-cert-auth', '--peer-trusted-ca-file', 'ca.crt'],
      options: { ...ETCD_TLS_OPTIONS, name: { type: 'string' } },
    });
    assert.deepEqual(etcdTlsFlags(values), {
      certFile: 'a.crt',
      keyFile: 'a.key',
      trustedCaFile: undefined,
      clientCertAuth: true,
      peerCertFile: undefined,
      peerKeyFile: undefined,
      peerTrustedCaFile: 'ca.crt',
      peerClientCertAuth: false,
    });
  });

  it('no flags: plain http on both sides', () => {
    assert.equal(serverTls({}, 'client'), undefined);
    assert.equal(serverTls({}, 'peer'), undefined);
    assert.equal(peerClientTls({}), undefined);
  });

  it('server options carry the files, and ask for client certificates only with --client-cert-auth', () => {
    const s = serverTls(memberFlags(), 'client');
    assert.ok(s);
    assert.ok(s.cert.toString().startsWith('-----BEGIN CERTIFICATE-----'));
    assert.ok(s.key.toString().includes('PRIVATE KEY'));
    assert.ok(s.ca?.toString().startsWith('-----BEGIN CERTIFICATE-----'));
    assert.equal(s.requestCert, true);
    assert.equal(s.rejectUnauthorized, true);
    const open = serverTls({ certFile: f('etcd/server.crt'), keyFile: f('etcd/server.key') }, 'client');
    assert.equal(open?.requestCert, false);
    assert.equal(open.rejectUnauthorized, false);
    assert.equal(open.ca, undefined);
    const peerServer = serverTls(memberFlags(), 'peer');
    assert.ok(peerServer && !peerServer.cert.equals(s.cert) && peerServer.requestCert);
    const peer = peerClientTls(memberFlags());
    assert.ok(peer?.cert && peer.key && peer.ca);
    const c = clientTls({ caFile: f('etcd/ca.crt') });
    assert.ok(c.ca && c.cert === undefined && c.key === undefined);
  });

  it('names the flag and file that is missing, a directory, or not PEM', async () => {
    const missing = join(dir, 'nope.crt');
    assert.throws(() => serverTls({ ...memberFlags(), certFile: missing }, 'client'), tlsError(new RegExp(`^--cert-file ${missing}: no such file$`)));
    assert.throws(() => serverTls({ ...memberFlags(), peerKeyFile: missing }, 'peer'), tlsError(/^--peer-key-file .*nope\.crt: no such file$/));
    assert.throws(() => serverTls({ ...memberFlags(), trustedCaFile: missing }, 'client'), tlsError(/^--trusted-ca-file .*: no such file$/));
    assert.throws(() => clientTls({ caFile: missing }), tlsError(/^--etcd-cafile .*: no such file$/));
    const asDir = join(dir, 'a-directory');
    await mkdir(asDir);
    assert.throws(
      () => serverTls({ ...memberFlags(), keyFile: asDir }, 'client'),
      tlsError(/^--key-file .*a-directory: is a directory, not a file$/),
    );
    const junk = join(dir, 'junk.pem');
    await writeFile(junk, 'not a certificate\n');
    assert.throws(() => serverTls({ ...memberFlags(), certFile: junk }, 'client'), tlsError(/^--cert-file .*junk\.pem: no PEM certificate in it$/));
    assert.throws(() => serverTls({ ...memberFlags(), keyFile: junk }, 'client'), tlsError(/^--key-file .*junk\.pem: not a usable PEM private key/));
    assert.throws(() => serverTls({ ...memberFlags(), trustedCaFile: junk }, 'client'), tlsError(/^--trusted-ca-file .*: no PEM certificate in it$/));
    const broken = join(dir, 'broken.pem');
    await writeFile(broken, '-----BEGIN CERTIFICATE-----\nAAAA\n-----END CERTIFICATE-----\n');
    assert.throws(() => clientTls({ caFile: broken }), tlsError(/^--etcd-cafile .*broken\.pem: certificate 1 is malformed/));
  });

  it('refuses a certificate and key that do not belong together', () => {
    assert.throws(
      () => serverTls({ ...memberFlags(), keyFile: f('etcd/peer.key') }, 'client'),
      tlsError(/^--cert-file .*etcd\/server\.crt and --key-file .*etcd\/peer\.key do not match/),
    );
    assert.throws(
      () => clientTls({ certFile: f('apiserver-etcd-client.crt'), keyFile: f('admin.key') }),
      tlsError(/^--etcd-certfile .*apiserver-etcd-client\.crt and --etcd-keyfile .*admin\.key do not match/),
    );
    assert.throws(
      () => clientTls({ certFile: f('admin.crt'), keyFile: f('etcd/peer.key'), flags: { ca: '--cacert', cert: '--cert', key: '--key' } }),
      tlsError(/^--cert .* and --key .* do not match/),
    );
  });

  it('refuses half-given flags', () => {
    assert.throws(() => serverTls({ certFile: f('etcd/server.crt') }, 'client'), tlsError(/^--cert-file is set but --key-file is not$/));
    assert.throws(() => serverTls({ peerKeyFile: f('etcd/peer.key') }, 'peer'), tlsError(/^--peer-key-file is set but --peer-cert-file is not$/));
    assert.throws(
      () => serverTls({ clientCertAuth: true }, 'client'),
      tlsError(/^--client-cert-auth needs --cert-file, --key-file and --trusted-ca-file$/),
    );
    assert.throws(
      () => serverTls({ peerTrustedCaFile: f('etcd/ca.crt') }, 'peer'),
      tlsError(/^--peer-trusted-ca-file needs --peer-cert-file and --peer-key-file$/),
    );
    assert.throws(
      () => serverTls({ certFile: f('etcd/server.crt'), keyFile: f('etcd/server.key'), clientCertAuth: true }, 'client'),
      tlsError(/^--client-cert-auth needs --trusted-ca-file$/),
    );
    assert.throws(() => clientTls({ keyFile: f('admin.key') }), tlsError(/^--etcd-keyfile is set but --etcd-certfile is not$/));
  });
});

/** A TLS echo server on 127.0.0.1 with the given options, and the names of the clients it accepted. */
async function echoServer(opts: ServerTls) {
  const accepted: string[] = [];
  const server = createServer(opts, (socket: TLSSocket) => {
    const cn = socket.getPeerCertificate().subject?.CN;
    accepted.push(cn === undefined ? '(no certificate)' : String(cn));
    socket.pipe(socket);
  });
  server.on('tlsClientError', () => undefined); // refused clients: expected here
  await new Promise<void>((res) => server.listen(0, '127.0.0.1', res));
  const address = server.address();
  if (address === null || typeof address === 'string') throw new Error('no port');
  return { port: address.port, accepted, close: () => new Promise((res) => server.close(res)) };
}

const REFUSED = /^(error: (ERR_SSL_TLSV13_ALERT_CERTIFICATE_REQUIRED|ERR_SSL_TLSV1_ALERT_UNKNOWN_CA|ECONNRESET|EPIPE)|closed)$/;

/** Connects, sends a line and waits for the echo: 'echoed', or the error that ended the attempt. */
function attempt(port: number, opts: ClientTls & ConnectionOptions): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ host: '127.0.0.1', port, ...opts });
    const timer = setTimeout(() => {
      socket.destroy();
      resolve('timeout');
    }, 5000);
    const done = (result: string) => {
      clearTimeout(timer);
      socket.destroy();
      resolve(result);
    };
    socket.on('secureConnect', () => socket.write('ping\n'));
    socket.on('data', (d: Buffer) => done(d.toString() === 'ping\n' ? 'echoed' : `got ${d.toString()}`));
    socket.on('error', (e: NodeJS.ErrnoException) => done(`error: ${e.code ?? e.message}`));
    socket.on('close', () => done('closed'));
  });
}

describe('tls: real handshakes on 127.0.0.1 with client certificate auth', () => {
  it('the client listener accepts apiserver-etcd-client and refuses no certificate or another CA’s', async () => {
    const server = await echoServer(serverTls(memberFlags(), 'client') ?? assert.fail('no TLS'));
    try {
      const ca = f('etcd/ca.crt');
      const ok = clientTls({ caFile: ca, certFile: f('apiserver-etcd-client.crt'), keyFile: f('apiserver-etcd-client.key') });
      assert.equal(await attempt(server.port, ok), 'echoed');
      assert.deepEqual(server.accepted, ['kube-apiserver-etcd-client']);

      // refused: the server's alert arrives as an error or as a bare close, depending on timing
      assert.match(await attempt(server.port, clientTls({ caFile: ca })), REFUSED);
      const other = clientTls({
        caFile: ca,
        certFile: join(foreign, 'apiserver-etcd-client.crt'),
        keyFile: join(foreign, 'apiserver-etcd-client.key'),
      });
      assert.match(await attempt(server.port, other), REFUSED);
      // a client certificate from this PKI's other CA (the Kubernetes CA's admin) is no better
      const wrongCa = clientTls({ caFile: ca, certFile: f('admin.crt'), keyFile: f('admin.key') });
      assert.match(await attempt(server.port, wrongCa), REFUSED);
      assert.deepEqual(server.accepted, ['kube-apiserver-etcd-client']);

      // and the client checks the server: another CA's bundle does not trust it
      const distrust = clientTls({
        caFile: join(foreign, 'etcd/ca.crt'),
        certFile: f('apiserver-etcd-client.crt'),
        keyFile: f('apiserver-etcd-client.key'),
      });
      assert.match(await attempt(server.port, distrust), /^error: (UNABLE_TO_VERIFY_LEAF_SIGNATURE|SELF_SIGNED_CERT_IN_CHAIN)/);
    } finally {
      await server.close();
    }
  });

  it('the peer listener accepts a member dialling with peerClientTls', async () => {
    const server = await echoServer(serverTls(memberFlags(), 'peer') ?? assert.fail('no TLS'));
    try {
      assert.equal(await attempt(server.port, peerClientTls(memberFlags()) ?? assert.fail('no TLS')), 'echoed');
      assert.deepEqual(server.accepted, ['member-1']); // etcd/peer's CN is the node name
      assert.match(await attempt(server.port, clientTls({ caFile: f('etcd/ca.crt') })), REFUSED);
      assert.deepEqual(server.accepted, ['member-1']);
    } finally {
      await server.close();
    }
  });

  it('without --client-cert-auth no certificate is asked for', async () => {
    const server = await echoServer(serverTls({ certFile: f('etcd/server.crt'), keyFile: f('etcd/server.key') }, 'client') ?? assert.fail('no TLS'));
    try {
      assert.equal(await attempt(server.port, clientTls({ caFile: f('etcd/ca.crt') })), 'echoed');
      assert.deepEqual(server.accepted, ['(no certificate)']);
    } finally {
      await server.close();
    }
  });
});
