/**
 * OpenAPI v2 (Swagger 2.0) at `/openapi/v2`, made from the OpenAPI v3
 * documents (openapi.ts): kubectl before 1.28 reads it, not v3, to learn that
 * the server validates fields (the PATCH operations' `fieldValidation`
 * parameter), to compute `apply`'s strategic merge patches (the
 * `x-kubernetes-patch-*` extensions on lists, see openapi.ts) and for
 * `explain`. Without it kubectl 1.27's `apply`, `create -f` and `explain`
 * fail with NotFound.
 *
 * kubectl asks for it as protobuf (gnostic's `openapi.v2.Document`, whose
 * messages are in ./proto/openapiv2.proto); any other Accept gets JSON.
 *
 * From v3 to v2: `#/components/schemas/X` becomes `#/definitions/X`; a
 * request body becomes a `body` parameter and a parameter's `schema.type` its
 * `type`; `nullable`, `minimum` and `maximum` go (v2 has no nullable; zod's
 * integer bounds say nothing a reader needs); a string-or-number (`anyOf`,
 * IntOrString and Quantity) becomes a string, with format `int-or-string` when
 * one branch is an integer, as Kubernetes publishes IntOrString; another
 * `anyOf` becomes an arbitrary value.
 */
import type { Request, Response } from 'express';
import protobuf from 'protobufjs';
import { fileURLToPath } from 'node:url';
import { stringify as yaml } from 'yaml';
import type { GenericStore } from '../registry/generic.js';
import { document } from './openapi.js';

type Json = Record<string, unknown>;

/**
 * The media type the server answers protobuf in. Clients ask for it by this
 * name or by the older `...spec.v2@v1.0+protobuf`, which Go's media type
 * parser refuses in a Content-Type (`@` is a special character), so the
 * answer always names the dotted form, as kube-apiserver's does.
 */
export const OPENAPI_V2_PROTOBUF = 'application/com.github.proto-openapi.spec.v2.v1.0+protobuf';

const isObj = (v: unknown): v is Json => typeof v === 'object' && v !== null && !Array.isArray(v);

/** A v3 schema as v2. */
function schemaV2(s: Json): Json {
  if (typeof s.$ref === 'string') return { $ref: s.$ref.replace('#/components/schemas/', '#/definitions/') };
  if (Array.isArray(s.anyOf)) {
    const types = s.anyOf.map((b) => (isObj(b) ? b.type : undefined));
    if (!types.every((t) => t === 'string' || t === 'integer' || t === 'number')) return {};
    return { type: 'string', ...(types.includes('integer') ? { format: 'int-or-string' } : {}) };
  }
  const out: Json = {};
  for (const [k, v] of Object.entries(s)) {
    if (k === 'properties' && isObj(v)) out.properties = Object.fromEntries(Object.entries(v).map(([name, p]) => [name, isObj(p) ? schemaV2(p) : {}]));
    else if (k === 'items' && isObj(v)) out.items = schemaV2(v);
    else if (k === 'additionalProperties') out.additionalProperties = isObj(v) ? schemaV2(v) : v;
    else if (['type', 'format', 'description', 'required', 'enum'].includes(k) || k.startsWith('x-')) out[k] = v;
  }
  return out;
}

/** A v3 operation as v2. */
function operationV2(op: Json): Json {
  const out: Json = {};
  for (const [k, v] of Object.entries(op)) if (k === 'operationId' || k === 'description' || k.startsWith('x-')) out[k] = v;
  const params = Array.isArray(op.parameters) ? op.parameters.filter(isObj).map(parameterV2) : [];
  const body = isObj(op.requestBody) && isObj(op.requestBody.content) ? op.requestBody.content : undefined;
  if (body) {
    const types = Object.keys(body);
    const first = body[types[0]!];
    params.unshift({ name: 'body', in: 'body', required: true, schema: schemaV2(isObj(first) && isObj(first.schema) ? first.schema : {}) });
    out.consumes = types;
  }
  if (params.length) out.parameters = params;
  out.produces = ['application/json', 'application/yaml', 'application/vnd.kubernetes.protobuf'];
  out.schemes = ['https'];
  const responses: Json = {};
  for (const [code, r] of Object.entries(isObj(op.responses) ? op.responses : {})) {
    if (!isObj(r)) continue;
    const json = isObj(r.content) ? r.content['application/json'] : undefined;
    responses[code] = { description: r.description, ...(isObj(json) && isObj(json.schema) ? { schema: schemaV2(json.schema) } : {}) };
  }
  out.responses = responses;
  return out;
}

function parameterV2(p: Json): Json {
  const { schema, ...rest } = p;
  return { ...rest, ...(isObj(schema) ? { type: schema.type, ...(schema.uniqueItems ? { uniqueItems: true } : {}) } : {}) };
}

