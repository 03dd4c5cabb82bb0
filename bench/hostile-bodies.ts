/**
 * `npx tsx bench/hostile-bodies.ts` (after `npm run build`): what a tenant sending bodies of a
 * hostile shape, each within MAX_BODY_BYTES, costs a quiet neighbour, and what one whose searches
 * answer 1,000 records of metadata made of one-character strings (15 MB each) costs it. The built gateway runs in
 * its own process with the defaults; a quiet tenant (2,000 × 128) searches and fetches one call
 * at a time from 127.0.0.2 while a hostile tenant sends one body after the other from 127.0.0.1.
 * Per phase: the neighbour's p50/p99/max, the gateway's largest event-loop delay (its own
 * `nodejs_eventloop_lag_max` gauge, reset at each scrape), and the attacker's answers. Also times
 * the pre-parse shape pass against `JSON.parse` on a 16 MiB body of numbers, in-process.
 *
 * Tunables (environment): BENCH_HOSTILE_MAIN (the built entry point, default this checkout's;
 * point it at an earlier commit's build to measure the "before"), BENCH_HOSTILE_LABEL (after),
 * BENCH_HOSTILE_PHASE_MS (8000), BENCH_HOSTILE_ONLY (run only the phases whose name contains
 * this text, e.g. `maximal`). Writes bench/results/hostile-bodies-<label>.md.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  DEFAULT_MAX_BODY_NODES,
  jsonShapeExcess,
  MAX_KEY_LENGTH,
  NODES_PER_RECORD,
} from '../apps/gateway/src/http/json-shape';
import { MAIN } from '../test/support/build-output';
import { freePort, GatewayProcess } from '../test/support/gateway-process';
import { ScriptTokens } from '../test/support/script-tokens';
import { call, Reply } from '../test/load/neighbours/wire';
import { QUIET_DIM, quietVector } from '../test/load/neighbours/world';
import { machineLines, percentile, publish, tunable } from './engine-support';

const MAIN_FILE = process.env.BENCH_HOSTILE_MAIN ?? MAIN;
const LABEL = process.env.BENCH_HOSTILE_LABEL ?? 'after';
const PHASE_MS = tunable('BENCH_HOSTILE_PHASE_MS', 8000);
const ONLY = process.env.BENCH_HOSTILE_ONLY ?? '';
const REPORT = join(__dirname, 'results', `hostile-bodies-${LABEL}.md`);
const WIDE = 4096;

interface Phase {
  readonly name: string;
  readonly path: string;
  /** Built once, sent as is, again and again. */
  readonly body: Buffer;
}

const keys = (n: number): string => Array.from({ length: n }, (_, i) => `"k${i}":0`).join(',');
const objects = (n: number): string => `${'{},'.repeat(n - 1)}{}`;
const floats = (i: number): string =>
  Array.from({ length: WIDE }, (_, j) => `0.${((i + j) % 9) + 1}`).join(',');

/** Where the hostile tenant keeps the records its large answers return. */
const ANSWERS = 'answers';
const ANSWER_RECORDS = 1000;
const ANSWER_KEYS = 15;
const ANSWER_ITEMS = 250;

/** About 15 KB of metadata JSON in 3,750 one-character strings: the costliest per byte to decode. */
function tinyStrings(): Record<string, string[]> {
  const metadata: Record<string, string[]> = {};
  for (let k = 0; k < ANSWER_KEYS; k++) {
    metadata[`k${k}`] = Array.from({ length: ANSWER_ITEMS }, (_, i) =>
      String.fromCharCode(97 + ((i + k) % 26)),
    );
  }
  return metadata;
}

/** A legitimate write at its largest: 1,000 records of 4,096 numbers with metadata, ~15.8 MiB. */
function maximalWrite(): string {
  const records = Array.from(
    { length: 1000 },
    (_, i) =>
      `{"id":"w${i}","values":[${floats(i)}],"metadata":{"source":"doc-${i}.pdf","page":${i},` +
      `"tags":["alpha","beta"],"loc":{"lines":{"from":${i},"to":${i + 40}}}}}`,
  );
  return `{"vectors":[${records.join(',')}]}`;
}

/**
 * Within the default bound, keys that no cache has seen: 1,000 records of NODES_PER_RECORD - 7
 * distinct 40-character names each (the record's own 6 nodes and the envelope take the rest).
 */
