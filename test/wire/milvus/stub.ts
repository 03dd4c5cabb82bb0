import * as grpc from '@grpc/grpc-js';
import { fromJSON } from '@grpc/proto-loader';
import milvusProto from '@zilliz/milvus2-sdk-node/dist/milvus/proto-json/milvus';
// protobufjs is @grpc/proto-loader's own dependency; used only to decode the schema bytes
// CreateCollection carries, so DescribeCollection can answer with the schema it was given.
import { INamespace, Root } from 'protobufjs';
import {
  deleteRows,
  dropPartitionRows,
  ExpressionError,
  queryRows,
  searchRows,
  StoredRow,
  upsertRows,
} from './model';

/**
 * A `@grpc/grpc-js` server speaking the MilvusService of the protos shipped with the SDK
 * (protobufjs JSON under `dist/milvus/proto-json/`). It records every request as decoded
 * with the SDK's own loader options, keeps a small model of databases, collections,
 * partitions, indexes and rows so the real client's calls behave as on Milvus 2.6 (the rows
 * and how filters select them: `./model`), unless a test scripts an answer or a failure.
 */

/** The loader options the SDK uses (`LOADER_OPTIONS` in grpc/GrpcClient.js). */
const LOADER = { keepCase: true, longs: String, enums: String, defaults: true, oneofs: true };

export type Message = Record<string, unknown>;

export interface CapturedCall {
  readonly method: string;
  readonly request: Message;
  readonly metadata: Record<string, string>;
}

export interface StubCollection {
  readonly schema: Message;
  readonly consistency: string;
  partitions: string[];
  metric?: string;
  /** The rows written to it, by primary key (see `./model`). */
  rows?: Map<string, StoredRow>;
}

export const OK = { error_code: 'Success', reason: '', code: 0 };

/** A Milvus-style failure status (`common.Status`). */
export function failure(code: number, reason: string, errorCode = 'UnexpectedError'): Message {
  return { error_code: errorCode, reason, code };
}

/** What a scripted answer may be: a response message, or a gRPC error to fail the call. */
export type Scripted = Message | { readonly grpcError: grpc.status; readonly details: string };

type Responder = (request: Message) => Scripted;

/** The SDK's proto JSON, typed loosely: its literal type is too deep for `INamespace`. */
const PROTO_JSON = milvusProto as unknown as INamespace;
const root = Root.fromJSON(PROTO_JSON);
const schemaType = root.lookupType('milvus.proto.schema.CollectionSchema');
const fieldType = root.lookupType('milvus.proto.schema.FieldSchema');
const DECODED = { enums: String, longs: String, defaults: true };

function decodeSchema(bytes: unknown): Message {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.alloc(0);
  return schemaType.toObject(schemaType.decode(buffer), DECODED);
}

function decodeField(bytes: unknown): Message {
  const buffer = Buffer.isBuffer(bytes) ? bytes : Buffer.alloc(0);
  return fieldType.toObject(fieldType.decode(buffer), DECODED);
}

/**
 * AddCollectionField as Milvus 2.6 checks it (proxy `addCollectionFieldTask.PreExecute` and
 * `validateAddFieldRequest`): a new name, not a primary or partition key, and nullable "so
 * that old segments without this field can return NULL"; then the field joins the schema, and
 * rows written before it read its default value (`./model`).
 */
function addField(collection: StubCollection, field: Message): Message {
  const fields = (collection.schema.fields as Message[] | undefined) ?? [];
  const name = String(field.name);
  const invalid = (reason: string) => failure(1100, reason, 'IllegalArgument');
  if (fields.some((f) => f.name === name)) return invalid(`duplicated field name ${name}`);
  if (field.is_primary_key) return invalid(`not support to add pk field, field name = ${name}`);
  if (field.is_partition_key)
    return invalid(`not support to add partition key field, field name  = ${name}`);
  if (field.nullable !== true) {
    return invalid(`added field must be nullable, please check it, field name = ${name}`);
  }
  (collection.schema as { fields: Message[] }).fields = [...fields, field];
  return OK;
}

let service: grpc.ServiceDefinition | undefined;

