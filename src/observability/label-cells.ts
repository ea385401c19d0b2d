// Per-request metric cells found by their route and model labels in nested
// maps: a request reaches its cell without building a key string, which cost
// more than the counting itself.

export class LabelCells<V> {
  readonly #byRoute = new Map<string, Map<string, V>>();
  readonly #make: (route: string, model: string) => V;

  constructor(make: (route: string, model: string) => V) {
    this.#make = make;
  }

  get(route: string, model: string): V {
    let byModel = this.#byRoute.get(route);
    if (byModel === undefined) {
      byModel = new Map();
      this.#byRoute.set(route, byModel);
    }
    let cell = byModel.get(model);
    if (cell === undefined) {
      cell = this.#make(route, model);
      byModel.set(model, cell);
    }
    return cell;
  }

  *values(): Generator<V> {
    for (const byModel of this.#byRoute.values()) yield* byModel.values();
  }
}
