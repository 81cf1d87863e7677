/**
 * What a GET answers in, chosen from its Accept header as kube-apiserver
 * chooses: the object itself, or (for `application/json;as=Table;g=meta.k8s.io;v=v1`)
 * a Table of the kind's printer columns, or (for `as=PartialObjectMetadata`
 * and `as=PartialObjectMetadataList`) only the objects' metadata.
 */
import type { KubeObject } from '../api/meta.js';
import type { GenericStore, ListResult } from '../registry/generic.js';
import { DEFAULT_PRINTER } from '../registry/printer.js';
import { mediaRanges } from './accept.js';
import { StatusError, failure } from './status.js';

/** A response form: the object, a Table, or metadata only; `version` is meta.k8s.io's (v1 or v1beta1). */
export type Form = { readonly as: 'object' } | { readonly as: 'Table' | 'PartialObjectMetadata'; readonly version: string };

/** The form the Accept header asks for (`list`: whether the request is a list); 406 when it names only forms the server cannot give. */
export function negotiate(accept: string | undefined, list: boolean): Form {
  if (!accept) return { as: 'object' };
  for (const { type, params: p } of mediaRanges(accept)) {
    if (type !== 'application/json' && type !== '*/*' && type !== 'application/*') continue;
    if (p.as === undefined) return { as: 'object' };
    if (p.g !== 'meta.k8s.io' || (p.v !== 'v1' && p.v !== 'v1beta1')) continue;
    if (p.as === 'Table') return { as: 'Table', version: p.v };
    if (p.as === (list ? 'PartialObjectMetadataList' : 'PartialObjectMetadata')) return { as: 'PartialObjectMetadata', version: p.v };
  }
  throw new StatusError(failure(406, 'NotAcceptable', 'only the following media types are accepted: application/json, application/json;as=Table;v=v1;g=meta.k8s.io, application/json;as=PartialObjectMetadata;v=v1;g=meta.k8s.io'));
}

/** What a Table row carries of its object: `includeObject` (None, Metadata: the default, Object). */
export type IncludeObject = 'None' | 'Metadata' | 'Object';

/** The `includeObject` parameter; BadRequest for another value. */
export function includeObject(v: string | undefined): IncludeObject {
  if (v === undefined || v === '' || v === 'Metadata') return 'Metadata';
  if (v === 'None' || v === 'Object') return v;
  throw new StatusError(failure(400, 'BadRequest', `unsupported includeObject value: ${JSON.stringify(v)}`));
}

/** A Table of `items` with the kind's columns (none with `noHeaders`: a watch's later events). */
export function table(store: GenericStore, items: readonly KubeObject[], meta: Record<string, unknown>, version: string, include: IncludeObject, noHeaders = false): Record<string, unknown> {
  const printer = store.strategy.printer ?? DEFAULT_PRINTER;
  const now = new Date();
  return {
    kind: 'Table',
    apiVersion: `meta.k8s.io/${version}`,
    metadata: meta,
    columnDefinitions: noHeaders ? [] : printer.columns,
    rows: items.map((o) => ({
      cells: printer.cells(o, now),
      ...(include === 'None' ? {} : { object: include === 'Object' ? { ...o, apiVersion: store.apiVersion, kind: store.strategy.info.kind } : partial(o, version) }),
    })),
  };
}

/** An object's PartialObjectMetadata. */
export function partial(o: KubeObject, version: string): Record<string, unknown> {
  return { kind: 'PartialObjectMetadata', apiVersion: `meta.k8s.io/${version}`, metadata: o.metadata };
}

/** A list in `form`: a Table, a PartialObjectMetadataList, or undefined for the list itself. */
export function listIn(store: GenericStore, list: ListResult, form: Form, include: IncludeObject): Record<string, unknown> | undefined {
  if (form.as === 'object') return undefined;
  const meta: Record<string, unknown> = { resourceVersion: list.resourceVersion };
  if (list.continue) meta.continue = list.continue;
  if (list.remainingItemCount !== undefined) meta.remainingItemCount = list.remainingItemCount;
  if (form.as === 'Table') return table(store, list.items, meta, form.version, include);
  return { kind: 'PartialObjectMetadataList', apiVersion: `meta.k8s.io/${form.version}`, metadata: meta, items: list.items.map((o) => partial(o, form.version)) };
}
