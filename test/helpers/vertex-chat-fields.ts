// The top-level fields Vertex AI's OpenAI-compatible Chat Completions endpoint
// accepts for Google models, and the 400 it answers for any other: its JSON
// parser maps the body onto a fixed message type and refuses names it cannot
// find ("Unknown name \"store\": Cannot find field."), as it does for
// `store`, `metadata`, `prompt_cache_key` and other OpenAI-only keys.
//
// Source: Google Cloud, "Using OpenAI libraries with Vertex AI", section
// "Supported parameters" (for Google models), plus the two fields Vertex's own
// examples and OpenAI's SDKs send that Vertex is known to take:
// `extra_body` (Google's extensions, `extra_body.google.*`) and
// `stream_options` (`include_usage`, sent by most streaming clients).

export const DOCUMENTED_CHAT_FIELDS = [
  'messages',
  'model',
  'max_completion_tokens',
  'max_tokens',
  'n',
  'frequency_penalty',
  'presence_penalty',
  'reasoning_effort',
  'response_format',
  'seed',
  'stop',
  'stream',
  'temperature',
  'top_p',
  'tools',
  'tool_choice',
  'web_search_options',
  'function_call',
  'functions',
] as const;

export const VERTEX_CHAT_FIELDS: ReadonlySet<string> = new Set<string>([...DOCUMENTED_CHAT_FIELDS, 'extra_body', 'stream_options']);

/** OpenAI-only keys clients send that Vertex refuses; handy in tests. */
export const REJECTED_BY_VERTEX = ['store', 'metadata', 'prompt_cache_key', 'safety_identifier', 'service_tier', 'prediction'] as const;

export function unknownFields(body: Record<string, unknown>, accepted: ReadonlySet<string> = VERTEX_CHAT_FIELDS): string[] {
  return Object.keys(body).filter((key) => !accepted.has(key));
}

/** Google's error body for unknown fields, one violation per field, as Vertex writes it. */
export function unknownFieldsError(fields: readonly string[]) {
  const messages = fields.map((field) => `Invalid JSON payload received. Unknown name ${JSON.stringify(field)}: Cannot find field.`);
  return {
    error: {
      code: 400,
      message: messages.join('\n'),
      status: 'INVALID_ARGUMENT',
      details: [
        {
          '@type': 'type.googleapis.com/google.rpc.BadRequest',
          fieldViolations: messages.map((description) => ({ description })),
        },
      ],
    },
  };
}
