/**
 * core/v1 Pod and the pod spec pieces that workload kinds embed (Container,
 * PodSpec, PodTemplateSpec, LabelSelector), as zod schemas. Fields a name
 * would be required for in Go (a container's name, a port's containerPort)
 * are optional here all the same: Kubernetes decodes them as empty and its
 * validation reports them (`spec.containers[0].name: Required value`).
 */
import { z } from 'zod';
import { ObjectMeta } from '../meta.js';
import { Quantity } from '../quantity.js';
import { LocalObjectReference, ObjectFieldSelector, ResourceFieldSelector, Volume } from './volume.js';

export { DownwardAPIVolumeFile, KeyToPath, LocalObjectReference, ObjectFieldSelector, ResourceFieldSelector, Volume, VolumeProjection } from './volume.js';

const str = z.string().optional();
const int = z.number().int().optional();
const bool = z.boolean().optional();
const list = <T extends z.ZodType>(t: T) => z.array(t).nullable().optional();
const strs = list(z.string());
const strMap = z.record(z.string(), z.string()).nullable().optional();
const intOrString = z.union([z.string(), z.number().int()]);

/** A resource name to quantity map (`cpu: 500m`). */
export const ResourceList = z.record(z.string(), Quantity).nullable().optional();

/** metav1 LabelSelector: matchLabels and matchExpressions (In, NotIn, Exists, DoesNotExist). */
export const LabelSelector = z.object({
  matchLabels: strMap,
  matchExpressions: list(z.object({ key: str, operator: str, values: strs })),
});
/** A parsed LabelSelector. */
export type LabelSelector = z.infer<typeof LabelSelector>;

/** EnvVar: a value, or one taken from a field, a resource, a configMap key or a secret key. */
export const EnvVar = z.object({
  name: str,
  value: str,
  valueFrom: z
    .object({
      fieldRef: ObjectFieldSelector.optional(),
      resourceFieldRef: ResourceFieldSelector.optional(),
      configMapKeyRef: z.object({ name: str, key: str, optional: bool }).optional(),
      secretKeyRef: z.object({ name: str, key: str, optional: bool }).optional(),
    })
    .optional(),
});

/** EnvFromSource: all keys of a configMap or a secret, optionally prefixed. */
export const EnvFromSource = z.object({
  prefix: str,
  configMapRef: z.object({ name: str, optional: bool }).optional(),
  secretRef: z.object({ name: str, optional: bool }).optional(),
});

/** ContainerPort */
export const ContainerPort = z.object({ name: str, hostPort: int, containerPort: int, protocol: str, hostIP: str });

/** ResourceRequirements: limits, requests and (DRA) claims. */
export const ResourceRequirements = z.object({
  limits: ResourceList,
  requests: ResourceList,
  claims: list(z.object({ name: str, request: str })),
});

/** VolumeMount */
export const VolumeMount = z.object({
  name: str,
  readOnly: bool,
  recursiveReadOnly: str,
  mountPath: str,
  subPath: str,
  mountPropagation: str,
  subPathExpr: str,
});

const httpGet = z.object({
  path: str,
  port: intOrString.optional(),
  host: str,
  scheme: str,
  httpHeaders: list(z.object({ name: str, value: str })),
});
const handlers = {
  exec: z.object({ command: strs }).optional(),
  httpGet: httpGet.optional(),
  tcpSocket: z.object({ port: intOrString.optional(), host: str }).optional(),
};

/** Probe: a handler (exec, httpGet, tcpSocket, grpc) and its timing. */
export const Probe = z.object({
  ...handlers,
  grpc: z.object({ port: int, service: z.string().nullable().optional() }).optional(),
  initialDelaySeconds: int,
  timeoutSeconds: int,
  periodSeconds: int,
  successThreshold: int,
  failureThreshold: int,
  terminationGracePeriodSeconds: int,
});

/** LifecycleHandler: a postStart or preStop action. */
export const LifecycleHandler = z.object({ ...handlers, sleep: z.object({ seconds: int }).optional() });

/** Lifecycle */
export const Lifecycle = z.object({ postStart: LifecycleHandler.optional(), preStop: LifecycleHandler.optional() });

const seLinuxOptions = z.object({ user: str, role: str, type: str, level: str }).optional();
const windowsOptions = z.object({ gmsaCredentialSpecName: str, gmsaCredentialSpec: str, runAsUserName: str, hostProcess: bool }).optional();
const profile = z.object({ type: str, localhostProfile: str }).optional();

