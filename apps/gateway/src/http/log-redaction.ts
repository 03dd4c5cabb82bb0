/**
 * What pino never writes: credentials in request headers (`authorization`, `api-key`,
 * cookies) and in fields of logged objects (`authorization`, `api-key`, `token`, `key`), at
 * the top level or one level down.
 */
export const LOG_REDACTION = {
  paths: [
    'req.headers.authorization',
    'req.headers["api-key"]',
    'req.headers.cookie',
    '*.authorization',
    '*["api-key"]',
    '*.token',
    'token',
    '*.key',
    'key',
  ],
  censor: '[redacted]',
};
