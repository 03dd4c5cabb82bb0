import { CallHandler, ExecutionContext, Injectable, NestInterceptor } from '@nestjs/common';
import { Observable, tap } from 'rxjs';
import { GatewayRequest } from './fastify-request';

/** Records how many records an answer carried, for the audit event. */
@Injectable()
export class ResultCountInterceptor implements NestInterceptor {
  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<GatewayRequest>();
    return next.handle().pipe(
      tap((result: unknown) => {
        if (request.vg) request.vg.resultCount = countOf(result);
      }),
    );
  }
}

function countOf(result: unknown): number {
  if (result === undefined || result === null) return 0;
  if (typeof result !== 'object') return 1;
  const r = result as Record<string, unknown>;
  if (Array.isArray(r.matches)) return r.matches.length;
  if (Array.isArray(r.items)) return r.items.length;
  if (typeof r.upserted === 'number') return r.upserted;
  if (typeof r.deleted === 'number') return r.deleted;
  return 1;
}
