/**
 * The protobuf codec of etcd's v3 API: loads proto/*.proto with protobufjs
 * and converts between wire bytes and plain objects.
 *
 * Decode conventions (what handlers receive, and what encode accepts):
 * - property names are the protoc JSON names: snake_case becomes camelCase
 *   (range_end → rangeEnd, remaining_TTL → remainingTTL), names that are
 *   already camel or upper case stay (TTL, ID, peerURLs, dbSize);
 * - int64/uint64 (and int32/uint32) are JS numbers; a 64-bit value outside
 *   ±(2^53-1) is refused with INVALID_ARGUMENT rather than rounded;
 * - bytes are fresh Uint8Array copies (never a Buffer view into the frame);
 * - enums are their numbers (unknown numbers are kept, as proto3 does);
 * - proto3 presence: a scalar or repeated field is always present, with its
 *   zero value when absent on the wire (0, false, '', empty Uint8Array, []);
 *   a message field is undefined when absent; a oneof carries only its set
 *   member (RequestOp → { requestPut: {...} }), which may hold a zero value.
 *
 * Encode takes the same shapes; undefined/null fields are skipped, zero
 * scalars outside oneofs are not written (canonical proto3), a set oneof
 * member is written even when zero. A value of the wrong type, or an
 * unsafe integer, is a programming error: GrpcError INTERNAL.
 */
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import protobuf from 'protobufjs';
import type { Enum, Field, Type } from 'protobufjs';
import { GrpcError, Status } from './status.js';

/** A decoded message: field name (camelCase) → value, per the conventions above. */
export type Message = Record<string, unknown>;

/** How a field's values are represented. */
export type FieldKind = 'int64' | 'uint64' | 'int32' | 'uint32' | 'bool' | 'string' | 'bytes' | 'enum' | 'message';

/** A proto enum, with the Go type name etcd's JSON errors mention. */
export interface EnumInfo {
  readonly fullName: string;
  /** e.g. etcdserverpb.RangeRequest_SortOrder */
  readonly goName: string;
  readonly nameOf: ReadonlyMap<number, string>;
  readonly numberOf: ReadonlyMap<string, number>;
}

/** One field of a message. */
export interface FieldInfo {
  /** As written in the .proto (range_end, TTL): the gateway's JSON output name. */
  readonly name: string;
  /** The protoc JSON name (rangeEnd, TTL): the property name of decoded objects. */
  readonly jsonName: string;
  readonly id: number;
  readonly kind: FieldKind;
  readonly repeated: boolean;
  /** The oneof this field belongs to, if any. */
  readonly oneof: string | undefined;
  readonly enumType: EnumInfo | undefined;
  /** Set for kind 'message'; a getter because message types may be recursive. */
  readonly messageType: MessageInfo | undefined;
}

/** A message type and its fields in declaration order. */
export interface MessageInfo {
  /** e.g. etcdserverpb.RangeRequest */
  readonly fullName: string;
  readonly fields: readonly FieldInfo[];
}

/** One RPC of a service. */
export interface MethodInfo {
  /** The HTTP/2 :path, e.g. /etcdserverpb.KV/Range. */
  readonly path: string;
  /** e.g. etcdserverpb.KV */
  readonly service: string;
  /** e.g. Range */
  readonly name: string;
  readonly request: MessageInfo;
  readonly response: MessageInfo;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

/** The directory holding rpc.proto, kv.proto and auth.proto. */
export const PROTO_DIR = join(dirname(fileURLToPath(import.meta.url)), 'proto');

const SCALAR_KINDS: Readonly<Record<string, FieldKind>> = {
  int64: 'int64', sint64: 'int64', sfixed64: 'int64',
  uint64: 'uint64', fixed64: 'uint64',
  int32: 'int32', sint32: 'int32', sfixed32: 'int32',
  uint32: 'uint32', fixed32: 'uint32',
  bool: 'bool', string: 'string', bytes: 'bytes',
};

interface LongLike {
  toNumber(): number;
  toString(): string;
}

/** Loaded protos: method table, message reflection, encode and decode. */
export class ProtoCodec {
  /** Every RPC of every service, by :path. */
  readonly methods: ReadonlyMap<string, MethodInfo>;
  readonly #messages = new Map<string, MessageInfo>();
  readonly #types = new Map<MessageInfo, Type>();
  readonly #enums = new Map<string, EnumInfo>();
  readonly #root: protobuf.Root;

