// Server-sent events in both directions: the upstream chat stream is parsed
// incrementally with eventsource-parser (bytes may split anywhere, even
// inside a UTF-8 character), and the Responses events are written as
// `event:` + `data:` frames with an increasing `sequence_number`.

import { createParser, type EventSourceParser } from 'eventsource-parser';
import { UNBUFFERED_STREAM_HEADERS } from '../proxy/headers.ts';
import type { StreamEvent } from './response-types.ts';

/** The headers of every Responses event stream the proxy writes. */
export const SSE_HEADERS = { 'content-type': 'text/event-stream; charset=utf-8', ...UNBUFFERED_STREAM_HEADERS } as const;

export class EventWriter {
  #sequence = 0;
  #frames: string[] = [];
  readonly #skipThrough: number;

  /** `skipThrough`: events numbered up to it are counted but not written (a replay's `starting_after`). */
  constructor(skipThrough = -1) {
    this.#skipThrough = skipThrough;
  }

  emit(event: StreamEvent): void {
    const sequence = this.#sequence++;
    if (sequence <= this.#skipThrough) return;
    const stamped = { ...event, sequence_number: sequence };
    this.#frames.push(`event: ${event.type}\ndata: ${JSON.stringify(stamped)}\n\n`);
  }

  /** The frames emitted since the last call, as one string to write. */
  take(): string {
    const text = this.#frames.join('');
    this.#frames = [];
    return text;
  }
}

export interface UpstreamParser {
  push(chunk: Buffer | string): void;
  /** Flushes a last event the upstream did not end with a blank line. */
  end(): void;
}

/** Feeds `data` of each upstream event to `onData`; `onError` when one grows past `maxEventSize`. */
export function upstreamParser(
  onData: (data: string) => void,
  onError: (message: string) => void,
  maxEventSize: number,
): UpstreamParser {
  const decoder = new TextDecoder('utf-8');
  let broken = false;
  const parser: EventSourceParser = createParser({
    maxBufferSize: maxEventSize,
    onEvent: (event) => onData(event.data),
    onError: (error) => {
      if (error.type === 'max-buffer-size-exceeded') {
        broken = true;
        onError(`An upstream event was larger than ${maxEventSize} characters.`);
      }
    },
  });
  return {
    push(chunk) {
      if (broken) return;
      parser.feed(typeof chunk === 'string' ? chunk : decoder.decode(chunk, { stream: true }));
    },
    end() {
      if (broken) return;
      // Two line ends terminate a last line and dispatch its event; after a
      // clean ending they are only empty lines, which dispatch nothing.
      parser.feed(`${decoder.decode()}\n\n`);
      parser.reset();
    },
  };
}