/** The MilvusService definition, loaded once per process (the proto load takes ~200 ms). */
function serviceDefinition(): grpc.ServiceDefinition {
  if (!service) {
    const loaded = grpc.loadPackageDefinition(fromJSON(PROTO_JSON, LOADER)) as unknown as {
      milvus: { proto: { milvus: { MilvusService: { service: grpc.ServiceDefinition } } } };
    };
    service = loaded.milvus.proto.milvus.MilvusService.service;
  }
  return service;
}

function credentials(tls?: {
  cert: string;
  key: string;
  clientCa?: string;
}): grpc.ServerCredentials {
  if (!tls) return grpc.ServerCredentials.createInsecure();
  return grpc.ServerCredentials.createSsl(
    tls.clientCa ? Buffer.from(tls.clientCa) : null,
    [{ cert_chain: Buffer.from(tls.cert), private_key: Buffer.from(tls.key) }],
    tls.clientCa !== undefined,
  );
}

export class MilvusStub {
  readonly calls: CapturedCall[] = [];
  readonly databases = new Map<string, Map<string, StubCollection>>([['default', new Map()]]);
  private readonly scripted = new Map<string, Responder[]>();
  private readonly always = new Map<string, Responder>();
  private server: grpc.Server | undefined;
  private bound = '';

  /**
   * Starts on a free local port (or `port`) and answers the address for the client. With
   * `tls`, only TLS connections are accepted, and with `clientCa` only clients with a
   * certificate it signed.
   */
  async start(tls?: { cert: string; key: string; clientCa?: string }, port = 0): Promise<string> {
    const server = new grpc.Server();
    const service = serviceDefinition();
    const handlers: grpc.UntypedServiceImplementation = {};
    for (const method of Object.keys(service)) {
      handlers[method] = (
        call: grpc.ServerUnaryCall<Message, Message>,
        callback: grpc.sendUnaryData<Message>,
      ) => {
        const metadata: Record<string, string> = {};
        for (const [key, value] of Object.entries(call.metadata.getMap())) {
          metadata[key] = Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
        }
        this.calls.push({ method, request: call.request, metadata });
        const answer = this.answer(method, call.request);
        if ('grpcError' in answer) {
          callback({ code: answer.grpcError, details: answer.details } as grpc.ServiceError);
        } else callback(null, answer);
      };
    }
    server.addService(service, handlers);
    const bound = await new Promise<number>((resolve, reject) =>
      server.bindAsync(`127.0.0.1:${port}`, credentials(tls), (err, at) =>
        err ? reject(err) : resolve(at),
      ),
    );
    this.server = server;
    this.bound = `127.0.0.1:${bound}`;
    return this.bound;
  }

