import { Injectable, Logger } from '@nestjs/common';
import { MetricsService } from '@vecgate/core';
import { AuditService } from '@vecgate/audit';
import { StoredRecord, TenantScope } from '@vecgate/isolation';

/** Who asked, for the audit events a violation produces. */
export interface RequestTrace {
  readonly requestId: string;
  readonly clientRequestId?: string;
  readonly subject?: string;
  readonly mintedBy?: string;
  readonly ip: string;
  /** The request's deadline and disconnect signal, passed on to the backend call. */
  readonly signal?: AbortSignal;
}

/**
 * The last line of defence: every record a backend returns must carry the scope's tenant uid
 * and namespace as read back from storage. A record that does not is dropped, counted, audited
 * at alert level and sent to the alert sink. It never reaches the caller.
 */
@Injectable()
export class ResultValidator {
  private readonly logger = new Logger(ResultValidator.name);
  private readonly violations;

  constructor(
    private readonly audit: AuditService,
    metrics: MetricsService,
  ) {
    this.violations = metrics.counter(
      'vecgate_isolation_violations_total',
      'Records returned by a backend for another tenant, dropped before the answer',
      ['backend'],
    );
  }

  keepOwn<T extends StoredRecord>(
    scope: TenantScope,
    records: readonly T[],
    trace: RequestTrace,
  ): T[] {
    const own: T[] = [];
    let foreign = 0;
    for (const record of records) {
      if (record.tenantUid === scope.tenantUid && record.namespace === scope.namespace) {
        own.push(record);
      } else foreign++;
    }
    if (foreign > 0) this.report(scope, foreign, trace);
    return own;
  }

  private report(scope: TenantScope, count: number, trace: RequestTrace): void {
    this.violations.inc({ backend: scope.placement.backend }, count);
    this.logger.error(
      `isolation violation: backend ${scope.placement.backend} returned ${count} foreign records for request ${trace.requestId}`,
    );
    const committed = this.audit.record({
      requestId: trace.requestId,
      clientRequestId: trace.clientRequestId,
      subject: trace.subject,
      mintedBy: trace.mintedBy,
      tenantUid: scope.tenantUid,
      tenantId: scope.tenantId,
      action: 'isolation.violation',
      resource: `${scope.placement.backend}:${scope.placement.strategy}`,
      outcome: 'error',
      status: 200,
      reason: `${count} record(s) of another tenant or namespace returned by the backend were dropped`,
      resultCount: count,
      latencyMs: 0,
      ip: trace.ip,
      severity: 'alert',
    });
    void committed?.catch((err: Error) =>
      this.logger.error(`violation event not committed in time: ${err.message}`),
    );
  }
}
