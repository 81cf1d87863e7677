/**
 * Kubernetes' protobuf request bodies (`application/vnd.kubernetes.protobuf`),
 * decoded into the JSON object the same request would carry as JSON. kubectl's
 * typed commands (create configmap, create deployment, create token...) send
 * protobuf and do not retry with JSON, so the HTTP layer turns such a body
 * into JSON here and goes on as usual.
 *
 * The wire form: the 4 bytes `k8s\0`, then a `runtime.Unknown` whose typeMeta
 * names the object's apiVersion and kind and whose `raw` is the object's own
 * message. The messages are kubeling's .proto files in ./proto (Kubernetes'
 * package, message and field names and numbers), loaded with protobufjs.
 *
 * Protobuf to JSON, as Kubernetes' JSON codec writes the Go object:
 * - a scalar is kept when it is on the wire, except that a field marked
 *   `(kubeling.omitempty)` is dropped when it holds its zero value (Go writes
 *   every non-pointer scalar; JSON omits the zero ones tagged omitempty);
 * - lists and maps are dropped when empty; a message on the wire is kept,
 *   even empty (`status: {}`, `emptyDir: {}`), and `(kubeling.inline)` merges
 *   its fields into the enclosing object; `json_name` renames a field;
 * - int64 becomes a number, bytes a base64 string;
 * - the types with their own JSON form: Time (RFC 3339 in seconds; a zero
 *   Time, which Go writes as an empty message, is left out as JSON's `null`
 *   would be), MicroTime (RFC 3339 in microseconds), Quantity (its string),
 *   IntOrString (a number or a string), FieldsV1 and RawExtension (their bytes
 *   parsed as JSON).
 */
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';

const PROTO_DIR = fileURLToPath(new URL('./proto/', import.meta.url));
const requireHere = createRequire(import.meta.url);

/** Each group version that has kinds here: its protobuf package, its .proto file and its kinds (besides DeleteOptions). */
const GROUP_VERSIONS: Readonly<Record<string, { readonly pkg: string; readonly file: string; readonly kinds: readonly string[] }>> = {
  v1: { pkg: 'k8s.io.api.core.v1', file: 'core_v1.proto', kinds: ['Namespace', 'ConfigMap', 'Secret', 'Service', 'ServiceAccount', 'Pod', 'Endpoints', 'Event', 'Node'] },
  'apps/v1': { pkg: 'k8s.io.api.apps.v1', file: 'apps_v1.proto', kinds: ['Deployment', 'ReplicaSet', 'DaemonSet'] },
  'batch/v1': { pkg: 'k8s.io.api.batch.v1', file: 'batch_v1.proto', kinds: ['Job'] },
  'scheduling.k8s.io/v1': { pkg: 'k8s.io.api.scheduling.v1', file: 'scheduling_v1.proto', kinds: ['PriorityClass'] },
  'coordination.k8s.io/v1': { pkg: 'k8s.io.api.coordination.v1', file: 'coordination_v1.proto', kinds: ['Lease'] },
  'policy/v1': { pkg: 'k8s.io.api.policy.v1', file: 'policy_v1.proto', kinds: ['Eviction'] },
  'autoscaling/v1': { pkg: 'k8s.io.api.autoscaling.v1', file: 'autoscaling_v1.proto', kinds: ['Scale'] },
  'authentication.k8s.io/v1': { pkg: 'k8s.io.api.authentication.v1', file: 'authentication_v1.proto', kinds: ['TokenRequest', 'SelfSubjectReview'] },
  'authorization.k8s.io/v1': {
    pkg: 'k8s.io.api.authorization.v1',
    file: 'authorization_v1.proto',
    kinds: ['SelfSubjectAccessReview', 'SelfSubjectRulesReview', 'SubjectAccessReview', 'LocalSubjectAccessReview'],
  },
};

const META = 'k8s.io.apimachinery.pkg.apis.meta.v1';
/** The group version of the meta kinds; DeleteOptions may also come in any group version above. */
const META_GROUP_VERSION = 'meta.k8s.io/v1';

/** The 4 bytes before every Kubernetes protobuf body. */
const MAGIC = Buffer.from('k8s\0', 'latin1');
/** The content types a `runtime.Unknown` may declare for its raw bytes. */
const PROTOBUF_CONTENT_TYPES = new Set(['', 'application/vnd.kubernetes.protobuf']);

/** The messages, loaded on first use (the HTTP layer pays for it only when a protobuf body comes). */
let loaded: { root: protobuf.Root; unknown: protobuf.Type } | undefined;

