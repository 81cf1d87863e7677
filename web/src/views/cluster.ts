/**
 * The cluster view (#/cluster?namespace=NS): nodes with the pods on them and
 * their requests against allocatable, pending pods with the scheduler's
 * reason, and Deployments with their rollout progress. From the Kubernetes
 * API itself: lists of nodes, pods and deployments, then watches over
 * WebSocket (ListWatch in api.ts).
 */
import { ListWatch } from '../api.js';
import { batched, h, render, type Child } from '../h.js';
import { amount, formatBytes, formatCpu, isTerminal, podRequests } from '../quantity.js';
import { href } from '../router.js';
import type { Deployment, KubeNode, Pod } from '../types.js';
import { age, dataTable, errorBox, liveBadge, showDialog, viewHeading, type View, type ViewContext } from '../ui.js';
import { toYaml } from '../yaml.js';

const cond = (conds: { type?: string; status?: string; reason?: string; message?: string }[] | undefined, type: string) => conds?.find((c) => c.type === type);

/** The cluster view. */
export function clusterView(ctx: ViewContext): View {
  let namespace = ctx.params.get('namespace') ?? '';
  const draw = batched(() => paint());
  const nodes = new ListWatch<KubeNode>('/api/v1/nodes', draw);
  const pods = new ListWatch<Pod>('/api/v1/pods', draw);
  const deployments = new ListWatch<Deployment>('/apis/apps/v1/deployments', draw);
  const ticker = window.setInterval(draw, 10_000); // ages

  const liveEl = h('span', { class: 'live-slot' });
  const nsSelect = h('select', {
    id: 'ns',
    'data-testid': 'namespace-filter',
    onchange: () => {
      location.hash = href('cluster', { namespace: nsSelect.value });
    },
  });
  const nodesEl = h('div', { class: 'node-grid', 'data-testid': 'cluster-nodes' });
  const pendingEl = h('div', { 'data-testid': 'pending-pods' });
  const deploymentsEl = h('div', { 'data-testid': 'deployments' });
  const el = h(
    'section',
    { class: 'view cluster-view', 'data-testid': 'cluster-view' },
    viewHeading('Cluster', liveEl, h('label', { class: 'inline-label', for: 'ns' }, 'Namespace ', nsSelect)),
    h('section', { 'aria-labelledby': 'nodes-title' }, h('h2', { id: 'nodes-title' }, 'Nodes'), nodesEl),
    h('section', { 'aria-labelledby': 'pending-title' }, h('h2', { id: 'pending-title' }, 'Pending pods'), pendingEl),
    h('section', { 'aria-labelledby': 'deployments-title' }, h('h2', { id: 'deployments-title' }, 'Deployments'), deploymentsEl),
  );

  const inNs = (o: { metadata?: { namespace?: string } }): boolean => namespace === '' || o.metadata?.namespace === namespace;

  function paint(): void {
    const all = [nodes, pods, deployments];
    render(liveEl, liveBadge(all.every((w) => w.live) ? 'open' : all.some((w) => w.synced) ? 'down' : 'connecting'));
    const namespaces = new Set<string>([...pods.items.values(), ...deployments.items.values()].map((o) => o.metadata?.namespace ?? ''));
    if (namespace) namespaces.add(namespace);
    render(
      nsSelect,
      h('option', { value: '', selected: namespace === '' }, 'all'),
      [...namespaces].filter(Boolean).sort().map((n) => h('option', { value: n, selected: n === namespace }, n)),
    );
    const podList = [...pods.items.values()].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    render(nodesEl, status(nodes, 'nodes') ?? nodeCards(podList));
    render(pendingEl, status(pods, 'pods') ?? pending(podList.filter((p) => !p.spec?.nodeName && !isTerminal(p) && !p.metadata?.deletionTimestamp && inNs(p))));
    render(deploymentsEl, status(deployments, 'deployments') ?? deploymentTable([...deployments.items.values()].filter(inNs)));
  }

  /** An error or loading line while a collection has not listed; undefined once it has (later failures show as "reconnecting"). */
  const status = (w: { readonly synced: boolean; readonly error: unknown }, what: string): Child | undefined => {
    if (w.synced) return undefined;
    return w.error !== undefined ? errorBox(w.error, `Listing ${what}`) : h('p', { class: 'muted' }, 'Loading…');
  };

  const nodeCards = (podList: Pod[]): Child => {
    const list = [...nodes.items.values()].sort((a, b) => (a.metadata?.name ?? '').localeCompare(b.metadata?.name ?? ''));
    if (list.length === 0) return h('p', { class: 'muted' }, 'No nodes have registered.');
    const byNode = new Map<string, Pod[]>();
    for (const p of podList) {
      const n = p.spec?.nodeName;
      if (n) byNode.set(n, [...(byNode.get(n) ?? []), p]);
    }
    return list.map((n) => nodeCard(n, byNode.get(n.metadata?.name ?? '') ?? []));
  };

  const nodeCard = (n: KubeNode, onNode: Pod[]): HTMLElement => {
    const name = n.metadata?.name ?? '';
    const ready = cond(n.status?.conditions, 'Ready');
    const readyText = ready?.status === 'True' ? 'Ready' : ready?.status === 'False' ? 'NotReady' : 'Unknown';
    const active = onNode.filter((p) => !isTerminal(p));
    const req = active.reduce((s, p) => {
      const r = podRequests(p);
      return { cpu: s.cpu + (r.cpu ?? 0), memory: s.memory + (r.memory ?? 0) };
    }, { cpu: 0, memory: 0 });
    const alloc = n.status?.allocatable;
    const bar = (label: string, used: number, total: number, fmt: (v: number) => string, testid: string): HTMLElement => {
      const id = `${testid}-${name}`;
      return h(
        'div',
        { class: 'usage' },
        h('label', { for: id, class: 'small' }, `${label} ${fmt(used)} / ${fmt(total)}`, total > 0 ? ` (${Math.round((used / total) * 100)}%)` : ''),
        h('meter', { id, min: '0', max: String(total || 1), value: String(Math.min(used, total || 1)), high: String(total * 0.85), optimum: '0', 'data-testid': testid }),
      );
    };
    const shown = onNode.filter(inNs);
    const taints = n.spec?.taints ?? [];
    return h(
      'article',
      { class: `card node ${readyText === 'Ready' ? '' : 'not-ready'}`, 'data-testid': 'node-card', 'data-name': name, 'data-ready': readyText, 'aria-labelledby': `node-${name}` },
      h(
        'header',
        { class: 'card-head' },
        h('h3', { id: `node-${name}` }, name),
        h('span', { class: `badge ${readyText === 'Ready' ? 'ok' : 'error'}`, 'data-testid': 'node-ready' }, readyText),
        n.spec?.unschedulable ? h('span', { class: 'badge warn' }, 'cordoned') : null,
        n.metadata?.labels?.['topology.kubernetes.io/zone'] ? h('span', { class: 'badge' }, n.metadata.labels['topology.kubernetes.io/zone']) : null,
      ),
      bar('CPU', req.cpu, amount(alloc, 'cpu'), formatCpu, 'node-cpu'),
      bar('Memory', req.memory, amount(alloc, 'memory'), formatBytes, 'node-memory'),
      bar('Pods', active.length, amount(alloc, 'pods'), (v) => String(Math.round(v)), 'node-pods'),
      taints.length > 0 ? h('p', { class: 'small muted' }, 'taints: ', taints.map((t) => `${t.key}${t.value ? `=${t.value}` : ''}:${t.effect}`).join(', ')) : null,
      h('ul', { class: 'chips', 'aria-label': `Pods on ${name}` }, shown.length === 0 ? h('li', { class: 'muted small' }, namespace ? `No pods of ${namespace} here.` : 'No pods.') : shown.map(podChip)),
    );
  };

  const podChip = (p: Pod): HTMLElement => {
    const phase = p.metadata?.deletionTimestamp ? 'Terminating' : (p.status?.phase ?? 'Unknown');
    const ns = p.metadata?.namespace ?? '';
    const name = p.metadata?.name ?? '';
    return h(
      'li',
      null,
      h(
        'button',
        {
          class: `chip phase-${phase.toLowerCase()}`,
          type: 'button',
          'data-testid': 'pod-chip',
          'data-name': name,
          'data-namespace': ns,
          'data-phase': phase,
          'data-focus': `pod-${ns}/${name}`,
          title: `${ns}/${name}: ${phase}`,
          'aria-label': `${name} in ${ns}: ${phase}`,
          onclick: () => podDetails(p),
        },
        h('span', { class: 'dot', 'aria-hidden': 'true' }),
        name,
      ),
    );
  };

  const podDetails = (p: Pod): void => {
    const ns = p.metadata?.namespace ?? '';
    const name = p.metadata?.name ?? '';
    const r = podRequests(p);
    showDialog(
      `Pod ${ns}/${name}`,
      [
        h(
          'p',
          null,
          `phase ${p.status?.phase ?? 'Unknown'}, requests cpu ${formatCpu(r.cpu ?? 0)}, memory ${formatBytes(r.memory ?? 0)}. `,
          h('a', { href: href('flow', { pod: `${ns}/${name}` }) }, 'Follow it in the flow view'),
          ' · ',
          h('a', { href: href('store', { key: `/registry/pods/${ns}/${name}` }) }, 'Open its key in the store'),
        ),
        h('pre', { class: 'value', tabindex: '0' }, toYaml(p)),
      ],
      'pod-details',
    );
  };

  const pending = (list: Pod[]): Child => {
    if (list.length === 0) return h('p', { class: 'muted', 'data-testid': 'pending-empty' }, 'No pods are waiting for a node.');
    return h(
      'ul',
      { class: 'pending-list' },
      list.map((p) => {
        const sched = cond(p.status?.conditions, 'PodScheduled');
        const ns = p.metadata?.namespace ?? '';
        const name = p.metadata?.name ?? '';
        return h(
          'li',
          { class: 'pending', 'data-testid': 'pending-pod', 'data-name': name, 'data-namespace': ns, 'data-reason': sched?.reason ?? '' },
          h('div', null, h('strong', null, name), h('span', { class: 'muted small' }, ` ${ns} · ${age(p.metadata?.creationTimestamp)}`), ' ', h('span', { class: 'badge warn' }, sched?.reason ?? 'waiting for the scheduler')),
          sched?.message ? h('p', { class: 'small', 'data-testid': 'pending-message' }, sched.message) : null,
          p.status?.nominatedNodeName ? h('p', { class: 'small muted' }, `nominated to ${p.status.nominatedNodeName}`) : null,
          h('a', { class: 'small', href: href('flow', { pod: `${ns}/${name}` }) }, 'follow in the flow view'),
        );
      }),
    );
  };

  const deploymentTable = (list: Deployment[]): Child => {
    if (list.length === 0) return h('p', { class: 'muted' }, 'No Deployments.');
    list.sort((a, b) => `${a.metadata?.namespace}/${a.metadata?.name}`.localeCompare(`${b.metadata?.namespace}/${b.metadata?.name}`));
    return dataTable('Deployments and their rollouts', ['Name', 'Namespace', 'Ready', 'Up-to-date', 'Available', 'Rollout', 'Age'], list.map(deploymentRow));
  };

  const deploymentRow = (d: Deployment): HTMLElement => {
    const want = d.spec?.replicas ?? 1;
    const st = d.status ?? {};
    const progressing = cond(st.conditions, 'Progressing');
    const complete = progressing?.reason === 'NewReplicaSetAvailable' && (st.updatedReplicas ?? 0) === want && (st.availableReplicas ?? 0) >= want && (st.replicas ?? 0) === want;
    const failed = progressing?.reason === 'ProgressDeadlineExceeded';
    const state = d.spec?.paused ? 'paused' : failed ? 'failed' : complete ? 'complete' : 'progressing';
    const name = d.metadata?.name ?? '';
    return h(
      'tr',
      { 'data-testid': 'deployment-row', 'data-name': name, 'data-namespace': d.metadata?.namespace ?? '', 'data-state': state },
      h('th', { scope: 'row' }, name),
      h('td', null, d.metadata?.namespace ?? ''),
      h('td', null, `${st.readyReplicas ?? 0}/${want}`),
      h('td', null, st.updatedReplicas ?? 0),
      h('td', null, st.availableReplicas ?? 0),
      h(
        'td',
        { class: 'rollout' },
        h('progress', { max: String(Math.max(want, 1)), value: String(Math.min(st.updatedReplicas ?? 0, Math.max(want, 1))), 'aria-label': `${name} rollout: ${st.updatedReplicas ?? 0} of ${want} updated`, 'data-testid': 'deployment-progress' }),
        ' ',
        h('span', { class: `badge ${state === 'complete' ? 'ok' : state === 'failed' ? 'error' : 'warn'}`, title: progressing?.message ?? '' }, state),
      ),
      h('td', null, age(d.metadata?.creationTimestamp)),
    );
  };

  paint();
  return {
    el,
    update(params) {
      namespace = params.get('namespace') ?? '';
      paint();
    },
    destroy() {
      window.clearInterval(ticker);
      for (const w of [nodes, pods, deployments]) w.stop();
    },
  };
}
