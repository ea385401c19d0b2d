// YAML config files, parsed in time linear in their size. The yaml library's
// own duplicate-key check compares each new key with every earlier one, which
// made a 20,000-model file take seconds on every reload; keys are checked here
// with a set instead, for the maps where a repeat would silently win.

import { isMap, isScalar, parseDocument, type YAMLMap } from 'yaml';

export function parseYamlConfig(text: string): unknown {
  const doc = parseDocument(text, { uniqueKeys: false });
  const [first] = doc.errors;
  if (first) throw first;
  const root = doc.contents;
  if (isMap(root)) {
    assertUniqueKeys(root, '');
    const models = root.get('models', true);
    if (isMap(models)) assertUniqueKeys(models, 'models.');
  }
  return doc.toJS();
}

function assertUniqueKeys(map: YAMLMap, prefix: string): void {
  const seen = new Set<unknown>();
  for (const { key } of map.items) {
    const name = isScalar(key) ? key.value : key;
    if (seen.has(name)) throw new Error(`duplicate key "${prefix}${String(name)}"`);
    seen.add(name);
  }
}