  private constructor(root: protobuf.Root) {
    this.#root = root;
    const methods = new Map<string, MethodInfo>();
    const visit = (ns: protobuf.NamespaceBase): void => {
      for (const obj of ns.nestedArray) {
        if (obj instanceof protobuf.Service) {
          const service = obj.fullName.slice(1);
          for (const m of obj.methodsArray) {
            const path = `/${service}/${m.name}`;
            methods.set(path, {
              path, service, name: m.name,
              request: this.message(m.resolvedRequestType!.fullName.slice(1)),
              response: this.message(m.resolvedResponseType!.fullName.slice(1)),
              requestStream: m.requestStream === true,
              responseStream: m.responseStream === true,
            });
          }
        } else if (obj instanceof protobuf.Namespace && !(obj instanceof protobuf.Type)) {
          visit(obj);
        }
      }
    };
    visit(root);
    this.methods = methods;
  }

  /** Parses `files` (imports resolved inside `dir`); throws if any is missing or invalid. */
  static load(dir: string = PROTO_DIR, files: readonly string[] = ['rpc.proto']): ProtoCodec {
    const root = new protobuf.Root();
    root.resolvePath = (_origin, target) => join(dir, target);
    root.loadSync([...files], { keepCase: true });
    root.resolveAll();
    return new ProtoCodec(root);
  }

  /** The method served at `path`, or undefined. */
  method(path: string): MethodInfo | undefined {
    return this.methods.get(path);
  }

  /** A message type by full name (etcdserverpb.RangeRequest); throws if unknown. */
  message(fullName: string): MessageInfo {
    const known = this.#messages.get(fullName);
    if (known) return known;
    const type = this.#root.lookupType(fullName);
    const fields: FieldInfo[] = [];
    const info: MessageInfo = { fullName, fields };
    this.#messages.set(fullName, info); // before the fields: types may be recursive
    this.#types.set(info, type);
    for (const f of type.fieldsArray) fields.push(this.#field(f));
    return info;
  }

  /** Encodes `value` (shapes as in the module comment) as `type`. */
  encode(type: MessageInfo | string, value: object): Uint8Array {
    const info = typeof type === 'string' ? this.message(type) : type;
    try {
      return this.#types.get(info)!.encode(toProto(info, value as Message, info.fullName)).finish();
    } catch (err) {
      if (err instanceof GrpcError) throw err;
      throw new GrpcError(Status.INTERNAL, `grpc: error while marshaling: ${(err as Error).message}`);
    }
  }

  /** Decodes `bytes` as `type`; malformed input is INTERNAL, an unsafe integer INVALID_ARGUMENT. */
  decode(type: MessageInfo | string, bytes: Uint8Array): Message {
    const info = typeof type === 'string' ? this.message(type) : type;
    let raw: Record<string, unknown>;
    try {
      raw = this.#types.get(info)!.decode(bytes) as unknown as Record<string, unknown>;
    } catch (err) {
      throw new GrpcError(Status.INTERNAL, `grpc: error unmarshalling request: ${(err as Error).message}`);
    }
    return fromProto(info, raw, info.fullName);
  }

  #field(f: Field): FieldInfo {
    const resolved = f.resolvedType;
    let kind: FieldKind;
    let enumType: EnumInfo | undefined;
    let messageName: string | undefined;
    if (resolved instanceof protobuf.Type) {
      kind = 'message';
      messageName = resolved.fullName.slice(1);
    } else if (resolved instanceof protobuf.Enum) {
      kind = 'enum';
      enumType = this.#enum(resolved);
    } else {
      const k = SCALAR_KINDS[f.type];
      if (k === undefined) throw new Error(`${f.fullName}: unsupported field type ${f.type}`);
      kind = k;
    }
    const lookup = (name: string): MessageInfo => this.message(name);
    return {
      name: f.name,
      jsonName: protobuf.util.jsonName(f.name),
      id: f.id,
      kind,
      repeated: f.repeated,
      oneof: f.partOf?.name,
      enumType,
      get messageType() {
        return messageName === undefined ? undefined : lookup(messageName);
      },
    };
  }

  #enum(e: Enum): EnumInfo {
    const fullName = e.fullName.slice(1);
    const known = this.#enums.get(fullName);
    if (known) return known;
    const [pkg, ...path] = fullName.split('.');
    const info: EnumInfo = {
      fullName,
      goName: `${pkg}.${path.join('_')}`,
      nameOf: new Map(Object.entries(e.values).map(([name, n]) => [n, name])),
      numberOf: new Map(Object.entries(e.values)),
    };
    this.#enums.set(fullName, info);
    return info;
  }
}

let shared: ProtoCodec | undefined;

/** The codec of the etcd protos beside this module, loaded on first use and shared. */
export function etcdCodec(): ProtoCodec {
  shared ??= ProtoCodec.load();
  return shared;
}

