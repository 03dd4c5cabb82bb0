import 'reflect-metadata';
import {
  ArgumentsHost,
  BadRequestException,
  Body,
  CanActivate,
  Catch,
  Controller,
  createParamDecorator,
  ExceptionFilter,
  ExecutionContext,
  Get,
  HttpCode,
  HttpException,
  Module,
  Param,
  Post,
  Res,
  UnauthorizedException,
  UseGuards,
} from '@nestjs/common';
import { APP_FILTER, APP_GUARD, APP_PIPE, HttpAdapterHost, NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { IsInt, Max } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import {
  LEAN_CONTROLLERS,
  LEAN_PIPELINE,
  LeanPipeline,
  LeanRoutes,
  LeanRouteTable,
  serveLeanRoutes,
} from './lean-routes';
import { GatewayValidationPipe } from './validation.pipe';

type Caller = FastifyRequest & { caller?: string };

class WhoGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<Caller>();
    const who = request.headers['x-who'];
    if (typeof who !== 'string') throw new UnauthorizedException('who are you');
    request.caller = who;
    return true;
  }
}

class DenyGuard implements CanActivate {
  canActivate(): boolean {
    return false;
  }
}

@Catch()
class ShapeFilter implements ExceptionFilter {
  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    // Nest's exceptions, and the gateway's own errors, which carry their status.
    const status =
      exception instanceof HttpException
        ? exception.getStatus()
        : ((exception as { status?: number }).status ?? 500);
    void reply.status(status).send({ error: (exception as Error).message });
  }
}

const Who = createParamDecorator(
  (prefix: string, context: ExecutionContext) =>
    `${prefix}${context.switchToHttp().getRequest<Caller>().caller}`,
);

class EchoBody {
  @IsInt()
  @Max(10)
  n!: number;
}

@Controller('t')
class DemoController {
  @Post('echo')
  @HttpCode(200)
  echo(@Body() body: EchoBody, @Who('user:') who: string): unknown {
    return { who, n: body.n, dto: body instanceof EchoBody };
  }

  @Post('made')
  made(): unknown {
    return { made: true };
  }

  @Get(':id')
  one(@Param('id') id: string): unknown {
    if (id === 'bad') throw new BadRequestException('bad id');
    return { id };
  }

  @Post('chosen/:code')
  chosen(@Param('code') code: string, @Res({ passthrough: true }) reply: FastifyReply): unknown {
    void reply.status(Number(code)).header('x-chosen', code);
    return { chosen: code };
  }

  @Get('raw/answer')
  raw(@Res() reply: FastifyReply): void {
    void reply.send({ raw: true });
  }

  @Post('guarded')
  @UseGuards(DenyGuard)
  guarded(): unknown {
    return { reached: true };
  }
}

