import { Inject, Injectable } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import type { AddressInfo } from 'node:net';
import { GATEWAY_CONFIG } from '../../config/config.tokens';
import type { GatewayConfig } from '../../config/gateway.config';

/** The path under which an index's data plane is served: its `host` ends with it. */
export const DATA_PLANE_PATH = 'pinecone/data';

/**
 * The hosts handed out in index descriptions. They come from configuration (`PUBLIC_URL`), or,
 * without it, from the address the gateway listens on; never from a request's `Host` header,
 * which a caller could point anywhere (and the SDK sends its key to that host).
 */
@Injectable()
export class PineconeHosts {
  constructor(
    private readonly adapterHost: HttpAdapterHost,
    @Inject(GATEWAY_CONFIG) private readonly config: GatewayConfig,
  ) {}

  hostOf(index: string): string {
    return `${this.base()}/${DATA_PLANE_PATH}/${index}`;
  }

  private base(): string {
    const server = this.adapterHost.httpAdapter.getHttpServer() as {
      address(): AddressInfo | string | null;
    };
    return baseUrl(this.config.http, server.address());
  }
}

/**
 * `PUBLIC_URL` when set; else the address the server is bound to (an unspecified address,
 * `0.0.0.0` or `::`, is reachable on loopback from this machine), else the configured one.
 */
export function baseUrl(
  http: { publicUrl?: string; host: string; port: number },
  bound: AddressInfo | string | null,
): string {
  if (http.publicUrl) return http.publicUrl;
  const listening = typeof bound === 'object' && bound !== null ? bound : undefined;
  const address = listening?.address ?? http.host;
  const host =
    address === '0.0.0.0' || address === '::' || address === ''
      ? '127.0.0.1'
      : address.includes(':')
        ? `[${address}]`
        : address;
  return `http://${host}:${listening?.port ?? http.port}`;
}
