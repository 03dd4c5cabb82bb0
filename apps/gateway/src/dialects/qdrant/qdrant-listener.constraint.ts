import type { FastifyInstance } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { addErrorDialect } from '../../http/error-answer';
import { qdrantError } from './qdrant-errors';

const FROM_QDRANT_LISTENER = Symbol('vecgate.qdrantListener');

/** The route constraint that keeps the Qdrant listener's requests and routes to each other. */
export const LISTENER_CONSTRAINT = 'vgListener';
export const QDRANT_LISTENER = 'qdrant';

export function markQdrantRequest(req: IncomingMessage): void {
  (req as IncomingMessage & { [FROM_QDRANT_LISTENER]?: true })[FROM_QDRANT_LISTENER] = true;
}

export function isQdrantRequest(req: IncomingMessage): boolean {
  return (
    (req as IncomingMessage & { [FROM_QDRANT_LISTENER]?: true })[FROM_QDRANT_LISTENER] === true
  );
}

/**
 * Prepares the Fastify instance for the Qdrant listener, before any route or hook exists:
 * routes constrained to it match only its requests, and its requests match only those routes
 * (`mustMatchWhenDerived`); its errors, those raised before routing included, are answered in
 * Qdrant's shape.
 */
export function prepareQdrantDialect(fastify: FastifyInstance): void {
  fastify.addConstraintStrategy({
    name: LISTENER_CONSTRAINT,
    mustMatchWhenDerived: true,
    storage: () => {
      const values = new Map<string, unknown>();
      return {
        get: (value: string) => (values.get(value) ?? null) as never,
        set: (value: string, store: unknown) => void values.set(value, store),
      };
    },
    deriveConstraint: (req: IncomingMessage) =>
      isQdrantRequest(req) ? QDRANT_LISTENER : undefined,
    validate: () => true,
  });
  addErrorDialect(fastify, (request) => (isQdrantRequest(request.raw) ? qdrantError : undefined));
}
