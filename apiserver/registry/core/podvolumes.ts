/**
 * Validation of a pod spec's volumes (Kubernetes' ValidateVolumes): unique
 * DNS-label names, exactly one source, and the fields of the sources pods
 * commonly use. Other sources count as a source and are not checked further.
 */
import { dns1123Label, invalid, required } from '../../api/meta.js';
import { quantityNanos } from '../../api/quantity.js';
import { VOLUME_SOURCES } from '../../api/core/volume.js';
import type { FieldError } from '../errors.js';
import { duplicate, forbidden, invalidValue, isSet, notSupported, rec, recs, str } from './fielderrors.js';
import { localDescendingPath, validateFieldRef } from './podcontainers.js';

const FILE_MODE = 'must be a number between 0 and 0777 (octal), both inclusive';
const HOST_PATH_TYPES = ['', 'BlockDevice', 'CharDevice', 'Directory', 'DirectoryOrCreate', 'File', 'FileOrCreate', 'Socket'];
const VOLUME_FIELD_PATHS = ['metadata.annotations', 'metadata.labels', 'metadata.name', 'metadata.namespace', 'metadata.uid'];
/** The error paths of sources whose name in the path differs from the JSON key. */
const SOURCE_PATH: Readonly<Record<string, string>> = { cephfs: 'cephFS', downwardAPI: 'downwarAPI' };

/** The names of the valid volumes (mounts may refer to them) and the volumes' errors. */
export function validateVolumes(volumes: unknown, path: string): { names: Set<string>; errs: FieldError[] } {
  const names = new Set<string>();
  const errs: FieldError[] = [];
  recs(volumes).forEach((v, i) => {
    const p = `${path}[${i}]`;
    const el = validateSource(v, p);
    const name = str(v.name);
    if (!name) el.push(required(`${p}.name`));
    else el.push(...dns1123Label(name).map((e) => invalid(`${p}.name`, name, e)));
    if (names.has(name)) el.push(duplicate(`${p}.name`, name));
    if (el.length === 0) names.add(name);
    errs.push(...el);
  });
  return { names, errs };
}

function validateSource(v: Record<string, unknown>, p: string): FieldError[] {
  const errs: FieldError[] = [];
  let n = 0;
  for (const source of VOLUME_SOURCES) {
    if (!isSet(v[source])) continue;
    if (n++ > 0) {
      errs.push(forbidden(`${p}.${SOURCE_PATH[source] ?? source}`, 'may not specify more than 1 volume type'));
      continue;
    }
    errs.push(...validateSourceFields(source, rec(v[source]), `${p}.${source}`));
  }
  if (n === 0) errs.push(required(p, 'must specify a volume type'));
  return errs;
}

function validateSourceFields(source: string, s: Record<string, unknown>, p: string): FieldError[] {
  const errs: FieldError[] = [];
  const requireField = (f: string): void => {
    if (!str(s[f])) errs.push(required(`${p}.${f}`));
  };
  switch (source) {
    case 'emptyDir': {
      const limit = quantityNanos(s.sizeLimit);
      if (limit !== undefined && limit < 0n) errs.push(forbidden(`${p}.sizeLimit`, 'SizeLimit field must be a valid resource quantity'));
      break;
    }
    case 'hostPath': {
      const path = str(s.path);
      if (!path) return [required(`${p}.path`)];
      if (path.split('/').includes('..')) errs.push(invalid(`${p}.path`, path, "must not contain '..'"));
      if (isSet(s.type) && !HOST_PATH_TYPES.includes(str(s.type))) errs.push(notSupported(`${p}.type`, s.type, HOST_PATH_TYPES));
      break;
    }
    case 'secret':
    case 'configMap':
      requireField(source === 'secret' ? 'secretName' : 'name');
      errs.push(...fileMode(s.defaultMode, `${p}.defaultMode`));
      recs(s.items).forEach((kp, i) => errs.push(...keyToPath(kp, `${p}.items[${i}]`)));
      break;
    case 'persistentVolumeClaim':
      requireField('claimName');
      break;
    case 'nfs':
      requireField('server');
      requireField('path');
      if (!str(s.path).startsWith('/')) errs.push(invalid(`${p}.path`, str(s.path), 'must be an absolute path'));
      break;
    case 'downwardAPI':
      errs.push(...fileMode(s.defaultMode, `${p}.defaultMode`));
      for (const file of recs(s.items)) errs.push(...downwardAPIFile(file, p));
      break;
    case 'projected':
      errs.push(...fileMode(s.defaultMode, `${p}.defaultMode`));
      errs.push(...projectionSources(recs(s.sources), p));
      break;
    case 'csi':
      if (!str(s.driver)) errs.push(required(`${p}.driver`));
      break;
    case 'ephemeral':
      if (!isSet(s.volumeClaimTemplate)) errs.push(required(`${p}.volumeClaimTemplate`));
      break;
  }
  return errs;
}

