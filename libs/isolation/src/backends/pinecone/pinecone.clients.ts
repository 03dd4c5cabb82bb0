import { Index, Pinecone } from '@pinecone-database/pinecone';
import { createHash } from 'node:crypto';

export interface PineconeClientSettings {
  readonly controllerHost?: string;
  readonly requestTimeoutMs: number;
  readonly maxRetries: number;
  readonly apiVersion?: string;
  /** The fetch the clients use underneath (the global one by default). */
  readonly fetch?: typeof fetch;
}

/**
 * Pinecone clients (control plane) and index handles (data plane), built once per API key and
 * host and reused by every request: building them per request would re-create the client's
 * configuration, middleware and retry wrapper on every call. Keys are held by a fingerprint,
 * so a map dump or a debug print never shows one.
 */
export class PineconeClients {
  private readonly clients = new Map<string, Pinecone>();
  private readonly handles = new Map<string, Index>();
  private readonly fetchApi: typeof fetch;

  constructor(private readonly settings: PineconeClientSettings) {
    this.fetchApi = boundedFetch(settings);
  }

  /** The client of one project key, for control-plane calls and for building handles. */
  client(apiKey: string): Pinecone {
    const id = fingerprint(apiKey);
    let client = this.clients.get(id);
    if (!client) {
      client = new Pinecone({
        apiKey,
        ...(this.settings.controllerHost
          ? { controllerHostUrl: this.settings.controllerHost }
          : {}),
        fetchApi: this.fetchApi,
        maxRetries: this.settings.maxRetries,
        sourceTag: 'vecgate',
      });
      this.clients.set(id, client);
    }
    return client;
  }

  /**
   * The handle of one index host for one key. It is bound to no namespace: every data-plane
   * call names its namespace explicitly (see `TenantIndex`).
   */
  index(apiKey: string, host: string): Index {
    const id = `${fingerprint(apiKey)}|${normalizeHost(host)}`;
    let handle = this.handles.get(id);
    if (!handle) {
      handle = this.client(apiKey).index({ host: normalizeHost(host) });
      this.handles.set(id, handle);
    }
    return handle;
  }

  /** Drops the handles of a host that no longer exists (an erased dedicated index). */
  forgetHost(host: string): void {
    const suffix = `|${normalizeHost(host)}`;
    for (const id of [...this.handles.keys()]) if (id.endsWith(suffix)) this.handles.delete(id);
  }

  /** How many clients and handles exist (they must not grow with the number of requests). */
  get size(): { clients: number; handles: number } {
    return { clients: this.clients.size, handles: this.handles.size };
  }

  clear(): void {
    this.handles.clear();
    this.clients.clear();
  }
}

/** Hosts as the client uses them: Pinecone's describe-index answers them without a scheme. */
export function normalizeHost(host: string): string {
  const trimmed = host.trim().replace(/\/+$/, '');
  return /^https?:\/\//.test(trimmed) ? trimmed : `https://${trimmed}`;
}

function fingerprint(apiKey: string): string {
  return createHash('sha256').update(apiKey).digest('hex').slice(0, 32);
}

/**
 * The fetch under the client: a deadline on every request (the client sets none, and a
 * silent host would hold a request forever) and, when configured, another API version header
 * (the client sets its own on every call, after any header given in its configuration).
 */
function boundedFetch(settings: PineconeClientSettings): typeof fetch {
  const base = settings.fetch ?? globalThis.fetch;
  return (input, init) => {
    const deadline = AbortSignal.timeout(settings.requestTimeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, deadline]) : deadline;
    if (!settings.apiVersion) return base(input, { ...init, signal });
    const headers = new Headers(init?.headers);
    headers.set('X-Pinecone-Api-Version', settings.apiVersion);
    return base(input, { ...init, headers, signal });
  };
}
