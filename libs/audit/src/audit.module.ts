import { DynamicModule, Module } from '@nestjs/common';
import { SqlDatabase } from '@vecgate/core';
import { AlertOutbox } from './alerts/alert-outbox';
import { AlertSink } from './alerts/alert-sink';
import { AuditService } from './audit.service';
import { AUDIT_OPTIONS, AuditOptions } from './audit.types';
import { AuditStore } from './store/audit.store';
import { AuditWriter } from './store/audit.writer';

export interface AuditModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: (string | symbol | (abstract new (...args: never[]) => unknown))[];
  useFactory: (...args: never[]) => AuditOptions | Promise<AuditOptions>;
}

@Module({})
export class AuditModule {
  static forRootAsync(options: AuditModuleAsyncOptions): DynamicModule {
    return {
      module: AuditModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        { provide: AUDIT_OPTIONS, inject: options.inject ?? [], useFactory: options.useFactory },
        { provide: AuditStore, inject: [SqlDatabase], useFactory: AuditStore.open },
        // After the store, whose migrations create the outbox table.
        {
          provide: AlertOutbox,
          inject: [SqlDatabase, AuditStore],
          useFactory: (sql: SqlDatabase) => new AlertOutbox(sql),
        },
        AuditWriter,
        AlertSink,
        AuditService,
      ],
      exports: [AuditService, AuditStore],
    };
  }
}
