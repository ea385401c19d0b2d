// pino with every credential-bearing field redacted. Errors are serialized to a
// few plain fields: auth library errors carry request configs with secrets.

import pino, { type DestinationStream, type Logger } from 'pino';
import { LineBatches } from './log-batches.ts';

const CREDENTIAL_HEADERS = ['authorization', 'proxy-authorization', 'api-key', 'x-api-key', 'x-goog-api-key', 'cookie'];
const CREDENTIAL_FIELDS = ['token', 'accessToken', 'access_token', 'refresh_token', 'id_token', 'client_secret', 'private_key', 'apiKey', 'apiKeys'];

const CREDENTIAL_FIELD_SET = new Set(CREDENTIAL_FIELDS);
const CENSOR = '[redacted]';

// Headers at the top level or one object down (`req.headers`, `res.headers`);
// credential fields at the top level or one object down (`credentials.*`).
// Done here rather than with pino's `redact`: its `*.` paths run for every key
// of every line and cost ~30 µs a line, more than the rest of a proxied request's logging.
// The serializers also cover child-logger bindings, at the top level.
export const CREDENTIAL_SERIALIZERS: Record<string, (value: unknown) => unknown> = {
  headers: censorHeaders,
  ...Object.fromEntries(CREDENTIAL_FIELDS.map((name) => [name, () => CENSOR])),
};

export function redactCredentials(fields: Record<string, unknown>): Record<string, unknown> {
  return censorFields(fields, true);
}

function censorFields<T extends object>(fields: T, descend: boolean): T {
  let out = fields;
  for (const key in fields) {
    const value = fields[key] as unknown;
    let clean = value;
    if (CREDENTIAL_FIELD_SET.has(key)) clean = CENSOR;
    else if (key === 'headers') clean = censorHeaders(value);
    else if (descend && typeof value === 'object' && value !== null) clean = censorFields(value, false);
    if (clean !== value) {
      if (out === fields) out = copyOf(fields);
      (out as Record<string, unknown>)[key] = clean;
    }
  }
  return out;
}

function censorHeaders(headers: unknown): unknown {
  if (typeof headers !== 'object' || headers === null) return headers;
  let out = headers as Record<string, unknown>;
  for (const name of CREDENTIAL_HEADERS) {
    if (out[name] === undefined) continue;
    if (out === headers) out = copyOf(out);
    out[name] = CENSOR;
  }
  return out;
}

/** Never alter what the caller logged; keep class instances (errors) intact. */
function copyOf<T extends object>(value: T): T {
  const proto = Object.getPrototypeOf(value) as object | null;
  if (proto === Object.prototype || proto === null) return { ...value };
  return Object.create(proto, Object.getOwnPropertyDescriptors(value)) as T;
}

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

const WARN = pino.levels.values.warn;

/**
 * The only abort signals in this daemon are the ones cut when a client leaves,
 * and tools cancel requests all the time. @fastify/reply-from logs the upstream
 * request's AbortError at warn; it is logged at debug instead.
 */
function isClientAbort(first: unknown): boolean {
  return typeof first === 'object' && first !== null && (first as { name?: unknown }).name === 'AbortError';
}

/** Log lines are written out in batches of about this many characters… */
export const LOG_BATCH_CHARACTERS = 4096;
/** …or at least this often, so a quiet daemon's lines still show at once (for a reader). */
export const LOG_FLUSH_INTERVAL_MS = 100;

/**
 * stdout, written in batches: one write for every few kilobytes of lines
 * instead of one per line (log-batches.ts). Each batch is written
 * synchronously, as pino does by default: an asynchronous write hands every
 * batch to a libuv pool thread, and waking that thread on a busy two-core
 * machine cost the proxy more CPU per request than the rest of its logging.
 * One batcher for the process, so lines of every logger keep their order; what
 * is still batched goes out when the process exits, however it exits (the
 * graceful close also flushes: server/signals.ts).
 */
let stdout: LineBatches | undefined;

function stdoutDestination(): DestinationStream {
  if (!stdout) {
    const batches = new LineBatches(pino.destination({ dest: 1, sync: true }), { characters: LOG_BATCH_CHARACTERS, intervalMs: LOG_FLUSH_INTERVAL_MS });
    process.once('exit', () => {
      // At exit, a stdout that fails is given up: there is no one left to tell.
      try {
        batches.writePending();
      } catch {}
    });
    stdout = batches;
  }
  return stdout;
}

export function createLogger(level: string, destination: DestinationStream = stdoutDestination()): Logger {
  return pino(
    {
      level,
      base: { name: 'vertex-openai-proxy' },
      hooks: {
        logMethod(args, method, methodLevel) {
          if (methodLevel === WARN && isClientAbort(args[0])) return this.debug(...(args as Parameters<Logger['debug']>));
          return method.apply(this, args);
        },
      },
      formatters: { log: redactCredentials },
      serializers: { ...CREDENTIAL_SERIALIZERS, err: serializeError, error: serializeError },
    },
    destination,
  );
}
