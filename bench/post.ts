// One HTTP POST that never rejects: the status, the body as text, and the time
// it took, or the transport error. The soak counts every outcome, so a failed
// connection is a result to record, not an exception.

import { request, type Agent } from 'node:http';

export interface Answer {
  /** 0 when no response arrived. */
  status: number;
  text: string;
  ms: number;
  error?: string;
}

export interface PostOptions {
  headers?: Record<string, string>;
  /** `false` (the default): a fresh connection for this request alone. */
  agent?: Agent | false;
  timeoutMs?: number;
}

export function post(url: string, body: Buffer | string, options: PostOptions = {}): Promise<Answer> {
  const started = performance.now();
  return new Promise((resolve) => {
    let settled = false;
    const finish = (answer: Omit<Answer, 'ms'>): void => {
      if (settled) return;
      settled = true;
      resolve({ ...answer, ms: performance.now() - started });
    };
    const req = request(
      url,
      {
        method: 'POST',
        agent: options.agent ?? false,
        headers: { 'content-type': 'application/json', ...options.headers, 'content-length': Buffer.byteLength(body) },
      },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (part: string) => (text += part));
        res.on('end', () => finish({ status: res.statusCode ?? 0, text }));
        res.on('error', (err) => finish({ status: res.statusCode ?? 0, text, error: err.message }));
      },
    );
    req.setTimeout(options.timeoutMs ?? 60_000, () => req.destroy(new Error('client timeout')));
    // A server that answers before reading the whole body (503 over budget) may
    // reset the upload: the response may still be on its way, so wait a moment.
    req.on('error', (err) => setTimeout(() => finish({ status: 0, text: '', error: (err as NodeJS.ErrnoException).code ?? err.message }), 50));
    req.end(body);
  });
}

/** The `error.code` of an OpenAI-shaped error body, or undefined. */
export function errorCode(text: string): string | undefined {
  try {
    const parsed = JSON.parse(text) as { error?: { code?: unknown; message?: unknown } };
    return typeof parsed.error?.message === 'string' ? String(parsed.error.code) : undefined;
  } catch {
    return undefined;
  }
}
