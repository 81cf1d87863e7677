/**
 * KubeSchedulerConfiguration (kubescheduler.config.k8s.io/v1), the file
 * `kubeling scheduler --config` reads, as kube-scheduler reads it: each
 * profile starts from the default plugins; per extension point, `disabled`
 * removes plugins (`*` all of them) and `enabled` adds plugins (or, for a
 * default Score plugin, sets its weight); `multiPoint.disabled` removes a
 * plugin from every point; `pluginConfig` gives plugins their args.
 */
import { parseDuration } from '../../client/clock.js';
import { parse } from 'yaml';
import { DEFAULT_PROFILE, type Profile, type ProfilePlugins, type WeightedPlugin } from './profile.js';

/** A plugin set of one extension point, as the file writes it. */
interface PluginSet {
  enabled?: { name: string; weight?: number }[];
  disabled?: { name: string }[];
}

/** The parts of the configuration kubeling reads. */
export interface SchedulerConfiguration {
  readonly profiles: Profile[];
  readonly leaderElection: { readonly leaderElect: boolean; readonly resourceNamespace: string; readonly resourceName: string; readonly leaseDurationMs: number; readonly renewDeadlineMs: number; readonly retryPeriodMs: number };
  /** clientConnection.kubeconfig, when the file names one. */
  readonly kubeconfig?: string;
}

const POINTS: readonly (keyof ProfilePlugins)[] = ['queueSort', 'preFilter', 'filter', 'postFilter', 'preScore', 'score', 'reserve', 'permit', 'preBind', 'bind', 'postBind'];

/** A Go duration in ms, or `dflt` when unset. */
function durationMs(v: unknown, field: string, dflt: number): number {
  return v === undefined ? dflt : parseDuration(String(v), field);
}

/** The configuration without a file: the default profile, leader election as kube-scheduler's defaults. */
export function defaultSchedulerConfig(): SchedulerConfiguration {
  return parseSchedulerConfig('apiVersion: kubescheduler.config.k8s.io/v1\nkind: KubeSchedulerConfiguration\n');
}

/** Parses a KubeSchedulerConfiguration; throws with the field at fault. */
export function parseSchedulerConfig(text: string): SchedulerConfiguration {
  const doc = (parse(text) ?? {}) as Record<string, unknown>;
  if (doc.kind !== 'KubeSchedulerConfiguration') throw new Error(`kind: expected KubeSchedulerConfiguration, got ${JSON.stringify(doc.kind)}`);
  if (doc.apiVersion !== 'kubescheduler.config.k8s.io/v1') throw new Error(`apiVersion: expected kubescheduler.config.k8s.io/v1, got ${JSON.stringify(doc.apiVersion)}`);
  const pct = doc.percentageOfNodesToScore === undefined ? 0 : Number(doc.percentageOfNodesToScore);
  if (!Number.isInteger(pct) || pct < 0 || pct > 100) throw new Error(`percentageOfNodesToScore: ${JSON.stringify(doc.percentageOfNodesToScore)} must be 0 to 100`);
  const rawProfiles = (doc.profiles as Record<string, unknown>[] | undefined) ?? [{}];
  const names = new Set<string>();
  const profiles = rawProfiles.map((p, i) => {
    const profile = profileOf(p, i, pct);
    if (names.has(profile.schedulerName)) throw new Error(`profiles[${i}].schedulerName: Duplicate value: ${JSON.stringify(profile.schedulerName)}`);
    names.add(profile.schedulerName);
    return profile;
  });
  const le = (doc.leaderElection ?? {}) as Record<string, unknown>;
  const cc = (doc.clientConnection ?? {}) as Record<string, unknown>;
  return {
    profiles,
    leaderElection: {
      leaderElect: le.leaderElect === undefined ? true : le.leaderElect === true,
      resourceNamespace: String(le.resourceNamespace ?? 'kube-system'),
      resourceName: String(le.resourceName ?? 'kube-scheduler'),
      leaseDurationMs: durationMs(le.leaseDuration, 'leaderElection.leaseDuration', 15_000),
      renewDeadlineMs: durationMs(le.renewDeadline, 'leaderElection.renewDeadline', 10_000),
      retryPeriodMs: durationMs(le.retryPeriod, 'leaderElection.retryPeriod', 2_000),
    },
    ...(typeof cc.kubeconfig === 'string' && cc.kubeconfig ? { kubeconfig: cc.kubeconfig } : {}),
  };
}

function profileOf(p: Record<string, unknown>, i: number, pct: number): Profile {
  const at = `profiles[${i}]`;
  const plugins: Record<string, (string | WeightedPlugin)[]> = Object.fromEntries(POINTS.map((k) => [k, [...DEFAULT_PROFILE.plugins[k]]]));
  const sets = (p.plugins ?? {}) as Record<string, PluginSet>;
  for (const [point, set] of Object.entries(sets)) {
    if (point === 'multiPoint') {
      if (set.enabled?.length) throw new Error(`${at}.plugins.multiPoint.enabled: not supported by kubeling; enable the plugin at each extension point`);
      for (const d of set.disabled ?? []) for (const k of POINTS) plugins[k] = (plugins[k] as (string | WeightedPlugin)[]).filter((x) => d.name !== '*' && (typeof x === 'string' ? x : x.name) !== d.name) as string[];
      continue;
    }
    if (!POINTS.includes(point as keyof ProfilePlugins)) throw new Error(`${at}.plugins.${point}: not an extension point`);
    const key = point as keyof ProfilePlugins;
    let list = plugins[key] as (string | WeightedPlugin)[];
    const nameOf = (x: string | WeightedPlugin): string => (typeof x === 'string' ? x : x.name);
    for (const d of set.disabled ?? []) list = list.filter((x) => d.name !== '*' && nameOf(x) !== d.name);
    for (const e of set.enabled ?? []) {
      if (typeof e?.name !== 'string' || !e.name) throw new Error(`${at}.plugins.${point}.enabled: a plugin needs a name`);
      if (key === 'score') {
        const weight = e.weight ?? 1;
        if (!Number.isInteger(weight) || weight < 1 || weight > 100) throw new Error(`${at}.plugins.score.enabled[${e.name}].weight: ${weight} must be 1 to 100`);
        list = [...list.filter((x) => nameOf(x) !== e.name), { name: e.name, weight }];
      } else if (!list.some((x) => nameOf(x) === e.name)) list = [...list, e.name];
    }
    plugins[key] = list as string[];
  }
  const pluginConfig: Record<string, Record<string, unknown>> = {};
  for (const c of (p.pluginConfig as { name?: string; args?: Record<string, unknown> }[] | undefined) ?? []) {
    if (!c.name) throw new Error(`${at}.pluginConfig: an entry needs a name`);
    pluginConfig[c.name] = c.args ?? {};
  }
  return {
    schedulerName: typeof p.schedulerName === 'string' && p.schedulerName ? p.schedulerName : 'default-scheduler',
    plugins: plugins as unknown as ProfilePlugins,
    pluginConfig,
    percentageOfNodesToScore: p.percentageOfNodesToScore === undefined ? pct : Number(p.percentageOfNodesToScore),
  };
}
