// Responses tools and tool_choice → chat function tools and tool_choice.
//
// `function` tools map one to one; a `namespace` is flattened into its
// functions; a `custom` (freeform) tool becomes a function taking one string
// `input`, its grammar spelled out in the description so the model knows the
// syntax. Built-in tools (web_search, file_search, mcp, image_generation, …)
// run on OpenAI's servers, not on Vertex: they are dropped and reported, so
// the route can log and count them, and a request never fails because of one.

import type { ChatFunctionTool, ChatToolChoice } from './chat-types.ts';
import { invalidBody } from './errors.ts';
import { ToolNames } from './tool-names.ts';
import type { CustomTool, FunctionTool, ToolChoice } from './types.ts';
import { isRecord, optionalString } from './validate.ts';

export interface TranslatedTools {
  tools: ChatFunctionTool[];
  names: ToolNames;
}

const EMPTY_PARAMETERS = { type: 'object', properties: {} };

export function translateTools(tools: unknown, onDropped: (toolType: string) => void): TranslatedTools {
  const names = new ToolNames();
  const out: ChatFunctionTool[] = [];
  if (tools === undefined || tools === null) return { tools: out, names };
  if (!Array.isArray(tools)) throw invalidBody('tools must be an array.');
  tools.forEach((tool: unknown, i) => {
    const where = `tools[${i}]`;
    if (!isRecord(tool) || typeof tool['type'] !== 'string') throw invalidBody(`${where} must be an object with a string type.`);
    if (tool['type'] === 'namespace') {
      const namespace = requireName(tool, where);
      const nsDescription = optionalString(tool['description'], `${where}.description`);
      if (!Array.isArray(tool['tools'])) throw invalidBody(`${where}.tools must be an array.`);
      tool['tools'].forEach((inner: unknown, j) => {
        const innerWhere = `${where}.tools[${j}]`;
        if (!isRecord(inner) || typeof inner['type'] !== 'string') throw invalidBody(`${innerWhere} must be an object with a string type.`);
        if (inner['type'] === 'function' || inner['type'] === 'custom') {
          out.push(chatTool(inner, innerWhere, names, namespace, nsDescription));
        } else onDropped(inner['type']);
      });
    } else if (tool['type'] === 'function' || tool['type'] === 'custom') {
      out.push(chatTool(tool, where, names, undefined, undefined));
    } else onDropped(tool['type']);
  });
  return { tools: out, names };
}

function chatTool(
  tool: Record<string, unknown>,
  where: string,
  names: ToolNames,
  namespace: string | undefined,
  nsDescription: string | undefined,
): ChatFunctionTool {
  const name = requireName(tool, where);
  const own = optionalString(tool['description'], `${where}.description`);
  if (tool['type'] === 'custom') {
    const chatName = names.declare({ kind: 'custom', name, ...(namespace !== undefined && { namespace }) });
    return fn(chatName, joinDescriptions(nsDescription, own, grammarHint(tool as unknown as CustomTool)), {
      type: 'object',
      properties: { input: { type: 'string', description: 'The raw input for this freeform tool.' } },
      required: ['input'],
      additionalProperties: false,
    });
  }
  const parameters = (tool as unknown as FunctionTool).parameters;
  if (parameters !== undefined && parameters !== null && !isRecord(parameters)) {
    throw invalidBody(`${where}.parameters must be a JSON schema object.`);
  }
  const chatName = names.declare({ kind: 'function', name, ...(namespace !== undefined && { namespace }) });
  return fn(chatName, joinDescriptions(nsDescription, own, undefined), parameters ?? EMPTY_PARAMETERS);
}

function fn(name: string, description: string, parameters: Record<string, unknown>): ChatFunctionTool {
  return { type: 'function', function: { name, ...(description !== '' && { description }), parameters } };
}

function grammarHint(tool: CustomTool): string | undefined {
  const format = isRecord(tool.format) ? tool.format : undefined;
  if (format?.['type'] !== 'grammar' || typeof format['definition'] !== 'string') return undefined;
  const syntax = typeof format['syntax'] === 'string' ? `${format['syntax']} ` : '';
  return `Pass the whole input as the string \`input\`; it must match this ${syntax}grammar:\n${format['definition']}`;
}

function joinDescriptions(...parts: Array<string | undefined>): string {
  return parts.filter((p): p is string => p !== undefined && p.trim() !== '').join('\n\n');
}

function requireName(tool: Record<string, unknown>, where: string): string {
  const name = tool['name'];
  if (typeof name !== 'string' || name === '') throw invalidBody(`${where}.name must be a non-empty string.`);
  return name;
}

export interface TranslatedToolChoice {
  toolChoice?: ChatToolChoice;
  /** For `allowed_tools`: the chat tools to keep (the model may call no other). */
  allowed?: Set<string>;
}

/**
 * Chat has no `allowed_tools` Vertex documents, so that form becomes the
 * allowed subset of the tools plus its mode. A forced built-in tool was
 * dropped with its tool, so the choice falls back to `auto`.
 */
export function translateToolChoice(choice: unknown, names: ToolNames, onDropped: (toolType: string) => void): TranslatedToolChoice {
  if (choice === undefined || choice === null) return {};
  if (choice === 'none' || choice === 'auto' || choice === 'required') return { toolChoice: choice };
  if (!isRecord(choice) || typeof choice['type'] !== 'string') {
    throw invalidBody("tool_choice must be 'none', 'auto', 'required' or an object with a type.");
  }
  const tc = choice as ToolChoice & { type: string };
  if (tc.type === 'function' || tc.type === 'custom') {
    const name = (choice as { name?: unknown }).name;
    if (typeof name !== 'string') throw invalidBody('tool_choice.name must be a string.');
    const chatName = names.findDeclared(tc.type, name);
    if (chatName === undefined) throw invalidBody(`tool_choice names the ${tc.type} tool '${name}', which is not in tools.`);
    return { toolChoice: { type: 'function', function: { name: chatName } } };
  }
  if (tc.type === 'allowed_tools') {
    const mode = choice['mode'];
    if (mode !== 'auto' && mode !== 'required') throw invalidBody("tool_choice.mode must be 'auto' or 'required'.");
    if (!Array.isArray(choice['tools'])) throw invalidBody('tool_choice.tools must be an array.');
    const allowed = new Set<string>();
    for (const t of choice['tools'] as unknown[]) {
      if (!isRecord(t)) continue;
      const kind = t['type'];
      if ((kind === 'function' || kind === 'custom') && typeof t['name'] === 'string') {
        const chatName = names.findDeclared(kind, t['name']);
        if (chatName !== undefined) allowed.add(chatName);
      }
    }
    return { toolChoice: mode, allowed };
  }
  onDropped(tc.type);
  return { toolChoice: 'auto' };
}