  /** The address `start` answered. */
  address(): string {
    return this.bound;
  }

  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    await new Promise<void>((resolve) => server.tryShutdown(() => resolve()));
  }

  /** Answers the next call of `method` with `response` (queued, one use each). */
  next(method: string, response: Scripted | Responder): this {
    const responder = typeof response === 'function' ? response : () => response;
    this.scripted.set(method, [...(this.scripted.get(method) ?? []), responder]);
    return this;
  }

  /** Answers every call of `method` with `response` until `reset`. */
  answerAlways(method: string, response: Scripted | Responder): this {
    this.always.set(method, typeof response === 'function' ? response : () => response);
    return this;
  }

  /** Forgets captured calls and scripted answers, and with `places` the modelled places. */
  reset(options: { places?: boolean } = {}): void {
    this.calls.length = 0;
    this.scripted.clear();
    this.always.clear();
    if (options.places) {
      this.databases.clear();
      this.databases.set('default', new Map());
    }
  }

  requests(method: string): Message[] {
    return this.calls.filter((c) => c.method === method).map((c) => c.request);
  }

  methods(): string[] {
    return this.calls.map((c) => c.method);
  }

  /** Decodes the `schema` bytes of a captured CreateCollection request. */
  schemaOf(request: Message): Message {
    return decodeSchema(request.schema);
  }

  /** Decodes the `schema` bytes (one field) of a captured AddCollectionField request. */
  fieldOf(request: Message): Message {
    return decodeField(request.schema);
  }

  private answer(method: string, request: Message): Scripted {
    const queued = this.scripted.get(method);
    const scripted = queued?.shift() ?? this.always.get(method);
    if (scripted) return scripted(request);
    return this.model(method, request);
  }

  private database(request: Message): Map<string, StubCollection> | undefined {
    const name =
      typeof request.db_name === 'string' && request.db_name ? request.db_name : 'default';
    return this.databases.get(name);
  }

  private collection(request: Message): StubCollection | undefined {
    return this.database(request)?.get(String(request.collection_name));
  }

  /** The status Milvus answers a data call on a database, collection or partition that is gone. */
  private missingPlace(
    request: Message,
    db: Map<string, StubCollection> | undefined,
    collection: StubCollection | undefined,
  ): Message | undefined {
    if (!db) return failure(800, `database not found[database=${String(request.db_name)}]`);
    if (!collection) {
      return failure(100, `collection not found[collection=${String(request.collection_name)}]`);
    }
    const named = [
      ...((request.partition_names as string[] | undefined) ?? []),
      ...(typeof request.partition_name === 'string' && request.partition_name
        ? [request.partition_name]
        : []),
    ];
    const gone = named.find((p) => !collection.partitions.includes(p));
    return gone === undefined ? undefined : failure(200, `partition not found[partition=${gone}]`);
  }

  /** The behaviour of an idle Milvus, enough for the SDK's own calls to go through. */
  private model(method: string, request: Message): Scripted {
    const db = this.database(request);
    const collection = this.collection(request);
    const noDatabase = {
      status: failure(800, `database not found[database=${String(request.db_name)}]`),
    };
    const noCollection = failure(
      100,
      `collection not found[collection=${String(request.collection_name)}]`,
    );
    switch (method) {
      case 'CheckHealth':
        return { status: OK, isHealthy: true, reasons: [] };
      case 'ListDatabases':
        return { status: OK, db_names: [...this.databases.keys()] };
      case 'CreateDatabase':
        this.databases.set(String(request.db_name), new Map());
        return OK;
      case 'DropDatabase': {
        if (!db) return failure(800, 'database not found');
        if (db.size > 0) return failure(65535, 'database is not empty, drop its collections first');
        this.databases.delete(String(request.db_name));
        return OK;
      }
      case 'ShowCollections':
        return db ? { status: OK, collection_names: [...db.keys()] } : noDatabase;
      case 'CreateCollection':
        if (!db) return failure(800, 'database not found');
        db.set(String(request.collection_name), {
          schema: decodeSchema(request.schema),
          consistency: String(request.consistency_level),
          partitions: ['_default'],
        });
        return OK;
      case 'DescribeCollection':
        if (!db) return noDatabase;
        if (!collection) return { status: noCollection };
        return {
          status: OK,
          schema: collection.schema,
          collection_name: request.collection_name,
          db_name: request.db_name,
          collectionID: '1',
          consistency_level: collection.consistency,
          num_partitions: String(collection.partitions.length),
        };
      case 'DropCollection':
        if (!collection) return noCollection;
        db?.delete(String(request.collection_name));
        return OK;
      case 'CreateIndex': {
        if (!collection) return noCollection;
        const params = (request.extra_params as { key: string; value: string }[]) ?? [];
        collection.metric = params.find((p) => p.key === 'metric_type')?.value;
        return OK;
      }
      case 'DescribeIndex':
        if (!collection) return { status: noCollection };
        if (collection.metric === undefined) {
          return { status: failure(700, 'index not found', 'IndexNotExist') };
        }
        return {
          status: OK,
          index_descriptions: [
            {
              index_name: '_vg_vector_index',
              field_name: '_vg_vector',
              params: [{ key: 'metric_type', value: collection.metric }],
            },
          ],
        };
      case 'LoadCollection':
      case 'LoadPartitions':
      case 'ReleasePartitions':
        return collection ? OK : noCollection;
      case 'GetLoadState':
        return collection ? { status: OK, state: 'LoadStateLoaded' } : { status: noCollection };
      case 'HasPartition':
        if (!collection) return { status: noCollection };
        return {
          status: OK,
          value: collection.partitions.includes(String(request.partition_name)),
        };
      case 'ShowPartitions':
        if (!collection) return { status: noCollection };
        return { status: OK, partition_names: [...collection.partitions] };
      case 'CreatePartition':
        if (!collection) return noCollection;
        collection.partitions.push(String(request.partition_name));
        return OK;
      case 'DropPartition': {
        if (!collection) return noCollection;
        const at = collection.partitions.indexOf(String(request.partition_name));
        if (at < 0) return failure(200, 'partition not found');
        collection.partitions.splice(at, 1);
        dropPartitionRows(collection, String(request.partition_name));
        return OK;
      }
      // Milvus 2.6 has no AlterCollectionSchema (the SDK then falls back to this call).
      case 'AddCollectionField':
        return collection ? addField(collection, decodeField(request.schema)) : noCollection;
      case 'Upsert':
      case 'Delete':
      case 'Query':
      case 'Search': {
        const missing = this.missingPlace(request, db, collection);
        if (missing)
          return method === 'Delete' || method === 'Upsert' ? missing : { status: missing };
        if (!collection) throw new Error('unreachable: the place was checked');
        try {
          return this.rows(method, collection, request);
        } catch (err) {
          if (!(err instanceof ExpressionError)) throw err;
          const invalid = failure(1100, err.message, 'IllegalArgument');
          return method === 'Delete' ? invalid : { status: invalid };
        }
      }
      default:
        return { grpcError: grpc.status.UNIMPLEMENTED, details: `${method} is not modelled` };
    }
  }

  /** Upsert, Delete, Search and Query on the modelled rows. */
  private rows(method: string, collection: StubCollection, request: Message): Message {
    if (method === 'Upsert') {
      return { status: OK, upsert_cnt: String(upsertRows(collection, request)), err_index: [] };
    }
    if (method === 'Delete') {
      return { status: OK, delete_cnt: String(deleteRows(collection, request)) };
    }
    if (method === 'Search') return searchAnswer(searchRows(collection, request));
    return queryAnswer(queryRows(collection, request));
  }
}