const LONG_KEYS = NODES_PER_RECORD - 7;
function longKeys(): string {
  const name = (n: number): string => `k${String(n).padStart(39, '0')}`;
  const record = (i: number): string =>
    `{"id":"l${i}","values":[1],"metadata":{${Array.from({ length: LONG_KEYS }, (_, k) => `"${name(i * LONG_KEYS + k)}":0`).join(',')}}}`;
  return `{"vectors":[${Array.from({ length: 1000 }, (_, i) => record(i)).join(',')}]}`;
}

function phases(): Phase[] {
  const upsert = '/v1/vectors';
  const bound = DEFAULT_MAX_BODY_NODES;
  const list: [string, string, string][] = [
    ['5,000,000 × `{}` (v1)', upsert, `{"vectors":[${objects(5_000_000)}]}`],
    [
      '5,000,000 × `{}` (Pinecone upsert)',
      '/pinecone/data/docs/vectors/upsert',
      `{"vectors":[${objects(5_000_000)}]}`,
    ],
    [
      'one object of 1,000,000 keys',
      upsert,
      `{"vectors":[{"id":"a","values":[1],"metadata":{${keys(1_000_000)}}}]}`,
    ],
    ['5,000,000 × `[]`', upsert, `{"vectors":[${'[],'.repeat(4_999_999)}[]]}`],
    ['7,000,000 levels of nesting', upsert, `${'['.repeat(7_000_000)}${']'.repeat(7_000_000)}`],
    [`${bound - 3} × \`{}\` (at MAX_BODY_NODES)`, upsert, `{"vectors":[${objects(bound - 3)}]}`],
    [
      `one object of ${bound - 12} keys (at MAX_BODY_NODES)`,
      upsert,
      `{"vectors":[{"id":"a","values":[1],"metadata":{${keys(bound - 12)}}}]}`,
    ],
    [`1,000 records of ${LONG_KEYS} distinct 40-character keys`, upsert, longKeys()],
    [
      'one key of 4,000,000 dotted segments outside ASCII (12 MiB)',
      upsert,
      `{"vectors":[{"id":"a","values":[1],"metadata":{"é${'.é'.repeat(4_000_000)}":0}}]}`,
    ],
    [
      '4,000 distinct keys of 1,000 characters outside ASCII',
      upsert,
      `{"vectors":[{"id":"a","values":[1],"metadata":{${Array.from(
        { length: 4000 },
        (_, i) => `"${'é.'.repeat(498)}${String(i).padStart(4, '0')}":0`,
      ).join(',')}}}]}`,
    ],
    ['maximal write: 1,000 × 4,096 with metadata', upsert, maximalWrite()],
    [
      `search answering ${ANSWER_RECORDS.toLocaleString('en-US')} records of ${ANSWER_KEYS} × ${ANSWER_ITEMS} one-character strings`,
      '/v1/search',
      JSON.stringify({
        vector: Array.from({ length: WIDE }, (_, j) => ((j % 7) + 1) / 7),
        topK: ANSWER_RECORDS,
        includeMetadata: true,
        namespace: ANSWERS,
      }),
    ],
  ];
  return list
    .filter(([name]) => name.includes(ONLY))
    .map(([name, path, text]) => ({ name, path, body: Buffer.from(text) }));
}

/** One raw JSON body, sent as bytes (the shapes here are not worth a JSON.stringify). */
function send(
  port: number,
  path: string,
  headers: Record<string, string>,
  body: Buffer,
): Promise<Reply> {
  const started = process.hrtime.bigint();
  const ms = (): number => Number(process.hrtime.bigint() - started) / 1e6;
  return new Promise((resolve) => {
    const req = request(
      {
        host: '127.0.0.1',
        port,
        method: path === '/v1/vectors' ? 'PUT' : 'POST',
        path,
        localAddress: '127.0.0.1',
        headers: { ...headers, 'content-type': 'application/json', 'content-length': body.length },
      },
      (res) => {
        res.resume();
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body: '', ms: ms() }));
      },
    );
    req.setTimeout(120_000, () => req.destroy(new Error('client timeout')));
    req.on('error', (err) => resolve({ status: 0, body: '', ms: ms(), error: err.message }));
    req.end(body);
  });
}

interface Quiet {
  readonly samples: number[];
  errors: number;
}

