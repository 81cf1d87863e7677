/**
 * `kubeling store`: one member of the replicated store, with etcd's own flag
 * names so that an etcd user's command lines carry over (etcd 3.4 defaults).
 */
import { parseArgs } from 'node:util';
import type { StoreConfig } from '../store/server/server.js';
import { ETCD_TLS_OPTIONS, etcdTlsFlags } from '../store/server/tls.js';

/** Parses etcd-style flags into a StoreConfig; throws with a clear message on bad input. */
export function parseStoreFlags(argv: readonly string[]): StoreConfig {
  const { values, positionals } = parseArgs({
    args: [...argv],
    allowPositionals: true,
    strict: true,
    options: {
      name: { type: 'string', default: 'default' },
      'data-dir': { type: 'string' },
      'listen-client-urls': { type: 'string', default: 'http://localhost:2379' },
      'advertise-client-urls': { type: 'string', default: 'http://localhost:2379' },
      'listen-peer-urls': { type: 'string', default: 'http://localhost:2380' },
      'initial-advertise-peer-urls': { type: 'string', default: 'http://localhost:2380' },
      'initial-cluster': { type: 'string' },
      'initial-cluster-state': { type: 'string', default: 'new' },
      'initial-cluster-token': { type: 'string', default: 'etcd-cluster' },
      'heartbeat-interval': { type: 'string', default: '100' },
      'election-timeout': { type: 'string', default: '1000' },
      'snapshot-count': { type: 'string', default: '10000' },
      ...ETCD_TLS_OPTIONS,
      'log-level': { type: 'string', default: 'info' },
    },
  });
  if (positionals.length > 0) throw new Error(`unexpected argument "${positionals[0]}"`);
  const name = values.name;
  const urls = (flag: string, v: string): string[] => {
    const list = v.split(',').map((s) => s.trim()).filter(Boolean);
    for (const u of list) {
      let url: URL;
      try {
        url = new URL(u);
      } catch {
        throw new Error(`--${flag}: "${u}" is not a URL`);
      }
      if (url.protocol !== 'http:' && url.protocol !== 'https:') throw new Error(`--${flag}: "${u}" must be http:// or https://`);
    }
    if (list.length === 0) throw new Error(`--${flag} is empty`);
    return list;
  };
  const int = (flag: string, v: string, min: number): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new Error(`--${flag} must be an integer >= ${min}, got "${v}"`);
    return n;
  };
  const state = values['initial-cluster-state'];
  if (state !== 'new' && state !== 'existing') throw new Error(`--initial-cluster-state must be new or existing, got "${state}"`);
  const heartbeatMs = int('heartbeat-interval', values['heartbeat-interval'], 1);
  const electionMs = int('election-timeout', values['election-timeout'], 1);
  if (electionMs < 5 * heartbeatMs) {
    throw new Error(`--election-timeout[${electionMs}ms] should be at least 5 times as --heartbeat-interval[${heartbeatMs}ms]`);
  }
  const peerUrls = urls('initial-advertise-peer-urls', values['initial-advertise-peer-urls']);
  return {
    name,
    dataDir: values['data-dir'] ?? `${name}.etcd`,
    listenClientUrls: urls('listen-client-urls', values['listen-client-urls']),
    advertiseClientUrls: urls('advertise-client-urls', values['advertise-client-urls']),
    listenPeerUrls: urls('listen-peer-urls', values['listen-peer-urls']),
    initialAdvertisePeerUrls: peerUrls,
    initialCluster: values['initial-cluster'] ?? `${name}=${peerUrls.join(`,${name}=`)}`,
    initialClusterState: state,
    initialClusterToken: values['initial-cluster-token'],
    heartbeatMs,
    electionMs,
    snapshotCount: int('snapshot-count', values['snapshot-count'], 1),
    tls: etcdTlsFlags(values),
    quiet: values['log-level'] === 'error',
  };
}

/** Runs `kubeling store` until SIGTERM or SIGINT, then shuts down cleanly. */
export async function store(argv: readonly string[]): Promise<void> {
  const cfg = parseStoreFlags(argv);
  const { startStore } = await import('../store/server/etcd.js');
  const log = cfg.quiet ? () => {} : (line: string) => process.stderr.write(`${new Date().toISOString()} ${cfg.name}: ${line}\n`);
  const s = await startStore(cfg, log);
  await new Promise<void>((resolve) => {
    process.once('SIGTERM', resolve);
    process.once('SIGINT', resolve);
    s.driver.once('removed', resolve);
  });
  log('shutting down');
  await s.stop();
}
