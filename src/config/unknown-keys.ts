// Every unknown key of a config file at once — top level and inside each
// `models` entry — so a file with three typos takes one fix, not three runs.

/** The lines that name each unknown key and what is allowed there; empty when all keys are known. */
export function unknownKeyLines(file: Record<string, unknown>, path: string, topKeys: readonly string[], entryKeys: readonly string[]): string[] {
  const lines: string[] = [];
  const check = (where: string, object: object, allowed: readonly string[]) => {
    const unknown = Object.keys(object).filter((key) => !allowed.includes(key));
    if (unknown.length === 0) return;
    const named = unknown.map((key) => `"${key}"${suggestion(key, allowed)}`).join(', ');
    lines.push(`${where}: unknown key${unknown.length > 1 ? 's' : ''} ${named}. Allowed keys: ${allowed.join(', ')}`);
  };
  check(path, file, topKeys);
  const models = file.models;
  if (isMap(models)) {
    for (const [name, entry] of Object.entries(models)) if (isMap(entry)) check(`${path}: models.${name}`, entry, entryKeys);
  }
  return lines;
}

function isMap(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** ` (did you mean "models"?)` for a near miss: a typo, or the wrong case. */
function suggestion(key: string, allowed: readonly string[]): string {
  let best: string | undefined;
  let bestDistance = Infinity;
  for (const candidate of allowed) {
    const distance = editDistance(key.toLowerCase(), candidate.toLowerCase());
    if (distance < bestDistance) [best, bestDistance] = [candidate, distance];
  }
  return best !== undefined && bestDistance <= Math.max(1, Math.floor(key.length / 4)) ? ` (did you mean "${best}"?)` : '';
}

/** Levenshtein distance, with a swap of two neighbours counted as one edit. */
function editDistance(a: string, b: string): number {
  const d: number[][] = Array.from({ length: a.length + 1 }, (_, i) => Array.from({ length: b.length + 1 }, (_, j) => (i === 0 ? j : j === 0 ? i : 0)));
  const at = (i: number, j: number) => d[i]?.[j] ?? Infinity;
  for (let i = 1; i <= a.length; i++) {
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      let value = Math.min(at(i - 1, j) + 1, at(i, j - 1) + 1, at(i - 1, j - 1) + cost);
      if (i > 1 && j > 1 && a[i - 1] === b[j - 2] && a[i - 2] === b[j - 1]) value = Math.min(value, at(i - 2, j - 2) + 1);
      (d[i] as number[])[j] = value;
    }
  }
  return at(a.length, b.length);
}
