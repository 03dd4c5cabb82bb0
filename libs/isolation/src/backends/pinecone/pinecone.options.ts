import { MetricName } from '../../ports/vector.types';

/** A shared index: every `namespace` tenant of this (dimension, metric) lives in it. */
export interface PineconeSharedIndex {
  readonly dimension: number;
  readonly metric: MetricName;
  /** The index name, as the Pinecone console shows it. */
  readonly name: string;
  /** The index host (`https://name-xxxx.svc.<env>.pinecone.io`, or `http://host:port` locally). */
  readonly host: string;
}

/** Where a dedicated index is created: the spec Pinecone's create-index call takes. */
export type PineconeIndexSpec =
  | { readonly serverless: { readonly cloud: string; readonly region: string } }
  | {
      readonly pod: {
        readonly environment: string;
        readonly podType: string;
        readonly pods: number;
      };
    };

/**
 * Where a dedicated index's API key comes from. `project`: the gateway's own key
 * (`PINECONE_API_KEY`), one project for every tenant. `tenant`: the tenant's own key (its own
 * project), resolved by the secret provider; a tenant without one is refused, never served
 * with the project key. Recorded in each placement, so changing it later does not redirect
 * existing tenants.
 */
export type PineconeCredentials = 'project' | 'tenant';

export interface PineconeDedicatedOptions {
  readonly spec: PineconeIndexSpec;
  /** Prefix of dedicated index names; a name is the prefix plus 24 hex of the uid's hash. */
  readonly indexPrefix: string;
  readonly credentials: PineconeCredentials;
  /** Indexes the project may hold (the plan's limit); null for no check. */
  readonly maxIndexes: number | null;
  /** How long provisioning waits for a new index to become ready. */
  readonly readyTimeoutMs: number;
}

export interface PineconeTenantKeysOptions {
  /** A directory of mounted secret files, `pinecone-<uid>` each holding one API key. */
  readonly directory?: string;
  /** How long a resolved key (or its absence) is reused before it is read again. */
  readonly cacheTtlMs: number;
}

export interface PineconeOptions {
  /** The project API key. Its presence enables the backend. */
  readonly apiKey: string;
  /** Control plane URL; unset means Pinecone's (`https://api.pinecone.io`). */
  readonly controllerHost?: string;
  /** One index per (dimension, metric) for the `namespace` strategy. */
  readonly sharedIndexes: readonly PineconeSharedIndex[];
  /** Settings for the `dedicated_index` strategy; unset disables that strategy. */
  readonly dedicated?: PineconeDedicatedOptions;
  readonly tenantKeys: PineconeTenantKeysOptions;
  /** Namespaces a shared index may hold (the plan's limit); null for no check. */
  readonly maxNamespacesPerIndex: number | null;
  /** Time allowed for one HTTP request to Pinecone (connect, answer and body). */
  readonly requestTimeoutMs: number;
  /** Retries of a 5xx answer by the client itself, with exponential back-off. */
  readonly maxRetries: number;
  /**
   * Overrides the `X-Pinecone-Api-Version` header the client sends (its own is fixed per
   * release). Only for servers that refuse the client's version, such as an older emulator.
   */
  readonly apiVersion?: string;
  /** How long an erasure polls for a zero count (deletes are eventually consistent). */
  readonly eraseTimeoutMs: number;
  /** Interval between polls (index readiness, erasure verification). */
  readonly pollIntervalMs: number;
}

/**
 * One record's metadata the Pinecone backend stores, in bytes of JSON: Pinecone allows 40 KB of
 * metadata per record, and the adapter keeps the caller's metadata twice (as JSON, and again as
 * the typed fields its filters read), so about half. Writing still checks the encoded size.
 */
export const PINECONE_METADATA_CAPACITY = 20 * 1024;
