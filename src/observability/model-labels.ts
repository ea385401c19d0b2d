// Which model names may become metric labels: bounded, so no client input
// can grow the series.

/** Model names beyond this many configured ones are counted as `other`. */
export const MAX_MODEL_LABELS = 100;

/**
 * Maps a request's `model` to a label: a configured or listed model name (the
 * first MAX_MODEL_LABELS of them), else `other`. The list may change on reload;
 * the lookup set is rebuilt only when it does.
 */
export function modelLabeler(modelIds: () => readonly string[]): (model: unknown) => string {
  let source: readonly string[] | undefined;
  let known = new Set<string>();
  return (model) => {
    if (typeof model !== 'string') return 'none';
    const ids = modelIds();
    if (ids !== source) {
      source = ids;
      known = new Set(ids.slice(0, MAX_MODEL_LABELS));
    }
    return known.has(model) ? model : 'other';
  };
}
