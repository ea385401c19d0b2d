// pino with every credential-bearing field redacted. Errors are serialized to a
// few plain fields: auth library errors carry request configs with secrets.

import pino, { type DestinationStream, type Logger } from 'pino';

const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'api-key', 'x-api-key', 'x-goog-api-key', 'cookie'];
const CREDENTIAL_FIELDS = ['token', 'accessToken', 'access_token', 'refresh_token', 'id_token', 'client_secret', 'private_key', 'apiKey', 'apiKeys'];

// Headers at the top level or one object down (`req.headers`, `res.headers`);
// credential fields at the top level or one object down (`credentials.*`).
export const REDACTED_PATHS = [
  ...CREDENTIAL_HEADERS.flatMap((name) => [`headers["${name}"]`, `*.headers["${name}"]`]),
  ...CREDENTIAL_FIELDS.flatMap((name) => [name, `*.${name}`]),
];

export function serializeError(err: unknown): Record<string, unknown> {
  if (!(err instanceof Error)) return { message: String(err) };
  const fields = err as Error & { code?: unknown; statusCode?: unknown };
  return {
    type: err.name,
    message: err.message,
    ...(typeof fields.code === 'string' ? { code: fields.code } : {}),
    ...(typeof fields.statusCode === 'number' ? { statusCode: fields.statusCode } : {}),
    ...(err.cause instanceof Error ? { cause: serializeError(err.cause) } : {}),
  };
}

export function createLogger(level: string, destination?: DestinationStream): Logger {
  return pino(
    {
      level,
      base: { name: 'vertex-openai-proxy' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
      serializers: { err: serializeError, error: serializeError },
    },
    destination,
  );
}
