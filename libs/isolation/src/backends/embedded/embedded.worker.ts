import { parentPort, workerData } from 'node:worker_threads';
import type { EngineRequest, EngineWorkerData } from './embedded.engine-protocol';
import { EngineHost } from './embedded.engine-host';

/*
 * Entry of an embedded engine worker thread. Its module graph uses relative imports only, so
 * it loads the same way from the compiled build and from sources (through tsx).
 */
const port = parentPort;
if (!port) throw new Error('the embedded engine runs only as a worker thread');
const host = new EngineHost(workerData as EngineWorkerData, (reply) => port.postMessage(reply));
port.on('message', (request: EngineRequest) => host.handle(request));
