/**
 * core/v1 Volume and its sources, as zod schemas. The sources manifests use
 * (emptyDir, hostPath, configMap, secret, persistentVolumeClaim, projected,
 * downwardAPI, nfs, csi, ephemeral) are modelled; a volume keeps any other
 * source (iscsi, rbd, gitRepo...) as given.
 */
import { z } from 'zod';
import { Quantity } from '../quantity.js';

const str = z.string().optional();
const int = z.number().int().optional();
const bool = z.boolean().optional();
const list = <T extends z.ZodType>(t: T) => z.array(t).nullable().optional();
const strMap = z.record(z.string(), z.string()).nullable().optional();

/** ObjectFieldSelector: a pod field (`metadata.name`) for the downward API. */
export const ObjectFieldSelector = z.object({ apiVersion: str, fieldPath: str });

/** ResourceFieldSelector: a container's resource (`limits.cpu`) for the downward API. */
export const ResourceFieldSelector = z.object({ containerName: str, resource: str, divisor: Quantity.optional() });

/** KeyToPath: a configMap or secret key projected to a file. */
export const KeyToPath = z.object({ key: str, path: str, mode: int });

/** LocalObjectReference: a named object in the pod's namespace. */
export const LocalObjectReference = z.object({ name: str });

/** DownwardAPIVolumeFile */
export const DownwardAPIVolumeFile = z.object({ path: str, fieldRef: ObjectFieldSelector.optional(), resourceFieldRef: ResourceFieldSelector.optional(), mode: int });

/** ServiceAccountTokenProjection */
export const ServiceAccountTokenProjection = z.object({ audience: str, expirationSeconds: int, path: str });

/** VolumeProjection: one source of a projected volume. */
export const VolumeProjection = z.object({
  secret: z.object({ name: str, items: list(KeyToPath), optional: bool }).optional(),
  configMap: z.object({ name: str, items: list(KeyToPath), optional: bool }).optional(),
  downwardAPI: z.object({ items: list(DownwardAPIVolumeFile) }).optional(),
  serviceAccountToken: ServiceAccountTokenProjection.optional(),
  clusterTrustBundle: z.looseObject({ name: str, signerName: str, path: str, optional: bool }).optional(),
});

/** Volume: a name and one source. */
export const Volume = z.looseObject({
  name: str,
  emptyDir: z.object({ medium: str, sizeLimit: Quantity.optional() }).optional(),
  hostPath: z.object({ path: str, type: str }).optional(),
  configMap: z.object({ name: str, items: list(KeyToPath), defaultMode: int, optional: bool }).optional(),
  secret: z.object({ secretName: str, items: list(KeyToPath), defaultMode: int, optional: bool }).optional(),
  persistentVolumeClaim: z.object({ claimName: str, readOnly: bool }).optional(),
  projected: z.object({ sources: list(VolumeProjection), defaultMode: int }).optional(),
  downwardAPI: z.object({ items: list(DownwardAPIVolumeFile), defaultMode: int }).optional(),
  nfs: z.object({ server: str, path: str, readOnly: bool }).optional(),
  csi: z
    .object({ driver: str, readOnly: bool, fsType: str, volumeAttributes: strMap, nodePublishSecretRef: LocalObjectReference.optional() })
    .optional(),
  ephemeral: z.object({ volumeClaimTemplate: z.looseObject({ metadata: z.looseObject({}).optional(), spec: z.looseObject({}).optional() }).optional() }).optional(),
});
/** A parsed Volume. */
export type Volume = z.infer<typeof Volume>;

/**
 * The JSON names of the volume sources, in the order Kubernetes' validation
 * counts them (the second one set is the one reported).
 */
export const VOLUME_SOURCES = [
  'emptyDir',
  'hostPath',
  'gitRepo',
  'gcePersistentDisk',
  'awsElasticBlockStore',
  'secret',
  'nfs',
  'iscsi',
  'glusterfs',
  'flocker',
  'persistentVolumeClaim',
  'rbd',
  'cinder',
  'cephfs',
  'quobyte',
  'downwardAPI',
  'fc',
  'flexVolume',
  'configMap',
  'azureFile',
  'vsphereVolume',
  'photonPersistentDisk',
  'portworxVolume',
  'azureDisk',
  'storageos',
  'projected',
  'scaleIO',
  'csi',
  'ephemeral',
  'image',
] as const;