/** SecurityContext (a container's). */
export const SecurityContext = z.object({
  capabilities: z.object({ add: strs, drop: strs }).optional(),
  privileged: bool,
  seLinuxOptions,
  windowsOptions,
  runAsUser: int,
  runAsGroup: int,
  runAsNonRoot: bool,
  readOnlyRootFilesystem: bool,
  allowPrivilegeEscalation: bool,
  procMount: str,
  seccompProfile: profile,
  appArmorProfile: profile,
});

/** PodSecurityContext (the pod's). */
export const PodSecurityContext = z.object({
  seLinuxOptions,
  windowsOptions,
  runAsUser: int,
  runAsGroup: int,
  runAsNonRoot: bool,
  supplementalGroups: list(z.number().int()),
  supplementalGroupsPolicy: str,
  fsGroup: int,
  sysctls: list(z.object({ name: str, value: str })),
  fsGroupChangePolicy: str,
  seccompProfile: profile,
  appArmorProfile: profile,
  seLinuxChangePolicy: str,
});

const containerFields = {
  name: str,
  image: str,
  command: strs,
  args: strs,
  workingDir: str,
  ports: list(ContainerPort),
  envFrom: list(EnvFromSource),
  env: list(EnvVar),
  resources: ResourceRequirements.optional(),
  resizePolicy: list(z.object({ resourceName: str, restartPolicy: str })),
  restartPolicy: str,
  volumeMounts: list(VolumeMount),
  volumeDevices: list(z.object({ name: str, devicePath: str })),
  livenessProbe: Probe.optional(),
  readinessProbe: Probe.optional(),
  startupProbe: Probe.optional(),
  lifecycle: Lifecycle.optional(),
  terminationMessagePath: str,
  terminationMessagePolicy: str,
  imagePullPolicy: str,
  securityContext: SecurityContext.optional(),
  stdin: bool,
  stdinOnce: bool,
  tty: bool,
};

/** Container (a regular, init or sidecar container; restartPolicy only on init containers). */
export const Container = z.object(containerFields);
/** A parsed Container. */
export type Container = z.infer<typeof Container>;

/** EphemeralContainer: a container added to a running pod for debugging. */
export const EphemeralContainer = z.object({ ...containerFields, targetContainerName: str });

/** NodeSelectorRequirement: a node label (or field) expression. */
export const NodeSelectorRequirement = z.object({ key: str, operator: str, values: strs });
/** NodeSelectorTerm: expressions that must all hold. */
export const NodeSelectorTerm = z.object({ matchExpressions: list(NodeSelectorRequirement), matchFields: list(NodeSelectorRequirement) });
/** NodeSelector: terms of which one must hold. */
export const NodeSelector = z.object({ nodeSelectorTerms: list(NodeSelectorTerm) });

/** PodAffinityTerm */
export const PodAffinityTerm = z.object({
  labelSelector: LabelSelector.nullable().optional(),
  namespaces: strs,
  topologyKey: str,
  namespaceSelector: LabelSelector.nullable().optional(),
  matchLabelKeys: strs,
  mismatchLabelKeys: strs,
});
const weightedPodAffinityTerm = z.object({ weight: int, podAffinityTerm: PodAffinityTerm.optional() });
const podAffinity = z.object({
  requiredDuringSchedulingIgnoredDuringExecution: list(PodAffinityTerm),
  preferredDuringSchedulingIgnoredDuringExecution: list(weightedPodAffinityTerm),
});

/** Affinity: node affinity, pod affinity and pod anti-affinity. */
export const Affinity = z.object({
  nodeAffinity: z
    .object({
      requiredDuringSchedulingIgnoredDuringExecution: NodeSelector.optional(),
      preferredDuringSchedulingIgnoredDuringExecution: list(z.object({ weight: int, preference: NodeSelectorTerm.optional() })),
    })
    .optional(),
  podAffinity: podAffinity.optional(),
  podAntiAffinity: podAffinity.optional(),
});

/** Toleration */
export const Toleration = z.object({ key: str, operator: str, value: str, effect: str, tolerationSeconds: z.number().int().nullable().optional() });

/** TopologySpreadConstraint */
export const TopologySpreadConstraint = z.object({
  maxSkew: int,
  topologyKey: str,
  whenUnsatisfiable: str,
  labelSelector: LabelSelector.nullable().optional(),
  minDomains: z.number().int().nullable().optional(),
  nodeAffinityPolicy: str,
  nodeTaintsPolicy: str,
  matchLabelKeys: strs,
});