/** The loaded messages and the envelope's type. */
function messages(): NonNullable<typeof loaded> {
  if (loaded) return loaded;
  const root = new protobuf.Root();
  // descriptor.proto (for the kubeling.* field options) is the copy protobufjs ships
  root.resolvePath = (_origin, target) => (target.startsWith('google/protobuf/') ? requireHere.resolve(`protobufjs/${target}`) : PROTO_DIR + target);
  root.loadSync(['runtime.proto', 'meta_v1.proto', ...Object.values(GROUP_VERSIONS).map((gv) => gv.file)], { keepCase: true });
  root.resolveAll();
  loaded = { root, unknown: root.lookupType('k8s.io.apimachinery.pkg.runtime.Unknown') };
  return loaded;
}

/** The message of apiVersion + kind, or undefined when the kind is not decoded here. */
function typeOf(root: protobuf.Root, apiVersion: string, kind: string): protobuf.Type | undefined {
  const gv = Object.hasOwn(GROUP_VERSIONS, apiVersion) ? GROUP_VERSIONS[apiVersion] : undefined;
  if (kind === 'DeleteOptions' && (gv || apiVersion === META_GROUP_VERSION)) return root.lookupType(`${META}.DeleteOptions`);
  return gv?.kinds.includes(kind) ? root.lookupType(`${gv.pkg}.${kind}`) : undefined;
}

/**
 * Why a body was refused. `unsupported`: well-formed, but not something
 * decoded here (an apiVersion/kind without messages, a content encoding or a
 * raw content type other than protobuf), which a server may answer with 415;
 * otherwise the bytes are malformed (400, as Kubernetes answers a body that
 * does not decode).
 */
export class KubeProtobufError extends Error {
  constructor(
    message: string,
    readonly unsupported: boolean,
    options?: ErrorOptions,
  ) {
    super(message, options);
    this.name = 'KubeProtobufError';
  }
}

/**
 * Decodes a Kubernetes protobuf body (magic prefix, runtime.Unknown envelope,
 * the object's message) into the object's JSON form, `apiVersion` and `kind`
 * first. Throws an Error whose message says what is wrong when the prefix is
 * missing, the envelope or the object does not decode, the envelope declares
 * an encoding or content type other than plain protobuf, or apiVersion/kind is
 * not one decoded here: a KubeProtobufError (see there for 415 or 400).
 */
export function decodeKubeProtobuf(body: Buffer): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw new KubeProtobufError('the protobuf body does not start with the Kubernetes prefix "k8s\\x00"', false);
  }
  const { root, unknown } = messages();
  const envelope = decode(unknown, body.subarray(MAGIC.length), 'the runtime.Unknown envelope of the protobuf body');
  const typeMeta = (own(envelope, 'typeMeta') ? envelope.typeMeta : {}) as Record<string, unknown>;
  const apiVersion = typeof typeMeta.apiVersion === 'string' ? typeMeta.apiVersion : '';
  const kind = typeof typeMeta.kind === 'string' ? typeMeta.kind : '';
  const encoding = own(envelope, 'contentEncoding') ? String(envelope.contentEncoding) : '';
  if (encoding !== '') throw new KubeProtobufError(`the protobuf body has content encoding "${encoding}"; only unencoded bodies are supported`, true);
  const contentType = own(envelope, 'contentType') ? String(envelope.contentType) : '';
  if (!PROTOBUF_CONTENT_TYPES.has(contentType)) throw new KubeProtobufError(`the protobuf body's raw object has content type "${contentType}"; only protobuf is supported`, true);
  if (!apiVersion || !kind) throw new KubeProtobufError('the protobuf body does not name its apiVersion and kind', false);
  const type = typeOf(root, apiVersion, kind);
  if (!type) throw new KubeProtobufError(`no protobuf decoding for apiVersion "${apiVersion}", kind "${kind}"`, true);
  const raw = own(envelope, 'raw') ? (envelope.raw as Uint8Array) : new Uint8Array(0);
  const object = decode(type, raw, `the ${kind} in the protobuf body`);
  return { apiVersion, kind, ...objectToJson(type, object) };
}

type Message = Record<string, unknown>;

/** Whether the decoder set the field (protobufjs keeps unset fields' defaults on the prototype). */
function own(m: object, field: string): boolean {
  return Object.prototype.hasOwnProperty.call(m, field);
}

/** type.decode with its wire errors turned into one readable Error. */
function decode(type: protobuf.Type, bytes: Uint8Array, what: string): Message {
  try {
    return type.decode(bytes) as unknown as Message;
  } catch (e) {
    throw new KubeProtobufError(`${what} does not decode as ${type.fullName.slice(1)}: ${e instanceof Error ? e.message : String(e)}`, false, { cause: e });
  }
}