function fileMode(mode: unknown, field: string): FieldError[] {
  return typeof mode === 'number' && (mode < 0 || mode > 0o777) ? [invalidValue(field, mode, FILE_MODE)] : [];
}

/** ValidateLocalNonReservedPath: relative, no `..` elements, not starting with `..`. */
function localNonReservedPath(target: string, field: string): FieldError[] {
  const errs = localDescendingPath(target, field);
  if (target.startsWith('..') && !target.startsWith('../')) errs.push(invalid(field, target, "must not start with '..'"));
  return errs;
}

function keyToPath(kp: Record<string, unknown>, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(kp.key)) errs.push(required(`${p}.key`));
  if (!str(kp.path)) errs.push(required(`${p}.path`));
  errs.push(...localNonReservedPath(str(kp.path), `${p}.path`));
  errs.push(...fileMode(kp.mode, `${p}.mode`));
  return errs;
}

/** A downwardAPI volume file; Kubernetes reports these at the volume source's path, not the item's. */
function downwardAPIFile(file: Record<string, unknown>, p: string): FieldError[] {
  const errs: FieldError[] = [];
  if (!str(file.path)) errs.push(required(`${p}.path`));
  errs.push(...localNonReservedPath(str(file.path), `${p}.path`));
  if (isSet(file.fieldRef)) {
    errs.push(...validateFieldRef(rec(file.fieldRef), `${p}.fieldRef`, VOLUME_FIELD_PATHS));
    if (isSet(file.resourceFieldRef)) errs.push(invalid(p, 'resource', 'fieldRef and resourceFieldRef can not be specified simultaneously'));
  } else if (isSet(file.resourceFieldRef)) {
    const ref = rec(file.resourceFieldRef);
    if (!str(ref.containerName)) errs.push(required(`${p}.resourceFieldRef.containerName`));
    else if (!str(ref.resource)) errs.push(required(`${p}.resourceFieldRef.resource`));
  } else {
    errs.push(required(p, 'one of fieldRef and resourceFieldRef is required'));
  }
  errs.push(...fileMode(file.mode, `${p}.mode`));
  return errs;
}

function projectionSources(sources: Record<string, unknown>[], p: string): FieldError[] {
  const errs: FieldError[] = [];
  const paths = new Set<string>();
  const claim = (path: string, shownValue: string): void => {
    if (paths.has(path)) errs.push(invalid(p, shownValue, 'conflicting duplicate paths'));
    else paths.add(path);
  };
  sources.forEach((src, i) => {
    const sp = `${p}.sources[${i}]`;
    let n = 0;
    for (const kind of ['secret', 'configMap'] as const) {
      if (!isSet(src[kind])) continue;
      n++;
      const s = rec(src[kind]);
      if (!str(s.name)) errs.push(required(`${sp}.${kind}.name`));
      recs(s.items).forEach((kp, j) => {
        errs.push(...keyToPath(kp, `${sp}.${kind}.items[${j}]`));
        if (str(kp.path)) claim(str(kp.path), str(s.name));
      });
    }
    if (isSet(src.downwardAPI)) {
      n++;
      for (const file of recs(rec(src.downwardAPI).items)) {
        errs.push(...downwardAPIFile(file, `${sp}.downwardAPI`));
        if (str(file.path)) claim(str(file.path), str(file.path));
      }
    }
    if (isSet(src.serviceAccountToken)) {
      n++;
      const t = rec(src.serviceAccountToken);
      const exp = typeof t.expirationSeconds === 'number' ? t.expirationSeconds : 0;
      const ep = `${sp}.serviceAccountToken.expirationSeconds`;
      if (exp < 600) errs.push(invalidValue(ep, exp, 'may not specify a duration less than 10 minutes'));
      if (exp > 2 ** 32) errs.push(invalidValue(ep, exp, 'may not specify a duration larger than 2^32 seconds'));
      // Kubernetes reports the token's path at the projected volume's path
      if (!str(t.path)) errs.push(required(`${p}.path`));
      else errs.push(...localNonReservedPath(str(t.path), `${p}.path`));
    }
    if (isSet(src.clusterTrustBundle)) n++;
    if (n > 1) errs.push(forbidden(sp, 'may not specify more than 1 volume type per source'));
  });
  return errs;
}
