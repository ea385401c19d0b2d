// Parser messages quote the text they failed on: V8's JSON.parse a stretch
// around the bad character, yaml the whole line under a caret. In a config or
// key file that text can be a secret (an API key, a header value, a client
// secret), so such a message reaches a log, a terminal or a client only without it.

/** V8's `Unexpected token 'x', ..."some text"... is not valid JSON`: the quoted stretch. */
const JSON_EXCERPT = /, (?:\.\.\.)?"[\s\S]*?"(?:\.\.\.)? is not valid JSON/g;

/** The message with every JSON excerpt taken out; the position words V8 adds elsewhere stay. */
export function withoutJsonExcerpt(message: string): string {
  return message.replace(JSON_EXCERPT, ' in the JSON text (not shown)');
}

/** A parser's message as one line that quotes none of the source: yaml's line and caret go, and any JSON excerpt. */
export function parserMessage(message: string): string {
  const firstLine = withoutJsonExcerpt(message).split('\n', 1)[0] ?? '';
  return firstLine.replace(/[:\s]+$/, '');
}