/** The Swagger 2.0 document of every kind served. */
export function swagger(stores: readonly GenericStore[]): Json {
  const byGv = new Map<string, GenericStore[]>();
  for (const s of stores) byGv.set(s.apiVersion, [...(byGv.get(s.apiVersion) ?? []), s]);
  const paths: Json = {};
  const definitions: Json = {};
  for (const [gv, list] of byGv) {
    const doc = document(gv, list);
    const schemas = isObj(doc.components) && isObj(doc.components.schemas) ? doc.components.schemas : {};
    for (const [name, s] of Object.entries(schemas)) if (isObj(s)) definitions[name] = schemaV2(s);
    for (const [path, item] of Object.entries(isObj(doc.paths) ? doc.paths : {})) {
      if (!isObj(item)) continue;
      const out: Json = {};
      for (const [method, op] of Object.entries(item)) {
        if (method === 'parameters' && Array.isArray(op)) out.parameters = op.filter(isObj).map(parameterV2);
        else if (isObj(op)) out[method] = operationV2(op);
      }
      paths[path] = out;
    }
  }
  return { swagger: '2.0', info: { title: 'Kubernetes', version: 'v1.32.0' }, paths, definitions };
}

// ---- the protobuf form (gnostic's messages: named maps are lists of {name, value}, a vendor extension's value is YAML)

const named = (o: Json, f: (v: Json) => Json): Json[] => Object.entries(o).map(([name, v]) => ({ name, value: f(isObj(v) ? v : {}) }));
const extensions = (o: Json): Json[] =>
  Object.entries(o)
    .filter(([k]) => k.startsWith('x-'))
    .map(([name, v]) => ({ name, value: { yaml: yaml(v) } }));

function schemaPb(s: Json): Json {
  const out: Json = { vendor_extension: extensions(s) };
  if (typeof s.$ref === 'string') out._ref = s.$ref;
  if (typeof s.type === 'string') out.type = { value: [s.type] };
  for (const k of ['format', 'description', 'required'] as const) if (s[k] !== undefined) out[k] = s[k];
  if (Array.isArray(s.enum)) out.enum = s.enum.map((v) => ({ yaml: yaml(v) }));
  if (isObj(s.items)) out.items = { schema: [schemaPb(s.items)] };
  if (isObj(s.properties)) out.properties = { additional_properties: named(s.properties, schemaPb) };
  if (typeof s.additionalProperties === 'boolean') out.additional_properties = { boolean: s.additionalProperties };
  else if (isObj(s.additionalProperties)) out.additional_properties = { schema: schemaPb(s.additionalProperties) };
  return out;
}

function parameterPb(p: Json): Json {
  if (p.in === 'body') return { parameter: { body_parameter: { name: p.name, in: p.in, required: p.required === true, schema: schemaPb(isObj(p.schema) ? p.schema : {}) } } };
  const sub = { name: p.name, in: p.in, description: p.description ?? '', required: p.required === true, type: p.type ?? '', unique_items: p.uniqueItems === true };
  return { parameter: { non_body_parameter: p.in === 'path' ? { path_parameter_sub_schema: sub } : { query_parameter_sub_schema: sub } } };
}

function operationPb(op: Json): Json {
  return {
    operation_id: op.operationId,
    description: op.description ?? '',
    consumes: op.consumes ?? [],
    produces: op.produces ?? [],
    schemes: op.schemes ?? [],
    parameters: Array.isArray(op.parameters) ? op.parameters.filter(isObj).map(parameterPb) : [],
    responses: { response_code: named(isObj(op.responses) ? op.responses : {}, (r) => ({ response: { description: r.description ?? '', ...(isObj(r.schema) ? { schema: { schema: schemaPb(r.schema) } } : {}) } })) },
    vendor_extension: extensions(op),
  };
}

let documentType: protobuf.Type | undefined;

/** The swagger document as gnostic's `openapi.v2.Document` bytes. */
export function swaggerProtobuf(doc: Json): Uint8Array {
  if (!documentType) {
    const root = new protobuf.Root().loadSync(fileURLToPath(new URL('./proto/openapiv2.proto', import.meta.url)), { keepCase: true });
    documentType = root.lookupType('openapi.v2.Document');
  }
  const paths = named(isObj(doc.paths) ? doc.paths : {}, (item) => {
    const out: Json = {};
    for (const [method, op] of Object.entries(item)) {
      if (method === 'parameters' && Array.isArray(op)) out.parameters = op.filter(isObj).map(parameterPb);
      else if (isObj(op)) out[method] = operationPb(op);
    }
    return out;
  });
  const message = documentType.fromObject({
    swagger: doc.swagger,
    info: doc.info,
    paths: { path: paths },
    definitions: { additional_properties: named(isObj(doc.definitions) ? doc.definitions : {}, schemaPb) },
  });
  return documentType.encode(message).finish();
}

/** The handler of GET /openapi/v2: protobuf when the Accept header asks for it, JSON otherwise; made on first use. */
export function openapiV2Handler(stores: readonly GenericStore[]): (req: Request, res: Response) => void {
  let made: { json: string; pb: Buffer } | undefined;
  return (req, res) => {
    if (!made) {
      const doc = swagger(stores);
      made = { json: JSON.stringify(doc), pb: Buffer.from(swaggerProtobuf(doc)) };
    }
    if (/com\.github\.proto-openapi\.spec\.v2[@.]v1\.0\+protobuf/.test(req.headers.accept ?? '')) res.type(OPENAPI_V2_PROTOBUF).send(made.pb);
    else res.type('application/json').send(made.json);
  };
}
