// Names of tools on the chat side and back.
//
// Chat Completions knows only flat function names, and Gemini accepts only
// names of letters, digits, `_ . : -` starting with a letter or underscore,
// at most 64 long. Responses tools can sit in a `namespace` (Codex puts each
// MCP server in one, named like `mcp__server__`) and custom tools are called
// back as `custom_tool_call`. Every declared tool therefore gets a chat name,
// unique in the request, and this map turns a chat tool call back into the
// Responses identity the client declared.

export type ToolKind = 'function' | 'custom';

export interface ToolTarget {
  kind: ToolKind;
  name: string;
  namespace?: string;
}

const MAX_NAME = 64;

/** `mcp__docs__` + `search` → `mcp__docs__search`; `crm` + `find` → `crm__find`. */
export function joinNamespace(namespace: string | undefined, name: string): string {
  if (namespace === undefined || namespace === '') return name;
  return namespace.endsWith('__') ? namespace + name : `${namespace}__${name}`;
}

function sanitize(name: string): string {
  let clean = name.replace(/[^A-Za-z0-9_.:-]/g, '_');
  if (!/^[A-Za-z_]/.test(clean)) clean = `_${clean}`;
  return clean.slice(0, MAX_NAME);
}

export class ToolNames {
  readonly #byChat = new Map<string, ToolTarget>();
  readonly #toChat = new Map<string, string>();

  /** Registers a declared tool and returns its unique chat name. */
  declare(target: ToolTarget): string {
    const key = keyOf(target.name, target.namespace);
    const existing = this.#toChat.get(key);
    if (existing !== undefined) return existing;
    const base = sanitize(joinNamespace(target.namespace, target.name));
    let chatName = base;
    for (let n = 2; this.#byChat.has(chatName); n++) {
      const suffix = `_${n}`;
      chatName = base.slice(0, MAX_NAME - suffix.length) + suffix;
    }
    this.#byChat.set(chatName, target);
    this.#toChat.set(key, chatName);
    return chatName;
  }

  /** The declared tool behind a chat function name; undefined for a name nobody declared. */
  fromChat(chatName: string): ToolTarget | undefined {
    return this.#byChat.get(chatName);
  }

  /**
   * The chat name for a call found in the history. A tool no longer declared
   * gets the same name it would have had, so the model sees a consistent
   * history; it is not registered, so no answer maps back to it.
   */
  toChat(name: string, namespace?: string): string {
    return this.#toChat.get(keyOf(name, namespace)) ?? sanitize(joinNamespace(namespace, name));
  }

  /**
   * The chat name of a declared tool called `name` of the given kind: the
   * top-level one first, else the first namespaced one (a `tool_choice`
   * names a tool without its namespace).
   */
  findDeclared(kind: ToolKind, name: string): string | undefined {
    const top = this.#toChat.get(keyOf(name, undefined));
    if (top !== undefined && this.#byChat.get(top)?.kind === kind) return top;
    for (const [chatName, target] of this.#byChat) {
      if (target.kind === kind && target.name === name) return chatName;
    }
    return undefined;
  }

  get size(): number {
    return this.#byChat.size;
  }
}

function keyOf(name: string, namespace: string | undefined): string {
  return namespace === undefined ? name : `${namespace}\u0000${name}`;
}
