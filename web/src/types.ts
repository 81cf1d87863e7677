/**
 * The shapes the dashboard reads: the inspection API's bodies (web/README.md
 * is their contract) and the few Kubernetes objects the cluster view needs,
 * loosely (only the fields it reads; all optional, as the server may omit
 * them).
 */

/** A Kubernetes Status: every error answer of the API server. */
export interface Status {
  kind?: 'Status';
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; causes?: { message?: string; field?: string }[] };
}

// ---- /ui/api/store

/** One child of GET /ui/api/store/tree: the next path segment under the prefix. */
export interface TreeChild {
  name: string;
  key: string;
  count: number;
  isKey: boolean;
}

/** GET /ui/api/store/tree?prefix=P. */
export interface TreeResponse {
  prefix: string;
  revision: number;
  children: TreeChild[];
  truncated?: boolean;
}

/** How a stored value reads: JSON (Kubernetes objects), text, or bytes in base64. */
export type ValueEncoding = 'json' | 'text' | 'base64';

/** GET /ui/api/store/key?key=K[&revision=R]. */
export interface KeyResponse {
  key: string;
  value: unknown;
  valueEncoding: ValueEncoding;
  createRevision: number;
  modRevision: number;
  version: number;
  lease: number | string;
  revision: number;
}

/** One version in GET /ui/api/store/history. */
export interface KeyVersion {
  modRevision: number;
  createRevision: number;
  version: number;
  value: unknown;
  valueEncoding: ValueEncoding;
  deleted: boolean;
}

/** GET /ui/api/store/history?key=K. */
export interface HistoryResponse {
  key: string;
  revision: number;
  compactRevision?: number;
  versions: KeyVersion[];
}

/** A message of WebSocket /ui/api/store/watch. */
export interface StoreEvent {
  type: 'put' | 'delete';
  key: string;
  modRevision: number;
  createRevision: number;
  version: number;
}

// ---- /ui/api/raft

/** A member's role as the API server sees it. */
export type RaftRole = 'leader' | 'follower' | 'learner' | 'unreachable';

/** One store member in GET /ui/api/raft. */
export interface RaftMember {
  id: string;
  name: string;
  clientURLs: string[];
  peerURLs: string[];
  isLearner: boolean;
  reachable: boolean;
  role: RaftRole;
  term?: number;
  leader?: string;
  commitIndex?: number;
  appliedIndex?: number;
  dbSize?: number;
  error?: string;
  /** With a supervisor: whether it holds the member stopped. */
  stopped?: boolean;
}

/** GET /ui/api/raft, and each message of its watch. */
export interface RaftState {
  members: RaftMember[];
  leader?: string;
  canStopMembers: boolean;
}

// ---- /ui/api/flow

/** A watch event of a write sent to a watcher. */
export interface Delivery {
  /** The watcher's component (`kube-scheduler`, `kube-controller-manager`, `kubelet` ...). */
  component: string;
  userAgent: string;
  /** The watcher's user name. */
  user?: string;
  /** The resource it watches. */
  resource: string;
  /** The event's type as this watcher saw it. */
  type?: string;
  /** Milliseconds after the write's request arrived. */
  atMs: number;
}

/** An owner reference of the written object. */
export interface OwnerRef {
  kind: string;
  name: string;
  uid: string;
}

/** One API write, who made it, and who got its watch events. */
export interface FlowEntry {
  seq: number;
  time: string;
  durationMs: number;
  verb: string;
  resource: string;
  subresource?: string;
  namespace?: string;
  name: string;
  uid?: string;
  kind?: string;
  code: number;
  user: string;
  userAgent: string;
  component: string;
  revision?: number;
  owners: OwnerRef[];
  summary?: string;
  /** The seq of the entry this write answers (the recorder's own reading of "which component reacted"). */
  cause?: number;
  deliveries: Delivery[];
  /** Deliveries the recorder counted but did not keep. */
  moreDeliveries?: number;
}

/** GET /ui/api/flow?since=SEQ. */
export interface FlowPage {
  entries: FlowEntry[];
  next: number;
}

// ---- Kubernetes objects (the fields the dashboard reads)

/** Object metadata. */
export interface ObjectMeta {
  name?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  labels?: Record<string, string>;
  ownerReferences?: { kind?: string; name?: string; uid?: string; controller?: boolean }[];
}

/** Any Kubernetes object. */
export interface KubeObject {
  apiVersion?: string;
  kind?: string;
  metadata?: ObjectMeta;
}

/** A condition of a status. */
export interface Condition {
  type?: string;
  status?: string;
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

/** Resource amounts by name (cpu, memory, pods). */
export type ResourceList = Record<string, string | number | undefined>;

/** A container: only its resources matter here. */
export interface Container {
  name?: string;
  resources?: { requests?: ResourceList; limits?: ResourceList };
}

/** v1 Pod. */
export interface Pod extends KubeObject {
  spec?: { nodeName?: string; containers?: Container[]; initContainers?: Container[]; overhead?: ResourceList; schedulerName?: string };
  status?: { phase?: string; conditions?: Condition[]; reason?: string; message?: string; podIP?: string; nominatedNodeName?: string };
}

/** v1 Node. */
export interface KubeNode extends KubeObject {
  spec?: { unschedulable?: boolean; taints?: { key?: string; value?: string; effect?: string }[] };
  status?: { capacity?: ResourceList; allocatable?: ResourceList; conditions?: Condition[] };
}

/** apps/v1 Deployment. */
export interface Deployment extends KubeObject {
  spec?: { replicas?: number; paused?: boolean; strategy?: { type?: string } };
  status?: {
    observedGeneration?: number;
    replicas?: number;
    updatedReplicas?: number;
    readyReplicas?: number;
    availableReplicas?: number;
    unavailableReplicas?: number;
    conditions?: Condition[];
  };
}

/** A watch event of the Kubernetes API. */
export interface WatchEvent<T> {
  type: 'ADDED' | 'MODIFIED' | 'DELETED' | 'BOOKMARK' | 'ERROR';
  object: T;
}

/** A list of the Kubernetes API. */
export interface KubeList<T> {
  metadata?: { resourceVersion?: string };
  items?: T[];
}