describe('lean routes', () => {
  let app: NestFastifyApplication;
  let table: LeanRouteTable;
  const governed: string[] = [];
  const sends = new Map<string, number>();

  beforeAll(async () => {
    @Module({
      controllers: [DemoController],
      providers: [
        WhoGuard,
        ShapeFilter,
        GatewayValidationPipe,
        { provide: APP_GUARD, useExisting: WhoGuard },
        { provide: APP_FILTER, useExisting: ShapeFilter },
        { provide: APP_PIPE, useExisting: GatewayValidationPipe },
        {
          provide: LEAN_PIPELINE,
          inject: [WhoGuard, GatewayValidationPipe, ShapeFilter, HttpAdapterHost],
          useFactory: (
            guard: WhoGuard,
            pipe: GatewayValidationPipe,
            filter: ShapeFilter,
            host: HttpAdapterHost,
          ): LeanPipeline => ({
            guards: [guard],
            pipe,
            filter,
            govern: async (request, _reply, work) => {
              governed.push(request.url);
              return work();
            },
            reply: (reply, body): unknown => host.httpAdapter.reply(reply, body) as unknown,
          }),
        },
        { provide: LEAN_CONTROLLERS, useValue: [DemoController] },
        LeanRoutes,
      ],
    })
    class DemoModule {}
    const adapter = new FastifyAdapter();
    table = serveLeanRoutes(adapter.getInstance());
    // An asynchronous onSend hook, as the gateway's audit point is: each answer passes once.
    adapter.getInstance().addHook('onSend', async (request, _reply, payload) => {
      await new Promise((resolve) => setImmediate(resolve));
      sends.set(String(request.id), (sends.get(String(request.id)) ?? 0) + 1);
      return payload;
    });
    app = await NestFactory.create<NestFastifyApplication>(DemoModule, adapter, { logger: false });
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });

  afterAll(async () => {
    await app.close();
  });

  const call = async (method: 'GET' | 'POST', url: string, body?: unknown, who = 'ann') => {
    governed.length = 0;
    const answer = await app.inject({
      method,
      url,
      headers: who ? { 'x-who': who } : {},
      ...(body === undefined ? {} : { payload: body as Record<string, unknown> }),
    });
    return { status: answer.statusCode, body: answer.json<Record<string, unknown>>(), answer };
  };

  it('serves plain routes itself and leaves routes with their own guards or @Res() to Nest', () => {
    expect(table.keys.sort()).toEqual([
      'GET /t/:id',
      'POST /t/chosen/:code',
      'POST /t/echo',
      'POST /t/made',
    ]);
  });

  it('runs the guards, the pipe on the body, custom parameters, the status and the governor', async () => {
    const ok = await call('POST', '/t/echo', { n: 3 });
    expect(ok).toMatchObject({ status: 200, body: { who: 'user:ann', n: 3, dto: true } });
    expect(governed).toEqual(['/t/echo']);
    expect(await call('POST', '/t/made', {})).toMatchObject({ status: 201, body: { made: true } });
    // A handler given the reply (passthrough) sets the status and headers; its value is sent.
    const chosen = await call('POST', '/t/chosen/202', {});
    expect(chosen).toMatchObject({ status: 202, body: { chosen: '202' } });
    expect(chosen.answer.headers['x-chosen']).toBe('202');
    expect(governed).toEqual(['/t/chosen/202']);
  });

  it('sends every refusal through the filter, once', async () => {
    expect(await call('POST', '/t/echo', { n: 3 }, '')).toMatchObject({
      status: 401,
      body: { error: 'who are you' },
    });
    expect(governed).toEqual([]);
    const invalid = await call('POST', '/t/echo', { n: 11 });
    expect(invalid.status).toBe(400);
    expect(invalid.body.error).toMatch(/n must not be greater than 10/);
    expect(await call('POST', '/t/echo', { n: 3, extra: 1 })).toMatchObject({ status: 400 });
    const bad = await call('GET', '/t/bad');
    expect(bad).toMatchObject({ status: 400, body: { error: 'bad id' } });
    for (const [, count] of sends) expect(count).toBe(1);
  });

  it('leaves the HEAD twin of a GET route to Nest, which answers it without a body', async () => {
    governed.length = 0;
    const head = await app.inject({ method: 'HEAD', url: '/t/abc', headers: { 'x-who': 'ann' } });
    expect(head.statusCode).toBe(200);
    expect(head.body).toBe('');
    expect(governed).toEqual([]);
    const refused = await app.inject({ method: 'HEAD', url: '/t/abc' });
    expect(refused.statusCode).toBe(401);
  });

  it('answers 404 for an empty path parameter and keeps Nest for the routes it does not serve', async () => {
    expect((await call('GET', '/t/')).status).toBe(404);
    expect(await call('GET', '/t/raw/answer')).toMatchObject({ status: 200, body: { raw: true } });
    expect(await call('POST', '/t/guarded', {})).toMatchObject({ status: 403 });
    expect(governed).toEqual([]);
  });
});
