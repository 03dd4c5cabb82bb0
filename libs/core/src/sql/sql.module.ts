import { DynamicModule, Global, Inject, Module, OnApplicationShutdown } from '@nestjs/common';
import { SqlDatabase } from './sql-database';
import { SqlOptions } from './sql.options';

export interface SqlModuleAsyncOptions {
  imports?: DynamicModule['imports'];
  inject?: (string | symbol | (abstract new (...args: never[]) => unknown))[];
  useFactory: (...args: never[]) => SqlOptions | Promise<SqlOptions>;
}

class SqlLifecycle implements OnApplicationShutdown {
  constructor(@Inject(SqlDatabase) private readonly database: SqlDatabase) {}
  async onApplicationShutdown(): Promise<void> {
    await this.database.close();
  }
}

@Global()
@Module({})
export class SqlModule {
  static forRootAsync(options: SqlModuleAsyncOptions): DynamicModule {
    return {
      module: SqlModule,
      imports: options.imports ?? [],
      providers: [
        {
          provide: SqlDatabase,
          inject: options.inject ?? [],
          useFactory: async (...args: never[]) => {
            const database = SqlDatabase.open(await options.useFactory(...args));
            try {
              await database.verify();
            } catch (err) {
              await database.close();
              throw err;
            }
            return database;
          },
        },
        SqlLifecycle,
      ],
      exports: [SqlDatabase],
    };
  }
}
