/**
 * The JSON mapping of etcd's gateway (grpc-gateway v1 with golang/protobuf
 * jsonpb, OrigName on, EmitDefaults off), both ways.
 *
 * Out: field names as in the .proto (cluster_id, TTL, peerURLs), in
 * declaration order; int64/uint64 as decimal strings, int32/uint32 as
 * numbers; bytes as padded standard base64; enums by name (unknown numbers
 * as numbers); zero scalars, empty lists and absent messages left out; a set
 * oneof member always written (a set empty message as {}).
 *
 * In: either the .proto name or the protoc JSON name of each field (the JSON
 * name wins when both appear); unknown fields ignored; null leaves a field at
 * its default; numbers as JSON numbers or strings; enums by name or number;
 * bytes as base64 or an array of byte values. Errors carry Go's messages.
 */
import type { FieldInfo, Message, MessageInfo } from './codec.js';
import { isZero } from './codec.js';
import type { JsonValue } from './go-json.js';
import { GoJsonError, goBase64Decode, goQuote, unmarshalValue } from './go-json.js';
import { GrpcError, Status } from './status.js';

const INT_RANGES = {
  int64: [-(2n ** 63n), 2n ** 63n - 1n],
  uint64: [0n, 2n ** 64n - 1n],
  int32: [-(2n ** 31n), 2n ** 31n - 1n],
  uint32: [0n, 2n ** 32n - 1n],
  uint8: [0n, 255n],
} as const;

type IntKind = keyof typeof INT_RANGES;

/** Go's json type error: "json: cannot unmarshal <what> into Go value of type <type>". */
function typeError(what: string, goType: string): GoJsonError {
  return new GoJsonError(`json: cannot unmarshal ${what} into Go value of type ${goType}`);
}

/** What Go calls a JSON value in type errors. */
function kindName(v: JsonValue): string {
  return v.kind === 'bool' ? 'bool' : v.kind;
}

/**
 * Converts a parsed JSON request into a message of `info`, in the decoded
 * shape of codec.ts (ready for ProtoCodec.encode). Throws GoJsonError with
 * Go's message, or GrpcError INVALID_ARGUMENT for a valid but unsafe integer.
 */
export function messageFromJson(info: MessageInfo, value: JsonValue): Message {
  if (value.kind === 'null') return {};
  if (value.kind !== 'object') throw typeError(kindName(value), 'map[string]json.RawMessage');
  const members = new Map(value.members);
  const out: Message = {};
  const take = (f: FieldInfo): JsonValue | undefined => {
    const orig = members.get(f.name);
    const camel = members.get(f.jsonName);
    members.delete(f.name);
    members.delete(f.jsonName);
    return camel ?? orig;
  };
  // jsonpb reads the plain fields in declaration order first, then oneof members
  for (const oneofPass of [false, true]) {
    for (const f of info.fields) {
      if ((f.oneof !== undefined) !== oneofPass) continue;
      const v = take(f);
      if (v === undefined) continue;
      if (f.repeated) {
        if (v.kind === 'null') continue;
        if (v.kind !== 'array') throw typeError(kindName(v), '[]json.RawMessage');
        out[f.jsonName] = v.items.map((item) => fieldFromJson(f, item, info)).filter((x) => x !== undefined);
        continue;
      }
      const converted = fieldFromJson(f, v, info);
      if (converted !== undefined) out[f.jsonName] = converted;
    }
  }
  return out;
}

function fieldFromJson(f: FieldInfo, v: JsonValue, parent: MessageInfo): unknown {
  switch (f.kind) {
    case 'message':
      return v.kind === 'null' ? undefined : messageFromJson(f.messageType!, v);
    case 'enum': {
      if (v.kind === 'string') {
        const n = f.enumType!.numberOf.get(v.raw);
        if (n === undefined) throw new GoJsonError(`unknown value ${JSON.stringify(v.raw)} for enum ${f.enumType!.goName}`);
        return n;
      }
      return v.kind === 'null' ? 0 : Number(intFromJson(v, 'int32', f.enumType!.goName));
    }
    case 'bytes':
      return bytesFromJson(v);
    case 'bool':
      if (v.kind === 'null') return false;
      if (v.kind !== 'bool') throw typeError(kindName(v), 'bool');
      return v.value;
    case 'string':
      if (v.kind === 'null') return '';
      if (v.kind !== 'string') throw typeError(kindName(v), 'string');
      return v.value;
    case 'int64':
    case 'uint64':
    case 'int32':
    case 'uint32': {
      // jsonpb strips the quotes of a quoted number and unmarshals the rest as JSON
      const inner = v.kind === 'string' ? unmarshalValue(v.raw) : v;
      if (inner.kind === 'null') return 0;
      const n = intFromJson(inner, f.kind, f.kind);
      if (n > BigInt(Number.MAX_SAFE_INTEGER) || n < BigInt(Number.MIN_SAFE_INTEGER)) {
        throw new GrpcError(Status.INVALID_ARGUMENT, `kubeling: ${parent.fullName}.${f.name} = ${n} is beyond 2^53-1, the largest integer this server handles`);
      }
      return Number(n);
    }
  }
}

/** Go's literalStore of a number into an integer type: ParseInt/ParseUint, then the range check. */
function intFromJson(v: JsonValue, kind: IntKind, goType: string): bigint {
  if (v.kind !== 'number') throw typeError(kindName(v), goType);
  const [min, max] = INT_RANGES[kind];
  if (!/^-?\d+$/.test(v.raw) || (min === 0n && v.raw.startsWith('-'))) throw typeError(`number ${v.raw}`, goType);
  const n = BigInt(v.raw);
  if (n < min || n > max) throw typeError(`number ${v.raw}`, goType);
  return n;
}

function bytesFromJson(v: JsonValue): Uint8Array {
  switch (v.kind) {
    case 'null':
      return new Uint8Array(0);
    case 'string':
      return goBase64Decode(v.value);
    case 'array':
      return Uint8Array.from(v.items.map((item) => (item.kind === 'null' ? 0 : Number(intFromJson(item, 'uint8', 'uint8')))));
    case 'object':
    case 'number':
    case 'bool':
      throw typeError(kindName(v), '[]uint8');
  }
}

/** Writes a message (codec.ts's decoded shape) as etcd's gateway does. */
export function messageToJson(info: MessageInfo, message: Message): string {
  const parts: string[] = [];
  for (const f of info.fields) {
    const v = message[f.jsonName];
    if (v === undefined || v === null) continue;
    if (f.repeated) {
      const list = v as unknown[];
      if (list.length > 0) parts.push(`${goQuote(f.name)}:[${list.map((x) => valueToJson(f, x)).join(',')}]`);
      continue;
    }
    if (f.oneof === undefined && f.kind !== 'message' && isZero(f.kind, v)) continue;
    parts.push(`${goQuote(f.name)}:${valueToJson(f, v)}`);
  }
  return `{${parts.join(',')}}`;
}

function valueToJson(f: FieldInfo, v: unknown): string {
  switch (f.kind) {
    case 'message':
      return messageToJson(f.messageType!, v as Message);
    case 'int64':
    case 'uint64':
      return `"${String(v)}"`;
    case 'int32':
    case 'uint32':
      return String(v);
    case 'enum': {
      const name = f.enumType!.nameOf.get(v as number);
      return name === undefined ? String(v) : goQuote(name);
    }
    case 'bool':
      return v ? 'true' : 'false';
    case 'string':
      return goQuote(v as string);
    case 'bytes':
      return `"${Buffer.from(v as Uint8Array).toString('base64')}"`;
  }
}