/** PodSpec: what every pod (and every pod template) describes. */
export const PodSpec = z.object({
  volumes: list(Volume),
  initContainers: list(Container),
  containers: list(Container),
  ephemeralContainers: list(EphemeralContainer),
  restartPolicy: str,
  terminationGracePeriodSeconds: z.number().int().nullable().optional(),
  activeDeadlineSeconds: z.number().int().nullable().optional(),
  dnsPolicy: str,
  nodeSelector: strMap,
  serviceAccountName: str,
  serviceAccount: str,
  automountServiceAccountToken: bool,
  nodeName: str,
  hostNetwork: bool,
  hostPID: bool,
  hostIPC: bool,
  shareProcessNamespace: bool,
  securityContext: PodSecurityContext.optional(),
  imagePullSecrets: list(LocalObjectReference),
  hostname: str,
  subdomain: str,
  affinity: Affinity.optional(),
  schedulerName: str,
  tolerations: list(Toleration),
  hostAliases: list(z.object({ ip: str, hostnames: strs })),
  priorityClassName: str,
  priority: z.number().int().nullable().optional(),
  dnsConfig: z.object({ nameservers: strs, searches: strs, options: list(z.object({ name: str, value: str })) }).optional(),
  readinessGates: list(z.object({ conditionType: str })),
  runtimeClassName: z.string().nullable().optional(),
  enableServiceLinks: bool,
  preemptionPolicy: z.string().nullable().optional(),
  overhead: ResourceList,
  topologySpreadConstraints: list(TopologySpreadConstraint),
  setHostnameAsFQDN: bool,
  os: z.object({ name: str }).optional(),
  hostUsers: bool,
  schedulingGates: list(z.object({ name: str })),
  resourceClaims: list(z.looseObject({ name: str, resourceClaimName: str, resourceClaimTemplateName: str })),
});
/** A parsed PodSpec. */
export type PodSpec = z.infer<typeof PodSpec>;

/** PodTemplateSpec: the pods a workload makes (metadata and spec). */
export const PodTemplateSpec = z.object({ metadata: ObjectMeta.optional(), spec: PodSpec.optional() });
/** A parsed PodTemplateSpec. */
export type PodTemplateSpec = z.infer<typeof PodTemplateSpec>;

const time = z.string().nullable().optional();

/** ContainerState: exactly one of waiting, running, terminated. */
export const ContainerState = z.object({
  waiting: z.object({ reason: str, message: str }).optional(),
  running: z.object({ startedAt: time }).optional(),
  terminated: z
    .object({ exitCode: int, signal: int, reason: str, message: str, startedAt: time, finishedAt: time, containerID: str })
    .optional(),
});

/** ContainerStatus (written by the kubelet). */
export const ContainerStatus = z.object({
  name: str,
  state: ContainerState.optional(),
  lastState: ContainerState.optional(),
  ready: bool,
  restartCount: int,
  image: str,
  imageID: str,
  containerID: str,
  started: bool,
  allocatedResources: ResourceList,
  resources: ResourceRequirements.optional(),
  volumeMounts: list(z.looseObject({ name: str, mountPath: str })),
  user: z.looseObject({}).optional(),
  allocatedResourcesStatus: list(z.looseObject({ name: str })),
});

/** PodCondition */
export const PodCondition = z.object({ type: str, status: str, lastProbeTime: time, lastTransitionTime: time, reason: str, message: str });

/** PodStatus */
export const PodStatus = z.object({
  phase: str,
  conditions: list(PodCondition),
  message: str,
  reason: str,
  nominatedNodeName: str,
  hostIP: str,
  hostIPs: list(z.object({ ip: str })),
  podIP: str,
  podIPs: list(z.object({ ip: str })),
  startTime: time,
  initContainerStatuses: list(ContainerStatus),
  containerStatuses: list(ContainerStatus),
  qosClass: str,
  ephemeralContainerStatuses: list(ContainerStatus),
  resize: str,
  resourceClaimStatuses: list(z.looseObject({ name: str })),
});

/** v1 Pod */
export const Pod = z.object({
  apiVersion: z.string().optional(),
  kind: z.string().optional(),
  metadata: ObjectMeta,
  spec: PodSpec.optional(),
  status: PodStatus.optional(),
});
/** A parsed Pod. */
export type Pod = z.infer<typeof Pod>;
