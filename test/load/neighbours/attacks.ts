import type { Socket } from 'node:net';
import { LIMITS } from '../../../libs/search/src/limits';
import {
  expectTrailsMatch,
  heapUsedMb,
  newId,
  QUIET_DIM,
  quietVector,
  trailOf,
  World,
} from './world';
import { call, openSocket, pool, rawRequest, Reply, sleep } from './wire';

/** One attack: prepared before the quiet tenant is measured, run while it is. */
export interface Attack {
  readonly name: string;
  /** Settings beyond the defaults, for the report. */
  readonly settings: string;
  prepare(world: World): Promise<void>;
  /** Runs until `untilMs` (or until its bounded work is done), then lets its requests drain. */
  run(world: World, untilMs: number): Promise<string>;
}

const FILTER_RECORDS = Number(process.env.NEIGHBOUR_FILTER_RECORDS ?? 20_000);
const ERASE_RECORDS = Number(process.env.NEIGHBOUR_ERASE_RECORDS ?? 20_000);
const AUDIT_SPAM = Number(process.env.NEIGHBOUR_AUDIT_SPAM ?? 10_000);
const FLOOD_CONNECTIONS = Number(process.env.NEIGHBOUR_FLOOD_CONNECTIONS ?? 19_980);

function statusesOf(replies: readonly Reply[]): string {
  const counts = new Map<string, number>();
  for (const r of replies) {
    const key = r.status === 0 ? 'no answer' : String(r.status);
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return [...counts].map(([k, n]) => `${n}× ${k}`).join(', ');
}

export async function createTenant(world: World, body: object): Promise<void> {
  const res = await call(world.port, {
    method: 'POST',
    path: '/v1/admin/tenants',
    token: world.tokens.platform(),
    body,
  });
  if (res.status !== 201)
    throw new Error(`creating ${JSON.stringify(body)}: ${res.status} ${res.body}`);
}

export async function upsertAll(
  world: World,
  tenant: string,
  count: number,
  make: (i: number) => object,
  batch: number,
): Promise<void> {
  const token = world.tokens.tenant(tenant, ['writer']);
  const batches = Array.from({ length: Math.ceil(count / batch) }, (_, b) => b);
  await pool(batches, 2, async (b) => {
    const vectors = Array.from({ length: Math.min(batch, count - b * batch) }, (_, i) =>
      make(b * batch + i),
    );
    const res = await call(world.port, {
      method: 'PUT',
      path: '/v1/vectors',
      token,
      body: { vectors },
    });
    if (res.status !== 200)
      throw new Error(`upsert into ${tenant}: ${res.status} ${res.body.slice(0, 200)}`);
  });
}

/** The quiet tenant itself: 2,000 records of 128 dimensions on the shared `standard` table. */
export async function prepareQuiet(world: World): Promise<void> {
  await createTenant(world, { id: 'quiet', dimension: QUIET_DIM, metric: 'cosine' });
  await upsertAll(
    world,
    'quiet',
    2000,
    (i) => ({ id: `q${i}`, values: quietVector(i), metadata: { g: i % 10 } }),
    500,
  );
}

const numbers = (offset: number): number[] => Array.from({ length: 256 }, (_, i) => offset + i);

export const filterAttack: Attack = {
  name: 'filter at the limits',
  settings: 'defaults',
  async prepare(world) {
    await createTenant(world, { id: 'filterer', dimension: 16, metric: 'euclidean' });
    await upsertAll(
      world,
      'filterer',
      FILTER_RECORDS,
      (i) => ({
        id: `f${i}`,
        values: Array.from({ length: 16 }, (_, j) => (i + j) % 7),
        metadata: { t: numbers(i % 1000) },
      }),
      1000,
    );
  },
  async run(world, untilMs) {
    const token = world.tokens.tenant('filterer', ['reader']);
    // At the documented limits: every clause allowed, the whole value budget spread over them,
    // all on the 256-item array, and none matching, so every clause tests every item.
    const perClause = Math.floor(LIMITS.maxFilterCost / LIMITS.maxFilterClauses);
    const filter = {
      $and: Array.from({ length: LIMITS.maxFilterClauses }, (_, c) => ({
        t: { $nin: numbers(5000 + c * perClause).slice(0, perClause) },
      })),
    };
    const sent: { id: string; reply: Reply }[] = [];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (Date.now() < untilMs) {
          const id = newId();
          const reply = await call(world.port, {
            method: 'POST',
            path: '/v1/search',
            token,
            headers: { 'x-request-id': id },
            body: { vector: new Array(16).fill(1), topK: 10, filter },
            timeoutMs: 30_000,
          });
          sent.push({ id, reply });
        }
      }),
    );
    await expectTrailsMatch(world, this.name, sent);
    return (
      `${FILTER_RECORDS} records of 256-item arrays, filter ${LIMITS.maxFilterClauses} × $nin ` +
      `of ${Math.floor(LIMITS.maxFilterCost / LIMITS.maxFilterClauses)} (the cost limit): ` +
      `${sent.length} searches: ${statusesOf(sent.map((s) => s.reply))}`
    );
  },
};