/** One record as a test describes what Milvus holds. */
export interface StubRow {
  readonly _vg_pk?: string;
  readonly _vg_id?: string;
  readonly _vg_tenant?: string;
  readonly _vg_ns?: string;
  readonly _vg_vector?: number[];
  readonly _vg_meta?: unknown;
  readonly 'count(*)'?: number;
}

/** Column-major `fields_data` for rows, typed the way Milvus answers each field. */
export function fieldsData(rows: readonly StubRow[]): Message[] {
  const names = [...new Set(rows.flatMap((r) => Object.keys(r)))];
  return names.map((name) => {
    const column = rows.map((r) => (r as Record<string, unknown>)[name]);
    if (name === 'count(*)') {
      return {
        type: 'Int64',
        field_name: name,
        scalars: { long_data: { data: column.map(String) } },
      };
    }
    if (name === '_vg_vector') {
      const vectors = column as number[][];
      return {
        type: 'FloatVector',
        field_name: name,
        vectors: { dim: String(vectors[0]?.length ?? 0), float_vector: { data: vectors.flat() } },
      };
    }
    if (name === '_vg_meta') {
      return {
        type: 'JSON',
        field_name: name,
        scalars: { json_data: { data: column.map((v) => Buffer.from(JSON.stringify(v))) } },
      };
    }
    return {
      type: 'VarChar',
      field_name: name,
      scalars: { string_data: { data: column.map(String) } },
    };
  });
}

export function queryAnswer(rows: readonly StubRow[]): Message {
  return { status: OK, fields_data: fieldsData(rows) };
}

/** A search answer for one query vector: hits in Milvus order with their raw scores. */
export function searchAnswer(hits: readonly (StubRow & { score: number })[]): Message {
  // Milvus answers the requested output fields; the primary keys travel as `ids`.
  const rows = hits.map(({ score: _score, _vg_pk: _pk, ...row }) => row);
  const data = fieldsData(rows);
  return {
    status: OK,
    results: {
      num_queries: '1',
      top_k: String(hits.length),
      topks: [String(hits.length)],
      scores: hits.map((h) => h.score),
      ids: { str_id: { data: hits.map((h) => h._vg_pk ?? '') } },
      fields_data: data,
      output_fields: data.map((f) => f.field_name),
    },
  };
}
