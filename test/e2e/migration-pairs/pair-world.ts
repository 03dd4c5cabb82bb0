import { BackendAdmin, ErasureReport, TenantScope } from '@vecgate/isolation';
import { createTenant } from '../../support/fixtures';
import { eventually } from '../../support/eventually';
import { startGateway, TestGateway } from '../../support/test-gateway';
import { bearer } from '../../support/tokens';
import { DIM, embeddedHolds, RunningBackend, SecondBackend, startSecond } from './second-backends';

/** `backend:strategy`, as the pair table names a placement. */
export type PlaceName = `${string}:${string}`;

export interface TenantBody {
  readonly uid: string;
  readonly backend: string;
  readonly strategy: string;
  readonly tier: string;
  readonly migration?: { state: string; error?: string };
}

/** A gateway on the embedded backend plus a second one, and the erasures it ran. */
export class PairWorld {
  private readonly reports: { scope: TenantScope; report: Promise<ErasureReport> }[] = [];
  /** Every place provisioned, as `uid backend:strategy`. */
  readonly provisioned: string[] = [];

  private constructor(
    readonly gw: TestGateway,
    readonly second: RunningBackend,
  ) {
    const admin = gw.app.get(BackendAdmin);
    const retire = admin.retire.bind(admin);
    // The real erasure runs; its report is kept for the test to read.
    jest.spyOn(admin, 'retire').mockImplementation((scope) => {
      const report = retire(scope);
      this.reports.push({ scope, report });
      return report;
    });
    const provision = admin.provision.bind(admin);
    jest.spyOn(admin, 'provision').mockImplementation((scope) => {
      const { backend, strategy } = scope.placement;
      this.provisioned.push(`${scope.tenantUid} ${backend}:${strategy}`);
      return provision(scope);
    });
  }

  static async start(
    backend: SecondBackend,
    env: Record<string, string> = {},
    secondEnv: Record<string, string> = {},
  ): Promise<PairWorld> {
    const second = await startSecond(backend, secondEnv);
    try {
      const gw = await startGateway({ env: { ...second.env, ...env } });
      return new PairWorld(gw, second);
    } catch (err) {
      await second.stop();
      throw err;
    }
  }

  private gatewayClosed = false;

  /** Stops the gateway (once), leaving the second backend up for a look at its storage. */
  async closeGateway(): Promise<void> {
    if (this.gatewayClosed) return;
    this.gatewayClosed = true;
    await this.gw.close(true);
  }

  async close(): Promise<void> {
    await this.closeGateway();
    await this.second.stop();
  }

  token(id: string): string {
    return this.gw.tokens.tenant(id, ['reader', 'writer', 'tenant_admin']);
  }

  async create(id: string, place: PlaceName, extra: Record<string, unknown> = {}) {
    const [backend, strategy] = place.split(':');
    return (await createTenant(this.gw.http, this.gw.tokens, {
      id,
      backend,
      strategy,
      dimension: DIM,
      metric: 'cosine',
      ...extra,
    })) as unknown as TenantBody;
  }

  async tenant(id: string): Promise<TenantBody> {
    const res = await this.gw.http
      .get(`/v1/admin/tenants/${id}`)
      .set(bearer(this.gw.tokens.platform()));
    expect(res.status).toBe(200);
    return res.body as TenantBody;
  }

  /** Waits until the tenant's move has ended (completed, cancelled or failed). */
  async settled(id: string): Promise<TenantBody> {
    let last = await this.tenant(id);
    await eventually(120_000, async () => {
      last = await this.tenant(id);
      return last.migration === undefined || last.migration.state === 'failed';
    });
    return last;
  }

  async waitFor(id: string, state: string): Promise<void> {
    await eventually(60_000, async () => (await this.tenant(id)).migration?.state === state);
  }

  /** The erasure reports of the places retired for a tenant so far. */
  async retired(uid: string): Promise<{ backend: string; report: ErasureReport }[]> {
    const mine = this.reports.filter((r) => r.scope.tenantUid === uid);
    return Promise.all(
      mine.map(async (r) => ({ backend: r.scope.placement.backend, report: await r.report })),
    );
  }

  /** Whether the place's backend still stores `text` (undefined: not readable from here). */
  holds(backend: string, text: string): boolean | undefined {
    return backend === 'embedded' ? embeddedHolds(this.gw.dataDir, text) : this.second.holds(text);
  }
}