export const unreadAttack: Attack = {
  name: 'unread large answers',
  settings: 'defaults',
  async prepare(world) {
    await createTenant(world, { id: 'hoarder', dimension: 4096, metric: 'dot' });
    // 0.1 goes in as three characters and comes back as 0.10000000149011612: large answers.
    await upsertAll(
      world,
      'hoarder',
      300,
      (i) => ({
        id: `h${i}`,
        values: Array.from({ length: 4096 }, (_, j) => (((i + j) % 9) + 1) / 10),
      }),
      50,
    );
  },
  async run(world, untilMs) {
    const token = world.tokens.tenant('hoarder', ['reader']);
    const vector = new Array(4096).fill(0.5);
    const over = await call(world.port, {
      method: 'POST',
      path: '/v1/search',
      token,
      body: { vector, topK: 1000, includeValues: true },
    });
    const sockets: Socket[] = [];
    const ids: string[][] = [];
    for (let c = 0; c < 60; c++) {
      const socket = await openSocket(world.port, '127.0.0.1');
      if (!socket) continue;
      socket.on('error', () => undefined);
      const mine = Array.from({ length: 10 }, () => newId());
      for (const id of mine)
        socket.write(
          rawRequest('/v1/search', token, { vector, topK: 64, includeValues: true }, id),
        );
      socket.pause();
      sockets.push(socket);
      ids.push(mine);
    }
    let maxHeap = 0;
    while (Date.now() < untilMs) {
      maxHeap = Math.max(maxHeap, await heapUsedMb(world));
      await sleep(500);
    }
    for (const socket of sockets) socket.destroy();
    await sleep(1000);
    // On each connection, answers reach the socket in order: once one was not delivered (499),
    // none after it may be audited as delivered.
    const seen = new Map<number, number>();
    for (const connection of ids.slice(0, 10)) {
      let undelivered = false;
      for (const id of connection) {
        const statuses = (await trailOf(world, id)).map((e) => e.status);
        for (const s of statuses) seen.set(s, (seen.get(s) ?? 0) + 1);
        if (
          undelivered &&
          statuses.length > 0 &&
          !statuses.includes(499) &&
          !statuses.includes(429)
        ) {
          world.failures.push(
            `${this.name}: request ${id} audited [${statuses.join(', ')}] after an undelivered answer`,
          );
        }
        if (statuses.includes(499)) undelivered = true;
      }
    }
    if (over.status !== 400)
      world.failures.push(`${this.name}: topK 1000 with values answered ${over.status}`);
    return (
      `topK 1000 with values: ${over.status}; ${sockets.length} connections × 10 unread topK-64 answers; ` +
      `gateway heap max ${maxHeap.toFixed(0)} MB; audited (first 10 connections): ` +
      [...seen].map(([s, n]) => `${n}× ${s}`).join(', ')
    );
  },
};

export const refusedFlood: Attack = {
  name: 'refused-request flood',
  settings: 'defaults + ALERT_WEBHOOK_URL (a local sink)',
  async prepare(world) {
    await createTenant(world, { id: 'shouter', dimension: 4, metric: 'cosine' });
  },
  async run(world) {
    const token = world.tokens.tenant('shouter', ['reader']);
    const admin = world.tokens.platform(['cross_tenant_admin']);
    const before = world.sink.received.length;
    const replies: Reply[] = [];
    const insider: Reply[] = [];
    const flood = pool(
      Array.from({ length: 3200 }, (_, i) => i),
      32,
      async () => {
        replies.push(
          await call(world.port, {
            method: 'POST',
            path: '/v1/search',
            token,
            headers: { 'x-tenant-id': 'quiet' },
            body: { vector: [1, 1, 1, 1], topK: 1 },
          }),
        );
      },
    );
    for (let i = 0; i < 3; i++) {
      insider.push(
        await call(world.port, {
          method: 'POST',
          path: '/v1/admin/tenants/quiet/search',
          token: admin,
          localAddress: '127.0.0.3',
          body: { vector: quietVector(i), topK: 1 },
        }),
      );
      await sleep(300);
    }
    await flood;
    const until = Date.now() + 30_000;
    const insiderAlerts = (): number =>
      world.sink.received
        .slice(before)
        .filter((a) => JSON.stringify(a).includes('admin.cross_tenant.search')).length;
    while (insiderAlerts() < 3 && Date.now() < until) await sleep(250);
    if (insider.some((r) => r.status !== 200))
      world.failures.push(
        `${this.name}: cross-tenant admin searches answered ${statusesOf(insider)}`,
      );
    if (insiderAlerts() < 3)
      world.failures.push(
        `${this.name}: ${insiderAlerts()} of 3 cross_tenant_admin alerts reached the sink`,
      );
    return `3,200 refused: ${statusesOf(replies)}; insider alerts received ${insiderAlerts()}/3; sink total ${world.sink.received.length - before}`;
  },
};