/** The JSON forms of the types that have their own, keyed by full name; undefined stands for JSON null (left out). */
const SPECIAL: Readonly<Record<string, (m: Message) => unknown>> = {
  [`.${META}.Time`]: (m) => (isZeroTime(m) ? undefined : rfc3339(int(m.seconds), 0)),
  [`.${META}.MicroTime`]: (m) => (isZeroTime(m) ? undefined : rfc3339(int(m.seconds), Math.floor(int(m.nanos) / 1000), 6)),
  '.k8s.io.apimachinery.pkg.api.resource.Quantity': (m) => (own(m, 'string') && m.string !== '' ? m.string : '0'),
  '.k8s.io.apimachinery.pkg.util.intstr.IntOrString': (m) => (int(m.type) === 1 ? (own(m, 'strVal') ? m.strVal : '') : own(m, 'intVal') ? int(m.intVal) : 0),
  [`.${META}.FieldsV1`]: (m) => rawJson(m, 'Raw', 'FieldsV1'),
  '.k8s.io.apimachinery.pkg.runtime.RawExtension': (m) => rawJson(m, 'raw', 'RawExtension'),
};

/** Go writes a zero Time as an empty message. */
function isZeroTime(m: Message): boolean {
  return !own(m, 'seconds') && !own(m, 'nanos');
}

/** UTC RFC 3339 of a Unix time, with `digits` digits of `fraction` (microseconds) when digits > 0. */
function rfc3339(seconds: number, fraction: number, digits = 0): string {
  const iso = new Date(seconds * 1000).toISOString(); // 2024-01-02T03:04:05.000Z
  const whole = iso.slice(0, iso.indexOf('.'));
  return digits > 0 ? `${whole}.${String(fraction).padStart(digits, '0')}Z` : `${whole}Z`;
}

/** A field holding JSON bytes, parsed; an empty one is JSON null (left out). */
function rawJson(m: Message, field: string, what: string): unknown {
  const bytes = own(m, field) ? (m[field] as Uint8Array) : undefined;
  if (!bytes || bytes.length === 0) return undefined;
  try {
    return JSON.parse(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length).toString('utf8')) as unknown;
  } catch (e) {
    throw new KubeProtobufError(`a ${what} in the protobuf body does not hold JSON: ${e instanceof Error ? e.message : String(e)}`, false, { cause: e });
  }
}

/** An integer field's value as a number (protobufjs hands int64 over as a Long). */
function int(v: unknown): number {
  if (typeof v === 'number') return v;
  if (typeof v === 'object' && v !== null && 'low' in v) return protobuf.util.LongBits.from(v as protobuf.Long).toNumber((v as protobuf.Long).unsigned);
  return Number(v ?? 0);
}

/** The JSON form of a decoded message of `type`; undefined for JSON null. */
function messageToJson(type: protobuf.Type, m: Message): unknown {
  const special = SPECIAL[type.fullName];
  return special ? special(m) : objectToJson(type, m);
}

/** The JSON object of a decoded message of `type`, a type without a JSON form of its own. */
function objectToJson(type: protobuf.Type, m: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const field of type.fieldsArray) {
    const v = m[field.name];
    const name = typeof field.options?.json_name === 'string' ? field.options.json_name : field.name;
    if (field.map) {
      const entries = Object.entries(v as Record<string, unknown>);
      if (entries.length > 0) out[name] = Object.fromEntries(entries.map(([k, x]) => [k, valueToJson(field, x)]));
    } else if (field.repeated) {
      const items = v as unknown[];
      if (items.length > 0) out[name] = items.map((x) => valueToJson(field, x));
    } else if (own(m, field.name)) {
      const json = valueToJson(field, v);
      if (json === undefined || (field.options?.['(kubeling.omitempty)'] === true && isZero(json))) continue;
      if (field.options?.['(kubeling.inline)'] === true) Object.assign(out, json);
      else out[name] = json;
    }
  }
  return out;
}

/** The JSON form of one value of `field` (one item of a list or map, or the field's value). */
function valueToJson(field: protobuf.Field, v: unknown): unknown {
  if (field.resolvedType instanceof protobuf.Type) return messageToJson(field.resolvedType, v as Message);
  if (field.resolvedType) throw new Error(`field ${field.fullName}: enums are not used by Kubernetes' messages`);
  switch (field.type) {
    case 'bytes':
      return Buffer.from(v as Uint8Array).toString('base64');
    case 'int64':
    case 'uint64':
    case 'sint64':
    case 'fixed64':
    case 'sfixed64':
      return int(v);
    default:
      return v;
  }
}

/** The zero value of a scalar's JSON form ("" also stands for empty bytes). */
function isZero(v: unknown): boolean {
  return v === '' || v === 0 || v === false;
}
