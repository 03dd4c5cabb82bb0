import type { Server } from 'node:http';
import type { Socket } from 'node:net';

export interface ConnectionLimitOptions {
  readonly maxConnections: number;
  readonly maxPerAddress: number;
}

/**
 * Caps open connections in total and per client address (the socket's peer, not a forwarded
 * header, which anyone can write). A connection over either cap is destroyed as soon as it is
 * accepted, before any byte of it is read, so a flood of half-sent requests from one address
 * holds at most `maxPerAddress` descriptors and never starves other addresses.
 */
export function limitConnections(server: Server, options: ConnectionLimitOptions): () => number {
  const perAddress = new Map<string, number>();
  let open = 0;
  server.on('connection', (socket: Socket) => {
    const address = socket.remoteAddress ?? 'unknown';
    const count = perAddress.get(address) ?? 0;
    if (open >= options.maxConnections || count >= options.maxPerAddress) {
      socket.destroy();
      return;
    }
    open++;
    perAddress.set(address, count + 1);
    socket.once('close', () => {
      open--;
      const left = (perAddress.get(address) ?? 1) - 1;
      if (left <= 0) perAddress.delete(address);
      else perAddress.set(address, left);
    });
  });
  return () => open;
}
