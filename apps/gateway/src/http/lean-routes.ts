import {
  ArgumentMetadata,
  CanActivate,
  ExceptionFilter,
  ExecutionContext,
  ForbiddenException,
  HttpStatus,
  Injectable,
  OnModuleInit,
  PipeTransform,
  RequestMethod,
  Type,
} from '@nestjs/common';
import {
  CUSTOM_ROUTE_ARGS_METADATA,
  EXCEPTION_FILTERS_METADATA,
  GUARDS_METADATA,
  HEADERS_METADATA,
  HTTP_CODE_METADATA,
  INTERCEPTORS_METADATA,
  METHOD_METADATA,
  PATH_METADATA,
  PIPES_METADATA,
  REDIRECT_METADATA,
  RENDER_METADATA,
  RESPONSE_PASSTHROUGH_METADATA,
  ROUTE_ARGS_METADATA,
  SSE_METADATA,
  VERSION_METADATA,
} from '@nestjs/common/constants';
import { RouteParamtypes } from '@nestjs/common/enums/route-paramtypes.enum';
import { HttpAdapterHost, ModuleRef } from '@nestjs/core';
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import type { GatewayRequest } from './fastify-request';

/**
 * Serves one route: the request and reply are Fastify's own. Resolves with the reply, which
 * Fastify awaits until the answer is written: resolving with nothing earlier, while the
 * asynchronous onSend hooks still run, would have Fastify send (and audit) a second answer.
 */
export type LeanHandler = (request: FastifyRequest, reply: FastifyReply) => Promise<FastifyReply>;

/** What runs around every handler: the global guards, pipe, governor and filter. */
export interface LeanPipeline {
  readonly guards: readonly CanActivate[];
  readonly pipe: PipeTransform;
  readonly filter: ExceptionFilter;
  govern(request: GatewayRequest, reply: FastifyReply, work: () => unknown): Promise<unknown>;
  reply(reply: FastifyReply, body: unknown): unknown;
}

/** The lean handlers by `METHOD /path`, filled once the controllers exist. */
export class LeanRouteTable {
  private readonly handlers = new Map<string, LeanHandler>();
  private readonly registered = new Set<string>();
  private sealed = false;

  /** Called by Fastify for every route as it is registered (see `serveLeanRoutes`). */
  adopt(route: RouteOptions): void {
    // One method per route, as Nest registers them; Fastify's own HEAD twin of a GET route is
    // adopted too, finds no lean handler of its own and stays with Nest's router.
    if (Array.isArray(route.method)) return;
    const key = `${route.method} ${route.url}`;
    this.registered.add(key);
    const nest = route.handler;
    const leanOf = (): LeanHandler | null | undefined =>
      this.sealed ? (this.handlers.get(key) ?? null) : undefined;
    // Nest answers 404 to a path whose parameter is empty ("/v1/vectors/"), as its own router
    // would; the lean handler keeps that.
    const hasParams = route.url.includes(':');
    let lean: LeanHandler | null | undefined;
    route.handler = function (this: FastifyInstance, request, reply) {
      if (lean === undefined) lean = leanOf();
      if (!lean || (hasParams && hasEmptyParam(request))) return nest.call(this, request, reply);
      return lean(request, reply);
    };
  }

  add(key: string, handler: LeanHandler): void {
    if (this.sealed) throw new Error('lean routes are added before the first request');
    if (!this.registered.has(key)) throw new Error(`no registered route ${key} to serve`);
    this.handlers.set(key, handler);
  }

  seal(): void {
    this.sealed = true;
  }

  get keys(): string[] {
    return [...this.handlers.keys()];
  }
}

function hasEmptyParam(request: FastifyRequest): boolean {
  const params = request.params as Record<string, string>;
  for (const name in params) if (params[name] === '' && name !== '*') return true;
  return false;
}

/**
 * Routes Fastify registers from now on can be served by a lean handler: Nest registers every
 * controller route through this hook, and `LeanRoutes` fills the table before the first request.
 */
export function serveLeanRoutes(fastify: FastifyInstance): LeanRouteTable {
  const table = new LeanRouteTable();
  fastify.decorate('vgLeanRoutes', table);
  fastify.addHook('onRoute', (route) => table.adopt(route));
  return table;
}