/** The zero value a proto3 scalar field decodes to when absent. */
export function zeroOf(kind: FieldKind): unknown {
  switch (kind) {
    case 'bool':
      return false;
    case 'string':
      return '';
    case 'bytes':
      return new Uint8Array(0);
    case 'message':
      return undefined;
    case 'int64':
    case 'uint64':
    case 'int32':
    case 'uint32':
    case 'enum':
      return 0;
  }
}

/** Whether `v` is the zero value of `kind` (what canonical proto3 and jsonpb leave out). */
export function isZero(kind: FieldKind, v: unknown): boolean {
  if (kind === 'bytes') return (v as Uint8Array).length === 0;
  return v === zeroOf(kind);
}

function fromProto(info: MessageInfo, raw: Record<string, unknown>, path: string): Message {
  const out: Message = {};
  for (const f of info.fields) {
    const present = Object.hasOwn(raw, f.name) && raw[f.name] != null;
    const where = `${path}.${f.name}`;
    if (f.repeated) {
      out[f.jsonName] = present ? (raw[f.name] as unknown[]).map((v) => fromValue(f, v, where)) : [];
    } else if (present) {
      out[f.jsonName] = fromValue(f, raw[f.name], where);
    } else if (f.oneof === undefined && f.kind !== 'message') {
      out[f.jsonName] = zeroOf(f.kind);
    }
  }
  return out;
}

function fromValue(f: FieldInfo, v: unknown, where: string): unknown {
  switch (f.kind) {
    case 'int64':
    case 'uint64': {
      if (typeof v === 'number') return checkSafe(v, String(v), where);
      const long = v as LongLike;
      return checkSafe(long.toNumber(), long.toString(), where);
    }
    case 'bytes':
      return new Uint8Array(v as Uint8Array);
    case 'message':
      return fromProto(f.messageType!, v as Record<string, unknown>, f.messageType!.fullName);
    case 'int32':
    case 'uint32':
    case 'enum':
    case 'bool':
    case 'string':
      return v;
  }
}

function checkSafe(n: number, text: string, where: string): number {
  if (Number.isSafeInteger(n)) return n;
  throw new GrpcError(Status.INVALID_ARGUMENT, `kubeling: ${where} = ${text} is beyond 2^53-1, the largest integer this server handles`);
}

function toProto(info: MessageInfo, value: Message, path: string): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new GrpcError(Status.INTERNAL, `grpc: error while marshaling: ${path}: expected an object`);
  }
  const out: Record<string, unknown> = {};
  for (const f of info.fields) {
    const v = value[f.jsonName];
    if (v === undefined || v === null) continue;
    const where = `${path}.${f.name}`;
    if (f.repeated) {
      if (!Array.isArray(v)) throw marshalError(where, 'an array');
      if (v.length > 0) out[f.name] = v.map((x: unknown) => toValue(f, x, where));
      continue;
    }
    const converted = toValue(f, v, where);
    if (f.oneof === undefined && f.kind !== 'message' && isZero(f.kind, converted)) continue;
    out[f.name] = converted;
  }
  return out;
}

function toValue(f: FieldInfo, v: unknown, where: string): unknown {
  switch (f.kind) {
    case 'int64':
      if (typeof v !== 'number' || !Number.isSafeInteger(v)) throw marshalError(where, 'a safe integer', v);
      return v;
    case 'uint64':
      if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) throw marshalError(where, 'a safe non-negative integer', v);
      return v;
    case 'int32':
    case 'enum':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < -(2 ** 31) || v >= 2 ** 31) throw marshalError(where, 'an int32', v);
      return v;
    case 'uint32':
      if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= 2 ** 32) throw marshalError(where, 'a uint32', v);
      return v;
    case 'bool':
      if (typeof v !== 'boolean') throw marshalError(where, 'a boolean', v);
      return v;
    case 'string':
      if (typeof v !== 'string') throw marshalError(where, 'a string', v);
      return v;
    case 'bytes':
      if (!(v instanceof Uint8Array)) throw marshalError(where, 'a Uint8Array', v);
      return v;
    case 'message':
      return toProto(f.messageType!, v as Message, f.messageType!.fullName);
  }
}

function marshalError(where: string, expected: string, got?: unknown): GrpcError {
  const shown = typeof got === 'number' || typeof got === 'boolean' ? ` (got ${String(got)})` : got === undefined ? '' : ` (got ${typeof got})`;
  return new GrpcError(Status.INTERNAL, `grpc: error while marshaling: ${where}: expected ${expected}${shown}`);
}
