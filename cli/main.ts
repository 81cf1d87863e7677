/**
 * `kubeling <command>`: the one executable (DESIGN.md). Commands arrive with
 * the issues that build them; each lives in its own file here.
 */
// each command's module is loaded when it runs: a store member does not load the API server's kinds

const USAGE = `usage: kubeling <command> [flags]

commands:
  up [--data-dir DIR] [--store-members N] [--port P] [--store-port P] [--nodes N]
     [--extra-config COMPONENT.FLAG=VALUE ...]
                                            run the local cluster as child processes: a TLS store cluster, the API
                                            server, the scheduler, the controller manager and simulated nodes, with
                                            an admin kubeconfig in DIR; --extra-config passes a flag to one of
                                            store (etcd), apiserver, scheduler, controller-manager, nodes (kubelet)
  sim [--seeds N | --seed S]                run the deterministic Raft simulator (same as npm run sim)
  store --name NAME --data-dir DIR --listen-client-urls URL --advertise-client-urls URL
        --listen-peer-urls URL --initial-advertise-peer-urls URL --initial-cluster n1=URL,...
        [--initial-cluster-state new|existing] [TLS flags as etcd's]
                                            run one member of the etcd-compatible store
  apiserver --etcd-servers URLS [--etcd-cafile F --etcd-certfile F --etcd-keyfile F]
            | --in-process-store DIR [--in-process-store-client-url URL]
            [--secure-port 6443 --tls-cert-file F --tls-private-key-file F --client-ca-file F --token-auth-file F]
            [--bind-address IP] [--insecure-port P]
            [--ui-supervisor-url URL --ui-supervisor-token-file F]
                                            serve the Kubernetes API over an etcd v3 store, authenticating callers,
                                            and the dashboard under /ui/; the --ui-supervisor-* flags (kubeling's
                                            own, passed by up) let it stop and start store members
  scheduler --kubeconfig FILE [--config FILE] [--leader-elect=true|false]
                                            bind pods to nodes as kube-scheduler does (leader election on a Lease)
  controller-manager --kubeconfig FILE [--controllers *,NAME,-NAME] [--leader-elect=true|false]
                                            run the controllers as kube-controller-manager does (leader election on a Lease)
  nodes --kubeconfig FILE --count N [--name-prefix P] [--cpu 4 --memory 16Gi --pods 110] [--zones a,b,c] [--taint k=v:Effect ...]
                                            run N simulated kubelets in one process: Nodes, Lease heartbeats, pod lifecycle, logs
  pki init --dir DIR [--san DNS|IP] [--force]
                                            write CAs, certificates and keys in kubeadm's layout
`;

const [cmd, ...args] = process.argv.slice(2);
try {
  await run(cmd, args);
} catch (e) {
  // bad flags, a refused data directory...: one clear line, no stack
  process.stderr.write(`kubeling ${cmd ?? ''}: ${e instanceof Error ? e.message : String(e)}\n`);
  process.exitCode = 1;
}

async function run(cmd: string | undefined, args: string[]): Promise<void> {
  switch (cmd) {
    case 'up':
      await (await import('./up.js')).up(args);
      break;
    case 'sim':
      process.argv = [process.argv[0] ?? 'node', 'sim', ...args];
      await import('../store/sim/cli.js');
      break;
    case 'apiserver':
      await (await import('./apiserver.js')).apiserver(args);
      break;
    case 'scheduler':
      await (await import('./scheduler.js')).scheduler(args);
      break;
    case 'controller-manager':
      await (await import('./controller-manager.js')).controllerManager(args);
      break;
    case 'nodes':
      await (await import('./nodes.js')).nodes(args);
      break;
    case 'pki':
      await (await import('./pki.js')).pki(args);
      break;
    case 'store':
      await (await import('./store.js')).store(args);
      break;
    case undefined:
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(USAGE);
      break;
    default:
      process.stderr.write(`kubeling: unknown command "${cmd}"\n\n${USAGE}`);
      process.exitCode = 2;
  }
}
