/**
 * The request and response shapes of the MVCC key-value store. They mirror
 * etcd's etcdserverpb / mvccpb messages field for field, in the camelCase a
 * protobuf decoder produces (range_end -> rangeEnd), so the gRPC edge maps
 * them one to one. Bytes are Uint8Array; every int64 is a JS number (ids are
 * generated below 2^53; the edge refuses larger ones).
 */

/** mvccpb.KeyValue */
export interface KeyValue {
  readonly key: Uint8Array;
  /** The revision of the key's last creation. */
  readonly createRevision: number;
  /** The revision of the key's last modification. */
  readonly modRevision: number;
  /** Modifications since creation (1 after the first put); reset by a delete. */
  readonly version: number;
  readonly value: Uint8Array;
  /** The lease the key is attached to, or 0. */
  readonly lease: number;
}

/** The part of etcdserverpb.ResponseHeader the store knows; the server adds cluster, member and term. */
export interface Header {
  readonly revision: number;
}

export enum SortOrder {
  None = 0,
  Ascend = 1,
  Descend = 2,
}

export enum SortTarget {
  Key = 0,
  Version = 1,
  Create = 2,
  Mod = 3,
  Value = 4,
}

/** etcdserverpb.RangeRequest */
export interface RangeRequest {
  readonly key: Uint8Array;
  /** Absent or empty: the single key. "\0": every key >= key. Otherwise [key, rangeEnd). */
  readonly rangeEnd?: Uint8Array;
  /** 0: no limit. */
  readonly limit?: number;
  /** 0 or absent: the current revision. */
  readonly revision?: number;
  readonly sortOrder?: SortOrder;
  readonly sortTarget?: SortTarget;
  readonly serializable?: boolean;
  readonly keysOnly?: boolean;
  readonly countOnly?: boolean;
  readonly minModRevision?: number;
  readonly maxModRevision?: number;
  readonly minCreateRevision?: number;
  readonly maxCreateRevision?: number;
}

export interface RangeResponse {
  readonly header: Header;
  readonly kvs: KeyValue[];
  /** More keys matched than `limit` let through. */
  readonly more: boolean;
  /** The number of keys in the range (before limit). */
  readonly count: number;
}

/** etcdserverpb.PutRequest */
export interface PutRequest {
  readonly key: Uint8Array;
  readonly value?: Uint8Array;
  readonly lease?: number;
  readonly prevKv?: boolean;
  readonly ignoreValue?: boolean;
  readonly ignoreLease?: boolean;
}

export interface PutResponse {
  readonly header: Header;
  readonly prevKv?: KeyValue;
}

/** etcdserverpb.DeleteRangeRequest */
export interface DeleteRangeRequest {
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly prevKv?: boolean;
}

export interface DeleteRangeResponse {
  readonly header: Header;
  readonly deleted: number;
  readonly prevKvs: KeyValue[];
}

export enum CompareResult {
  Equal = 0,
  Greater = 1,
  Less = 2,
  NotEqual = 3,
}

export enum CompareTarget {
  Version = 0,
  Create = 1,
  Mod = 2,
  Value = 3,
  Lease = 4,
}

/** etcdserverpb.Compare: exactly one of the target fields is set, matching `target`. */
export interface Compare {
  readonly result: CompareResult;
  readonly target: CompareTarget;
  readonly key: Uint8Array;
  readonly rangeEnd?: Uint8Array;
  readonly version?: number;
  readonly createRevision?: number;
  readonly modRevision?: number;
  readonly value?: Uint8Array;
  readonly lease?: number;
}

/** etcdserverpb.RequestOp: exactly one field set. */
export interface RequestOp {
  readonly requestRange?: RangeRequest;
  readonly requestPut?: PutRequest;
  readonly requestDeleteRange?: DeleteRangeRequest;
  readonly requestTxn?: TxnRequest;
}

/** etcdserverpb.ResponseOp: exactly one field set. */
export interface ResponseOp {
  readonly responseRange?: RangeResponse;
  readonly responsePut?: PutResponse;
  readonly responseDeleteRange?: DeleteRangeResponse;
  readonly responseTxn?: TxnResponse;
}

/** etcdserverpb.TxnRequest */
export interface TxnRequest {
  readonly compare?: readonly Compare[];
  readonly success?: readonly RequestOp[];
  readonly failure?: readonly RequestOp[];
}

export interface TxnResponse {
  readonly header: Header;
  readonly succeeded: boolean;
  readonly responses: ResponseOp[];
}

/** etcdserverpb.CompactionRequest */
export interface CompactionRequest {
  readonly revision: number;
  readonly physical?: boolean;
}

export interface CompactionResponse {
  readonly header: Header;
}

export enum EventType {
  Put = 0,
  Delete = 1,
}

/** mvccpb.Event */
export interface Event {
  readonly type: EventType;
  /** For a delete: the key with modRevision = the deletion's revision and empty value. */
  readonly kv: KeyValue;
  readonly prevKv?: KeyValue;
}
