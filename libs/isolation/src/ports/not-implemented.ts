import { VecgateError } from '@vecgate/core';

/** A port method a backend does not offer yet. */
export class NotImplementedError extends VecgateError {
  readonly status = 501;
  readonly title = 'Not Implemented';
  constructor(what: string, backend: string) {
    super(`${what} is not implemented on the ${backend} backend yet`, {
      reason: 'not_implemented',
    });
  }
}
