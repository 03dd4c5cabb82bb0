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
    if (this.config.http.publicUrl) return this.config.http.publicUrl;
    const server = this.adapterHost.httpAdapter.getHttpServer() as {
      address(): AddressInfo | string | null;
    };
    const bound = server.address();
    const port = typeof bound === 'object' && bound ? bound.port : this.config.http.port;
    const address = typeof bound === 'object' && bound ? bound.address : this.config.http.host;
    // An unspecified address (0.0.0.0, ::) is reachable on loopback from this machine.
    const host =
      address === '0.0.0.0' || address === '::' || address === ''
        ? '127.0.0.1'
        : address.includes(':')
          ? `[${address}]`
          : address;
    return `http://${host}:${port}`;
  }
}