/** A minimal execution context: what guards, parameter decorators and the filter read. */
class LeanContext implements ExecutionContext {
  private readonly args: [FastifyRequest, FastifyReply, undefined];

  constructor(
    request: FastifyRequest,
    reply: FastifyReply,
    private readonly owner: Type<unknown>,
    private readonly handler: (...args: unknown[]) => unknown,
  ) {
    this.args = [request, reply, undefined];
  }

  getClass<T = unknown>(): Type<T> {
    return this.owner as Type<T>;
  }
  getHandler(): (...args: unknown[]) => unknown {
    return this.handler;
  }
  getArgs<T extends unknown[] = unknown[]>(): T {
    return this.args as unknown as T;
  }
  getArgByIndex<T = unknown>(index: number): T {
    return this.args[index] as T;
  }
  getType<T extends string = 'http'>(): T {
    return 'http' as T;
  }
  switchToHttp() {
    const [request, reply] = this.args;
    return {
      getRequest: <T>() => request as T,
      getResponse: <T>() => reply as T,
      getNext: <T>() => undefined as T,
    };
  }
  switchToRpc(): never {
    throw new Error('not an RPC context');
  }
  switchToWs(): never {
    throw new Error('not a WebSocket context');
  }
}

interface ParamSpec {
  readonly index: number;
  readonly read: (request: FastifyRequest, context: ExecutionContext) => unknown;
  /** Undefined for custom decorators: the gateway's pipe leaves those as they are. */
  readonly metadata?: ArgumentMetadata;
}

/** Route-level features the lean handler does not implement: such routes stay with Nest. */
const NEST_ONLY_METADATA = [
  GUARDS_METADATA,
  INTERCEPTORS_METADATA,
  PIPES_METADATA,
  EXCEPTION_FILTERS_METADATA,
  HEADERS_METADATA,
  REDIRECT_METADATA,
  RENDER_METADATA,
  SSE_METADATA,
  VERSION_METADATA,
];

const PIPE_TYPES: Partial<Record<RouteParamtypes, ArgumentMetadata['type']>> = {
  [RouteParamtypes.BODY]: 'body',
  [RouteParamtypes.QUERY]: 'query',
  [RouteParamtypes.PARAM]: 'param',
};

const SOURCES: Partial<Record<RouteParamtypes, (r: FastifyRequest) => unknown>> = {
  [RouteParamtypes.BODY]: (r) => r.body,
  [RouteParamtypes.QUERY]: (r) => r.query,
  [RouteParamtypes.PARAM]: (r) => r.params,
};

interface RouteArg {
  readonly index: number;
  readonly data?: unknown;
  readonly pipes?: unknown[];
  readonly factory?: (data: unknown, context: ExecutionContext) => unknown;
}

/** The parameters of a handler, or undefined when one of them is not a kind served here. */
function paramsOf(owner: Type<unknown>, method: string): ParamSpec[] | undefined {
  const args = (Reflect.getMetadata(ROUTE_ARGS_METADATA, owner, method) ?? {}) as Record<
    string,
    RouteArg
  >;
  const types = (Reflect.getMetadata('design:paramtypes', owner.prototype as object, method) ??
    []) as (Type<unknown> | undefined)[];
  const passthrough = Reflect.getMetadata(RESPONSE_PASSTHROUGH_METADATA, owner, method) === true;
  const specs: ParamSpec[] = [];
  for (const [key, arg] of Object.entries(args)) {
    if (arg.pipes && arg.pipes.length > 0) return undefined;
    if (key.includes(CUSTOM_ROUTE_ARGS_METADATA)) {
      const factory = arg.factory;
      if (!factory) return undefined;
      specs.push({ index: arg.index, read: (_r, context) => factory(arg.data, context) });
      continue;
    }
    const type = Number(key.split(':')[0]) as RouteParamtypes;
    // `@Res({ passthrough: true })`: the handler sets status or headers, the answer is sent
    // as usual. Without passthrough the handler sends it itself: left to Nest.
    if (type === RouteParamtypes.RESPONSE && passthrough) {
      specs.push({ index: arg.index, read: (_r, context) => context.switchToHttp().getResponse() });
      continue;
    }
    const source = SOURCES[type];
    const pipeType = PIPE_TYPES[type];
    if (!source || !pipeType) return undefined;
    const field = typeof arg.data === 'string' ? arg.data : undefined;
    const read =
      field === undefined
        ? source
        : (r: FastifyRequest) => (source(r) as Record<string, unknown> | undefined)?.[field];
    specs.push({
      index: arg.index,
      read,
      metadata: { type: pipeType, metatype: types[arg.index], data: field },
    });
  }
  return specs;
}