async function quietLoop(port: number, token: string, untilMs: number): Promise<Quiet> {
  const agent = new Agent({ keepAlive: true, maxSockets: 1, localAddress: '127.0.0.2' });
  const quiet: Quiet = { samples: [], errors: 0 };
  for (let i = 0; Date.now() < untilMs; i++) {
    const search = await call(port, {
      method: 'POST',
      path: '/v1/search',
      token,
      agent,
      body: { vector: quietVector(i), topK: 10, includeMetadata: true },
      timeoutMs: 60_000,
    });
    const fetched = await call(port, {
      method: 'GET',
      path: `/v1/vectors/q${i % 2000}`,
      token,
      agent,
    });
    for (const reply of [search, fetched]) {
      if (reply.status === 200) quiet.samples.push(reply.ms);
      else quiet.errors++;
    }
  }
  agent.destroy();
  return quiet;
}

async function attackLoop(
  port: number,
  headers: Record<string, string>,
  phase: Phase,
  untilMs: number,
): Promise<Reply[]> {
  const replies: Reply[] = [];
  while (Date.now() < untilMs) replies.push(await send(port, phase.path, headers, phase.body));
  return replies;
}

/** The gateway's largest event-loop delay since the last scrape, in ms (the scrape resets it). */
async function lagMaxMs(metricsPort: number): Promise<number> {
  const text = await (await fetch(`http://127.0.0.1:${metricsPort}/metrics`)).text();
  const line = text
    .split('\n')
    .find((l) => l.startsWith('vecgate_process_nodejs_eventloop_lag_max_seconds'));
  return line ? Number(line.split(' ')[1]) * 1000 : Number.NaN;
}

async function admin(
  port: number,
  tokens: ScriptTokens,
  path: string,
  body: object,
): Promise<Reply> {
  const reply = await call(port, { method: 'POST', path, token: tokens.platform(), body });
  if (reply.status >= 300) throw new Error(`${path}: ${reply.status} ${reply.body}`);
  return reply;
}

async function prepare(port: number, tokens: ScriptTokens): Promise<string> {
  await admin(port, tokens, '/v1/admin/tenants', {
    id: 'quiet',
    dimension: QUIET_DIM,
    metric: 'cosine',
  });
  await admin(port, tokens, '/v1/admin/tenants', {
    id: 'hostile',
    dimension: WIDE,
    metric: 'cosine',
  });
  const writer = tokens.tenant('quiet', ['writer']);
  for (let at = 0; at < 2000; at += 500) {
    const vectors = Array.from({ length: 500 }, (_, k) => ({
      id: `q${at + k}`,
      values: quietVector(at + k),
      metadata: { g: (at + k) % 10 },
    }));
    const put = await call(port, {
      method: 'PUT',
      path: '/v1/vectors',
      token: writer,
      body: { vectors },
    });
    if (put.status !== 200) throw new Error(`quiet upsert: ${put.status} ${put.body}`);
  }
  // The records of the large-answer phase, in a namespace of their own.
  const hostile = tokens.tenant('hostile', ['writer']);
  for (let at = 0; at < ANSWER_RECORDS; at += 100) {
    const vectors = Array.from({ length: 100 }, (_, k) => ({
      id: `a${at + k}`,
      values: Array.from({ length: WIDE }, (_, j) => (((at + k + j) % 11) + 1) / 11),
      metadata: tinyStrings(),
    }));
    const put = await call(port, {
      method: 'PUT',
      path: '/v1/vectors',
      token: hostile,
      body: { vectors, namespace: ANSWERS },
    });
    if (put.status !== 200) throw new Error(`hostile upsert: ${put.status} ${put.body}`);
  }
  const created = await admin(port, tokens, '/v1/admin/tenants/hostile/api-keys', {
    name: 'bench',
    roles: ['writer', 'tenant_admin'],
  });
  const key = (JSON.parse(created.body) as { key: string }).key;
  // The index the Pinecone phase writes to, so its bodies reach a real upsert.
  const index = await call(port, {
    method: 'POST',
    path: '/pinecone/indexes',
    headers: { 'api-key': key },
    body: {
      name: 'docs',
      dimension: WIDE,
      metric: 'cosine',
      spec: { serverless: { cloud: 'aws', region: 'us-east-1' } },
    },
  });
  if (index.status >= 300) throw new Error(`pinecone index: ${index.status} ${index.body}`);
  return key;
}