export const auditSpam: Attack = {
  name: 'audit spam, then GET /v1/audit?limit=1',
  settings: 'defaults',
  async prepare(world) {
    await createTenant(world, { id: 'spammer', dimension: 4, metric: 'cosine' });
    const token = world.tokens.tenant('spammer', ['reader']);
    await pool(
      Array.from({ length: AUDIT_SPAM }, (_, i) => i),
      16,
      async (i) => {
        await call(world.port, { method: 'GET', path: `/v1/vectors/missing-${i}`, token });
      },
    );
  },
  async run(world, untilMs) {
    const token = world.tokens.tenant('spammer', ['tenant_admin']);
    const replies: Reply[] = [];
    while (Date.now() < untilMs) {
      replies.push(await call(world.port, { method: 'GET', path: '/v1/audit?limit=1', token }));
    }
    const ms = replies
      .filter((r) => r.status === 200)
      .map((r) => r.ms)
      .sort((a, b) => a - b);
    return `${AUDIT_SPAM} events, then ${replies.length} pages: ${statusesOf(replies)}; page p50 ${(ms[Math.floor(ms.length / 2)] ?? NaN).toFixed(1)} ms`;
  },
};

export const erasure: Attack = {
  name: 'large erasure of a shared-strategy tenant',
  settings: 'defaults',
  async prepare(world) {
    await createTenant(world, { id: 'doomed', dimension: QUIET_DIM, metric: 'cosine' });
    await upsertAll(
      world,
      'doomed',
      ERASE_RECORDS,
      (i) => ({ id: `d${i}`, values: quietVector(i + 7), metadata: { n: i } }),
      1000,
    );
  },
  async run(world) {
    const reply = await call(world.port, {
      method: 'DELETE',
      path: '/v1/admin/tenants/doomed',
      token: world.tokens.platform(),
      localAddress: '127.0.0.3',
    });
    if (reply.status !== 204)
      world.failures.push(`${this.name}: delete answered ${reply.status} ${reply.body}`);
    return `${ERASE_RECORDS} records in the quiet tenant's shared table: ${reply.status} after ${reply.ms.toFixed(0)} ms`;
  },
};

export const connectionFlood: Attack = {
  name: 'connection flood of half-sent requests',
  settings: 'defaults',
  async prepare() {},
  async run(world, untilMs) {
    const open: Socket[] = [];
    let refused = 0;
    let opened = 0;
    // All of them, however long it takes: the count is bounded, the phase is not the limit.
    while (opened < FLOOD_CONNECTIONS) {
      const size = Math.min(1000, FLOOD_CONNECTIONS - opened);
      const sockets = await Promise.all(
        Array.from({ length: size }, () => openSocket(world.port, '127.0.0.1')),
      );
      opened += size;
      for (const socket of sockets) {
        if (!socket) {
          refused++;
          continue;
        }
        socket.on('error', () => undefined);
        socket.write('POST /v1/search HTTP/1.1\r\nHost: x\r\ncontent-length: 100\r\n');
        open.push(socket);
      }
      await sleep(100);
    }
    await sleep(1000);
    const stillOpen = open.filter((s) => !s.destroyed && s.readyState === 'open').length;
    while (Date.now() < untilMs) await sleep(200);
    for (const socket of open) socket.destroy();
    return (
      `${opened} half-sent connections from 127.0.0.1: ${stillOpen} still open a second later ` +
      `(≤ MAX_CONNECTIONS_PER_IP accepted, the rest waiting in the kernel's listen backlog), ` +
      `the others closed (${refused} refused at connect)`
    );
  },
};

export const ATTACKS: readonly Attack[] = [
  filterAttack,
  unreadAttack,
  refusedFlood,
  auditSpam,
  erasure,
  connectionFlood,
];