function routePath(owner: Type<unknown>, handler: object): string {
  const parts = [
    Reflect.getMetadata(PATH_METADATA, owner),
    Reflect.getMetadata(PATH_METADATA, handler),
  ]
    .flatMap((p: unknown) => (typeof p === 'string' ? p.split('/') : []))
    .filter((p) => p !== '');
  return `/${parts.join('/')}`;
}

/**
 * Builds the handler of one controller method, or undefined when the route uses something only
 * Nest's own execution implements. Same order and semantics as Nest's: guards, status, then
 * the governor around pipes and the handler, the answer through the adapter, every error to
 * the filter; without Nest's per-request observables, context objects and parameter lookups,
 * which cost about as much as the rest of the pipeline.
 */
export function leanHandler(
  pipeline: LeanPipeline,
  owner: Type<unknown>,
  instance: object,
  method: string,
): { key: string; handler: LeanHandler } | undefined {
  const handler = (instance as Record<string, unknown>)[method];
  if (typeof handler !== 'function') return undefined;
  const verb = Reflect.getMetadata(METHOD_METADATA, handler) as RequestMethod | undefined;
  if (verb === undefined || verb === RequestMethod.ALL) return undefined;
  for (const key of NEST_ONLY_METADATA) {
    if (Reflect.getMetadata(key, owner) !== undefined) return undefined;
    if (Reflect.getMetadata(key, handler) !== undefined) return undefined;
  }
  const params = paramsOf(owner, method);
  if (!params) return undefined;
  const argCount = params.reduce((n, p) => Math.max(n, p.index + 1), 0);
  const status =
    (Reflect.getMetadata(HTTP_CODE_METADATA, handler) as number | undefined) ??
    (verb === RequestMethod.POST ? HttpStatus.CREATED : HttpStatus.OK);
  const call = handler as (...args: unknown[]) => unknown;
  const { guards, pipe, filter } = pipeline;
  const serve: LeanHandler = async (request, reply) => {
    const context = new LeanContext(request, reply, owner, call);
    try {
      for (const guard of guards) {
        if (!(await guard.canActivate(context))) throw new ForbiddenException('Forbidden resource');
      }
      void reply.status(status);
      const result = await pipeline.govern(request as GatewayRequest, reply, async () => {
        const args = new Array<unknown>(argCount);
        for (const p of params) {
          const value = p.read(request, context);
          args[p.index] = p.metadata ? await pipe.transform(value, p.metadata) : value;
        }
        return call.apply(instance, args);
      });
      // The status was set before the handler ran, which may have changed it (passthrough).
      await pipeline.reply(reply, result);
    } catch (err) {
      filter.catch(err, context);
    }
    return reply;
  };
  return { key: `${RequestMethod[verb]} ${routePath(owner, handler)}`, handler: serve };
}

export const LEAN_PIPELINE = Symbol('LEAN_PIPELINE');
export const LEAN_CONTROLLERS = Symbol('LEAN_CONTROLLERS');

/** Fills the lean route table from the controllers once they are built. */
@Injectable()
export class LeanRoutes implements OnModuleInit {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly moduleRef: ModuleRef,
  ) {}

  onModuleInit(): void {
    const fastify =
      this.adapterHost.httpAdapter.getInstance<FastifyInstance>() as FastifyInstance & {
        vgLeanRoutes?: LeanRouteTable;
      };
    const table = fastify.vgLeanRoutes;
    if (!table) return;
    const pipeline = this.moduleRef.get<LeanPipeline>(LEAN_PIPELINE, { strict: false });
    const controllers = this.moduleRef.get<Type<unknown>[]>(LEAN_CONTROLLERS, { strict: false });
    for (const owner of controllers) {
      const instance: object = this.moduleRef.get(owner, { strict: false });
      const proto = owner.prototype as object;
      for (const method of Object.getOwnPropertyNames(proto)) {
        if (method === 'constructor') continue;
        const route = leanHandler(pipeline, owner, instance, method);
        if (route) table.add(route.key, route.handler);
      }
    }
    table.seal();
  }
}
