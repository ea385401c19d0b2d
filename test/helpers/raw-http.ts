// HTTP/1.1 over a bare socket, for what fetch, undici and inject() would
// normalise away: absolute-form targets, `..`, double slashes, backslashes,
// hop-by-hop headers, chunked bodies, `Expect: 100-continue`.

import { connect } from 'node:net';

export interface RawResponse {
  readonly status: number;
  /** Lowercased names; repeated headers joined with ", ". */
  readonly headers: Record<string, string>;
  readonly body: string;
  /** Interim responses seen before the final one, e.g. 100. */
  readonly interim: number[];
}

export interface RawRequest {
  readonly method?: string;
  /** Sent verbatim as the request target. */
  readonly target: string;
  /** Sent verbatim, in order; add `Host` yourself (or leave it out on purpose). */
  readonly headers?: readonly [string, string][];
  readonly body?: string;
  /** Send the body as these chunks with `Transfer-Encoding: chunked` framing. */
  readonly chunked?: readonly string[];
  /** Wait for `100 Continue` before sending the body. */
  readonly awaitContinue?: boolean;
}

/** Sends one request on a fresh connection and reads one response. */
export function rawRequest(url: string, request: RawRequest): Promise<RawResponse> {
  const { hostname, port } = new URL(url);
  const head = [
    `${request.method ?? 'POST'} ${request.target} HTTP/1.1`,
    ...(request.headers ?? []).map(([name, value]) => `${name}: ${value}`),
  ].join('\r\n');
  const body = request.chunked
    ? request.chunked.map((c) => `${Buffer.byteLength(c).toString(16)}\r\n${c}\r\n`).join('') + '0\r\n\r\n'
    : (request.body ?? '');

  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), hostname);
    let buffer = Buffer.alloc(0);
    let bodySent = !request.awaitContinue;
    const interim: number[] = [];
    socket.setTimeout(20_000, () => socket.destroy(new Error('raw request timed out')));
    socket.on('connect', () => {
      socket.write(`${head}\r\n\r\n`);
      if (bodySent) socket.write(body);
    });
    const finish = (result: RawResponse) => {
      socket.destroy();
      resolve(result);
    };
    socket.on('data', (data: Buffer) => {
      buffer = Buffer.concat([buffer, data]);
      for (;;) {
        const parsed = parseResponse(buffer, false);
        if (!parsed) return;
        if (parsed.status >= 100 && parsed.status < 200) {
          interim.push(parsed.status);
          buffer = buffer.subarray(parsed.consumed);
          if (!bodySent) {
            bodySent = true;
            socket.write(body);
          }
          continue;
        }
        return finish({ ...parsed, interim });
      }
    });
    socket.on('end', () => {
      const parsed = parseResponse(buffer, true);
      if (parsed) finish({ ...parsed, interim });
      else reject(new Error(`connection closed without a full response: ${JSON.stringify(buffer.toString('latin1'))}`));
    });
    socket.on('error', reject);
  });
}

interface Parsed {
  status: number;
  headers: Record<string, string>;
  body: string;
  consumed: number;
}

function parseResponse(buffer: Buffer, ended: boolean): Parsed | undefined {
  const headEnd = buffer.indexOf('\r\n\r\n');
  if (headEnd === -1) return undefined;
  const [statusLine = '', ...lines] = buffer.subarray(0, headEnd).toString('latin1').split('\r\n');
  const status = Number(statusLine.split(' ')[1]);
  const headers: Record<string, string> = {};
  for (const line of lines) {
    const colon = line.indexOf(':');
    const name = line.slice(0, colon).trim().toLowerCase();
    const value = line.slice(colon + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const start = headEnd + 4;
  if (status < 200 || status === 204 || status === 304) return { status, headers, body: '', consumed: start };
  if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) return parseChunked(buffer, start, status, headers);
  if (headers['content-length'] !== undefined) {
    const end = start + Number(headers['content-length']);
    if (buffer.length < end) return undefined;
    return { status, headers, body: buffer.subarray(start, end).toString('utf8'), consumed: end };
  }
  return ended ? { status, headers, body: buffer.subarray(start).toString('utf8'), consumed: buffer.length } : undefined;
}

function parseChunked(buffer: Buffer, start: number, status: number, headers: Record<string, string>): Parsed | undefined {
  const parts: Buffer[] = [];
  let at = start;
  for (;;) {
    const lineEnd = buffer.indexOf('\r\n', at);
    if (lineEnd === -1) return undefined;
    const size = parseInt(buffer.subarray(at, lineEnd).toString('latin1'), 16);
    if (size === 0) {
      // The last chunk: an empty line, or trailers and then an empty line.
      const end = buffer.subarray(lineEnd + 2, lineEnd + 4).toString('latin1') === '\r\n' ? lineEnd + 4 : buffer.indexOf('\r\n\r\n', lineEnd + 2) + 4;
      if (end < 4 || buffer.length < end) return undefined;
      return { status, headers, body: Buffer.concat(parts).toString('utf8'), consumed: end };
    }
    if (buffer.length < lineEnd + 2 + size + 2) return undefined;
    parts.push(buffer.subarray(lineEnd + 2, lineEnd + 2 + size));
    at = lineEnd + 2 + size + 2;
  }
}

/** `Host` for a listening harness URL, as a well-behaved local client sends it. */
export function hostOf(url: string): string {
  return new URL(url).host;
}
