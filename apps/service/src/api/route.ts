import type { Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import { z } from 'zod';
import { ServiceError } from '../errors/httpStatus.js';
import { errorSchema } from './schemas.js';

type Method = 'get' | 'post' | 'delete';

export interface RouteInput<P, Q, B> {
  params: P;
  query: Q;
  body: B;
  /** Raw bytes, for routes that take a file (`raw`). */
  raw: Uint8Array | undefined;
  c: Context;
}

/** One endpoint: validation schemas, documentation and the handler, in one place. */
export interface RouteSpec<P = unknown, Q = unknown, B = unknown> {
  method: Method;
  /** Hono path, e.g. `/api/jobs/:id`. */
  path: string;
  operationId: string;
  summary: string;
  description?: string;
  tag: string;
  params?: z.ZodType<P>;
  query?: z.ZodType<Q>;
  /** A JSON body, checked against this schema. */
  body?: z.ZodType<B>;
  /** A raw file body (uploads) with these content types. */
  raw?: { contentTypes: string[]; description: string };
  /** Status of a successful answer (default 200). */
  status?: number;
  response: { description: string; schema?: z.ZodType; contentType?: string };
  /** Further documented answers besides the common errors. */
  errors?: Record<number, string>;
  handler: (input: RouteInput<P, Q, B>) => unknown;
}

/** Keeps the handler's input typed from the schemas. */
export function route<P = Record<string, never>, Q = Record<string, never>, B = undefined>(spec: RouteSpec<P, Q, B>): RouteSpec<P, Q, B> {
  return spec;
}

export interface Limits {
  maxJsonBytes: number;
  maxUploadBytes: number;
}

const tooLarge = (limit: number) => () => {
  throw new ServiceError(413, 'PAYLOAD_TOO_LARGE', `the request body is larger than ${limit} bytes`);
};

function issues(error: z.ZodError, where: string): ServiceError {
  const list = error.issues.slice(0, 20).map((i) => ({ path: [where, ...i.path.map(String)].join('.'), message: i.message }));
  return new ServiceError(400, 'BAD_REQUEST', `invalid ${where}: ${list.map((i) => `${i.path}: ${i.message}`).join('; ')}`, { issues: list });
}

/** Registers a route: size limit, content type, JSON parsing and schema checks before the handler. */
export function register(app: Hono, spec: RouteSpec<any, any, any>, limits: Limits): void {
  const maxSize = spec.raw ? limits.maxUploadBytes : limits.maxJsonBytes;
  app.on(spec.method.toUpperCase(), spec.path, bodyLimit({ maxSize, onError: tooLarge(maxSize) }), async (c) => {
    let params: unknown = {};
    if (spec.params) {
      const r = spec.params.safeParse(c.req.param());
      if (!r.success) throw issues(r.error, 'path');
      params = r.data;
    }
    let query: unknown = {};
    if (spec.query) {
      const r = spec.query.safeParse(c.req.query());
      if (!r.success) throw issues(r.error, 'query');
      query = r.data;
    }
    let body: unknown;
    let raw: Uint8Array | undefined;
    const type = (c.req.header('content-type') ?? '').split(';')[0]!.trim().toLowerCase();
    if (spec.body) {
      if (type !== 'application/json') throw new ServiceError(415, 'UNSUPPORTED_MEDIA_TYPE', 'send the body as application/json');
      const text = await c.req.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch (err) {
        throw new ServiceError(400, 'BAD_JSON', `the body is not valid JSON: ${(err as Error).message.slice(0, 200)}`);
      }
      const r = spec.body.safeParse(json);
      if (!r.success) throw issues(r.error, 'body');
      body = r.data;
    } else if (spec.raw) {
      if (!spec.raw.contentTypes.includes(type)) throw new ServiceError(415, 'UNSUPPORTED_MEDIA_TYPE', `send the file as one of ${spec.raw.contentTypes.join(', ')}`);
      raw = new Uint8Array(await c.req.arrayBuffer());
    }
    const out = await spec.handler({ params, query, body, raw, c });
    if (out instanceof Response) return out;
    return c.json(out as object, (spec.status ?? 200) as 200);
  });
}

function jsonSchema(schema: z.ZodType, io: 'input' | 'output'): Record<string, unknown> {
  const { $schema: _s, ...rest } = z.toJSONSchema(schema, { io, unrepresentable: 'any' }) as Record<string, unknown>;
  return rest;
}

function parameters(schema: z.ZodType | undefined, where: 'path' | 'query'): unknown[] {
  if (!schema) return [];
  const js = jsonSchema(schema, 'input') as { properties?: Record<string, Record<string, unknown>>; required?: string[] };
  return Object.entries(js.properties ?? {}).map(([name, s]) => ({
    name,
    in: where,
    required: where === 'path' || (js.required ?? []).includes(name),
    ...(typeof s.description === 'string' ? { description: s.description } : {}),
    schema: s,
  }));
}

const COMMON_ERRORS: Record<number, string> = {
  400: 'invalid request (bad JSON, wrong types, unknown fields)',
  401: 'missing or wrong access token (when the service has one)',
  403: 'HOST_FORBIDDEN: the Host header is not this service (DNS rebinding), or ORIGIN_FORBIDDEN: a state-changing request from another origin (see allowedHosts, allowedOrigins)',
  500: 'internal error',
};

/**
 * The OpenAPI 3.1 document of the routes, generated from the same zod schemas the routes validate
 * with (zod 4's own JSON Schema output, draft 2020-12, which OpenAPI 3.1 uses).
 */
export function openApiDocument(routes: readonly RouteSpec<any, any, any>[], info: { title: string; version: string; description: string }): Record<string, unknown> {
  const paths: Record<string, Record<string, unknown>> = {};
  const errorRef = { $ref: '#/components/schemas/Error' };
  for (const r of routes) {
    const path = r.path.replace(/:(\w+)/g, '{$1}');
    const responses: Record<string, unknown> = {
      [String(r.status ?? 200)]: {
        description: r.response.description,
        ...(r.response.schema ? { content: { [r.response.contentType ?? 'application/json']: { schema: jsonSchema(r.response.schema, 'output') } } } : r.response.contentType ? { content: { [r.response.contentType]: {} } } : {}),
      },
    };
    for (const [status, description] of Object.entries({ ...COMMON_ERRORS, ...(r.body || r.raw ? { 413: 'request body too large', 415: 'wrong Content-Type' } : {}), ...(r.errors ?? {}) })) {
      responses[status] = { description, content: { 'application/json': { schema: errorRef } } };
    }
    (paths[path] ??= {})[r.method] = {
      operationId: r.operationId,
      summary: r.summary,
      ...(r.description ? { description: r.description } : {}),
      tags: [r.tag],
      parameters: [...parameters(r.params, 'path'), ...parameters(r.query, 'query')],
      ...(r.body ? { requestBody: { required: true, content: { 'application/json': { schema: jsonSchema(r.body, 'input') } } } } : {}),
      ...(r.raw ? { requestBody: { required: true, description: r.raw.description, content: Object.fromEntries(r.raw.contentTypes.map((t) => [t, { schema: { type: 'string' } }])) } } : {}),
      responses,
    };
  }
  return {
    openapi: '3.1.0',
    info,
    paths,
    components: {
      schemas: { Error: jsonSchema(errorSchema, 'output') },
      securitySchemes: { bearer: { type: 'http', scheme: 'bearer', description: 'only when the service was started with an access token' } },
    },
    security: [{ bearer: [] }, {}],
  };
}
