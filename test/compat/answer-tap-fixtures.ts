// Fixtures shared by the answer tap's tests: a recorder standing in for the
// signature memory, and a Gemini-shaped stream and JSON answer with the
// signatures they should leave behind.

export class Recorder {
  readonly seen = new Map<string, string>();
  remember(id: string, signature: string): void {
    this.seen.set(id, signature);
  }
}

export const sse = (events: unknown[], eol = '\n') => events.map((e) => `data: ${typeof e === 'string' ? e : JSON.stringify(e)}${eol}${eol}`).join('');
export const chunk = (delta: unknown, index = 0) => ({ id: 'chatcmpl-1', object: 'chat.completion.chunk', model: 'google/gemini-3.5-flash', choices: [{ index, delta }] });
export const sig = (s: string) => ({ google: { thought_signature: s } });

// Shaped like Gemini's OpenAI-compatible stream: tool calls whole in one delta,
// no `index`, a parallel call without a signature, and (in a second choice) a
// signature-only delta.
export const GEMINI_STREAM = sse([
  chunk({ role: 'assistant', content: 'Let me check. 🌦️' }),
  chunk({ tool_calls: [{ id: 'fc-weather-1', type: 'function', function: { name: 'get_weather', arguments: '{"city":"Paris"}' }, extra_content: sig('SIG_A/+=') }] }),
  chunk({ tool_calls: [
    { id: 'fc-time-2', type: 'function', function: { name: 'get_time', arguments: '{}' }, extra_content: sig('SIG_B') },
    { id: 'fc-time-3', type: 'function', function: { name: 'get_time', arguments: '{"tz":"UTC"}' } },
  ] }),
  chunk({ tool_calls: [{ id: 'fc-late-4', type: 'function', function: { name: 'later', arguments: '{}' } }] }, 1),
  chunk({ tool_calls: [{ extra_content: sig('SIG_D') }] }, 1),
  { id: 'chatcmpl-1', choices: [{ index: 0, delta: {}, finish_reason: 'tool_calls' }], usage: { prompt_tokens: 5 } },
  '[DONE]',
]);
export const EXPECTED = { 'fc-weather-1': 'SIG_A/+=', 'fc-time-2': 'SIG_B', 'fc-late-4': 'SIG_D' };

export const JSON_ANSWER = JSON.stringify({
  id: 'chatcmpl-2',
  object: 'chat.completion',
  choices: [
    {
      index: 0,
      message: {
        role: 'assistant',
        content: null,
        tool_calls: [
          { id: 'fc-1', type: 'function', function: { name: 'a', arguments: '{}' }, extra_content: sig('J1') },
          { id: 'fc-2', type: 'function', function: { name: 'b', arguments: '{}' } },
        ],
      },
      finish_reason: 'tool_calls',
    },
  ],
});
