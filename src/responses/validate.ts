// Small type checks for the untrusted request body. Each failure is a 400
// naming the field, so a client sees what to fix.

import { invalidBody } from './errors.ts';

export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** A string or absent (undefined/null → undefined). */
export function optionalString(value: unknown, field: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') throw invalidBody(`${field} must be a string.`);
  return value;
}

/** A finite number or absent. */
export function optionalNumber(value: unknown, field: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'number' || !Number.isFinite(value)) throw invalidBody(`${field} must be a number.`);
  return value;
}

/** The largest count Vertex takes (a 32-bit integer). */
const MAX_INT32 = 2 ** 31 - 1;

/** A positive integer Vertex can take, or absent. */
export function optionalPositiveInt(value: unknown, field: string): number | undefined {
  const n = optionalNumber(value, field);
  if (n !== undefined && (!Number.isInteger(n) || n < 1 || n > MAX_INT32)) throw invalidBody(`${field} must be a positive integer up to ${MAX_INT32}.`);
  return n;
}

export function optionalBoolean(value: unknown, field: string): boolean | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'boolean') throw invalidBody(`${field} must be a boolean.`);
  return value;
}

/** An object or absent. */
export function optionalRecord(value: unknown, field: string): Record<string, unknown> | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isRecord(value)) throw invalidBody(`${field} must be an object.`);
  return value;
}

export function requireString(value: unknown, field: string): string {
  if (typeof value !== 'string') throw invalidBody(`${field} must be a string.`);
  return value;
}

/**
 * Deeper than any body a client sends (tool schemas included), and shallow
 * enough that the proxy can serialize what it keeps of the body (the response
 * object, the stored history) without running out of stack.
 */
export const MAX_BODY_DEPTH = 64;

/** A 400 when the body nests objects or arrays deeper than MAX_BODY_DEPTH. */
export function requireShallow(value: unknown, depth = 0): void {
  if (typeof value !== 'object' || value === null) return;
  if (depth === MAX_BODY_DEPTH) throw invalidBody(`The body nests objects and arrays deeper than ${MAX_BODY_DEPTH} levels.`);
  const children = Array.isArray(value) ? value : Object.values(value);
  for (const child of children) requireShallow(child, depth + 1);
}

/** A query string as Fastify hands it over: an object of strings, arrays for repeated keys. */
export function queryFields(query: unknown): Record<string, unknown> {
  return typeof query === 'object' && query !== null ? (query as Record<string, unknown>) : {};
}

/** A query value of decimal digits as a number; NaN for anything else, a repeated key included. */
export function queryInteger(value: unknown): number {
  return typeof value === 'string' && /^[0-9]+$/.test(value) ? Number(value) : NaN;
}