/** The shape pass against the parse it precedes, in-process, on a 16 MiB body of numbers. */
function scanCost(): string[] {
  const records = Array.from(
    { length: 400 },
    (_, i) =>
      `{"id":"s${i}","values":[${Array.from({ length: WIDE }, (_, j) => (Math.sin(i * WIDE + j) / 3).toFixed(7)).join(',')}]}`,
  );
  const text = `{"vectors":[${records.join(',')}]}`;
  const time = (work: () => unknown): number[] =>
    Array.from({ length: 12 }, () => {
      const started = process.hrtime.bigint();
      work();
      return Number(process.hrtime.bigint() - started) / 1e6;
    }).slice(2);
  const bounds = { maxNodes: DEFAULT_MAX_BODY_NODES, maxDepth: 32, maxKeyLength: MAX_KEY_LENGTH };
  const scan = time(() => jsonShapeExcess(text, bounds));
  const parse = time(() => JSON.parse(text));
  const mib = (text.length / 2 ** 20).toFixed(1);
  return [
    `Shape pass on ${mib} MiB of numbers (400 × 4,096, 7 decimals), in-process, 10 runs after 2 warm-ups: ` +
      `pass p50 ${percentile(scan, 50).toFixed(1)} ms (max ${Math.max(...scan).toFixed(1)}), ` +
      `JSON.parse p50 ${percentile(parse, 50).toFixed(1)} ms (max ${Math.max(...parse).toFixed(1)}).`,
  ];
}

const f = (n: number): string => (Number.isFinite(n) ? n.toFixed(1) : '—');

function tally(replies: readonly Reply[]): string {
  const counts = new Map<string, number>();
  for (const r of replies)
    counts.set(String(r.status || r.error), (counts.get(String(r.status || r.error)) ?? 0) + 1);
  const answers = [...counts].map(([s, n]) => `${n}× ${s}`).join(', ');
  return `${answers}; answer p50 ${f(
    percentile(
      replies.map((r) => r.ms),
      50,
    ),
  )} ms`;
}

async function main(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'vecgate-hostile-'));
  const secret = randomBytes(32).toString('base64url');
  const [port, metricsPort] = [await freePort(), await freePort()];
  const env = {
    NODE_ENV: 'production',
    JWT_SECRET: secret,
    DATA_DIR: join(dir, 'data'),
    METRICS_PORT: String(metricsPort),
  };
  const gateway = new GatewayProcess(port, env, join(dir, 'gateway.log'), MAIN_FILE);
  const tokens = new ScriptTokens(secret);
  const rows: string[] = [];
  try {
    await gateway.start();
    const key = await prepare(port, tokens);
    const quietToken = tokens.tenant('quiet', ['reader']);
    const bearer = { authorization: `Bearer ${tokens.tenant('hostile', ['writer', 'reader'])}` };
    const all = phases();
    await lagMaxMs(metricsPort);
    const alone = await quietLoop(port, quietToken, Date.now() + PHASE_MS);
    rows.push(row('alone', alone, await lagMaxMs(metricsPort), '—'));
    for (const phase of all) {
      process.stdout.write(`phase: ${phase.name}...\n`);
      await lagMaxMs(metricsPort);
      const until = Date.now() + PHASE_MS;
      const [quiet, replies] = await Promise.all([
        quietLoop(port, quietToken, until),
        attackLoop(
          port,
          phase.path.startsWith('/pinecone') ? { 'api-key': key } : bearer,
          phase,
          until,
        ),
      ]);
      const lag = await lagMaxMs(metricsPort);
      rows.push(
        row(
          phase.name,
          quiet,
          lag,
          `${(phase.body.length / 2 ** 20).toFixed(1)} MiB: ${tally(replies)}`,
        ),
      );
    }
  } finally {
    await Promise.race([
      gateway.stop(),
      new Promise((r) => setTimeout(r, 10_000)).then(() => gateway.kill()),
    ]);
    rmSync(dir, { recursive: true, force: true });
  }
  publish(REPORT, [
    `# Hostile body shapes (${LABEL})`,
    '',
    ...machineLines(`phases of ${PHASE_MS / 1000} s; gateway ${MAIN_FILE}.`),
    '',
    ...scanCost(),
    '',
    '| phase | neighbour p50 ms | neighbour p99 ms | neighbour max ms | neighbour calls | neighbour errors | gateway max event-loop delay ms | hostile tenant |',
    '| --- | --- | --- | --- | --- | --- | --- | --- |',
    ...rows,
    '',
  ]);
}

function row(name: string, quiet: Quiet, lagMs: number, attacker: string): string {
  const s = quiet.samples;
  return `| ${name} | ${f(percentile(s, 50))} | ${f(percentile(s, 99))} | ${f(Math.max(...s))} | ${s.length} | ${quiet.errors} | ${f(lagMs)} | ${attacker} |`;
}

void main().catch((err: Error) => {
  process.stderr.write(`${err.stack ?? err.message}\n`);
  process.exitCode = 1;
});
