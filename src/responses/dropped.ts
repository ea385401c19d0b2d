// What a translated request leaves behind: built-in tools Vertex cannot run
// (web_search, file_search, mcp, …) and the input items they produced. Never
// a failure: each is logged at debug level and counted. The type comes from
// the client, so only known names become metric labels; the rest is `other`.

import { echoed } from '../errors/catalogue.ts';
import type { DroppedFeature } from './request.ts';

/** OpenAI's built-in tool types and the items they leave in a conversation. */
const KNOWN_TYPES: ReadonlySet<string> = new Set([
  // tools (and tool_choice forcing one)
  'web_search',
  'web_search_preview',
  'web_search_2025_08_26',
  'web_search_preview_2025_03_11',
  'file_search',
  'computer',
  'computer_use',
  'computer_use_preview',
  'code_interpreter',
  'image_generation',
  'mcp',
  'local_shell',
  'shell',
  'apply_patch',
  'tool_search',
  // items
  'web_search_call',
  'file_search_call',
  'computer_call',
  'computer_call_output',
  'code_interpreter_call',
  'image_generation_call',
  'local_shell_call',
  'local_shell_call_output',
  'shell_call',
  'shell_call_output',
  'apply_patch_call',
  'apply_patch_call_output',
  'mcp_call',
  'mcp_list_tools',
  'mcp_approval_request',
  'mcp_approval_response',
  'tool_search_call',
  'tool_search_output',
  'compaction',
]);

/** A bounded metric label for a dropped type. */
export function droppedLabel(type: string): string {
  return KNOWN_TYPES.has(type) ? type : 'other';
}

export interface DroppedReport {
  readonly log: { debug(fields: object, message: string): void };
  readonly count?: ((kind: string, type: string) => void) | undefined;
}

/** One debug line per request (names only) and one count per dropped feature. */
export function reportDropped(dropped: readonly DroppedFeature[], report: DroppedReport): void {
  if (dropped.length === 0) return;
  for (const feature of dropped) report.count?.(feature.kind, droppedLabel(feature.type));
  const names = (kind: DroppedFeature['kind']) => [...new Set(dropped.filter((d) => d.kind === kind).map((d) => echoed(d.type)))];
  report.log.debug({ droppedTools: names('tool'), droppedItems: names('item') }, 'responses: built-in tools and items Vertex cannot run were dropped');
}
