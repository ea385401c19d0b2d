// Chooses where a request goes from the `model` in its body: a configured
// entry, or the default route for every other model (so any Gemini model works
// with no config at all).

import type { ModelRoute } from './models.ts';
import type { ResponsesApiMode } from './responses-settings.ts';
import type { ApiVersion } from './values.ts';

export type { ApiVersion };

/** One Vertex AI endpoint a request may go to. */
export interface EndpointTarget {
  /** Scheme and host only, e.g. `https://europe-west4-aiplatform.googleapis.com`. */
  readonly baseUrl?: string | undefined;
  readonly apiVersion: ApiVersion;
  readonly project: string;
  readonly location: string;
  /** `openapi` for Gemini, or the numeric ID of a self-deployed endpoint. */
  readonly endpoint: string;
}

export interface RouteDefaults {
  readonly baseUrl: string | undefined;
  readonly apiVersion: ApiVersion;
  /** Undefined: the project ADC reports, resolved per request. */
  readonly project: string | undefined;
  readonly location: string;
  readonly endpoint: string;
  readonly headers: Readonly<Record<string, string>>;
  /** Top-level request keys removed before forwarding; a route's own list replaces it. */
  readonly dropParams?: readonly string[] | undefined;
}

export type RouteTarget = Omit<EndpointTarget, 'project'> & { readonly project: string | undefined };

export interface Route {
  /** Set only for aliases: the `model` value Vertex must receive instead. */
  readonly upstreamModel: string | undefined;
  /** At least one; more than one means failover, in this order. */
  readonly targets: readonly RouteTarget[];
  readonly headers: Readonly<Record<string, string>>;
  /** The route's own dropParams, else the top-level list. */
  readonly dropParams: readonly string[];
  /** How POST /v1/responses is served: translated to Chat Completions, or forwarded to the endpoint's own /responses. */
  readonly responsesApi: ResponsesApiMode;
}

const NONE: readonly string[] = Object.freeze([]);

export class Router {
  readonly #routes: ReadonlyMap<string, Route>;
  readonly #defaultRoute: Route;

  constructor(defaults: RouteDefaults, models: Readonly<Record<string, ModelRoute>> = {}) {
    this.#defaultRoute = {
      upstreamModel: undefined,
      targets: [targetFor(defaults, defaults.location, undefined)],
      headers: defaults.headers,
      dropParams: defaults.dropParams ?? NONE,
      responsesApi: 'translate',
    };
    this.#routes = new Map(Object.entries(models).map(([name, entry]) => [name, routeFor(defaults, entry)]));
  }

  resolve(model: string | undefined): Route {
    return (model !== undefined && this.#routes.get(model)) || this.#defaultRoute;
  }

  /** The model names tools may send that the config routes explicitly. */
  modelNames(): string[] {
    return [...this.#routes.keys()];
  }
}

function routeFor(defaults: RouteDefaults, entry: ModelRoute): Route {
  const locations = entry.locations ?? [defaults.location];
  return {
    upstreamModel: entry.model,
    targets: locations.map((location) => targetFor(defaults, location, entry)),
    headers: entry.headers ? { ...defaults.headers, ...entry.headers } : defaults.headers,
    // A route's own list replaces the default one; `[]` drops nothing.
    dropParams: entry.dropParams ?? defaults.dropParams ?? NONE,
    responsesApi: entry.responsesApi ?? 'translate',
  };
}

function targetFor(defaults: RouteDefaults, location: string, entry: ModelRoute | undefined): RouteTarget {
  return {
    // A default base URL (VERTEX_BASE_URL: tests, Private Service Connect)
    // replaces the host for every location; the location stays in the path.
    baseUrl: entry?.baseUrl ?? defaults.baseUrl,
    apiVersion: entry?.apiVersion ?? defaults.apiVersion,
    project: entry?.project ?? defaults.project,
    location,
    endpoint: entry?.endpoint ?? defaults.endpoint,
  };
}

export type RoutingConfig = RouteDefaults & {
  readonly models: Readonly<Record<string, ModelRoute>>;
  readonly listedModels: readonly string[];
};

/**
 * The routes in force. A reload swaps the router in one assignment; requests
 * already under way keep the route they resolved, so no stream is dropped.
 */
export class RouteTable {
  #router!: Router;
  #modelIds!: readonly string[];
  #configuredModelCount = 0;

  constructor(config: RoutingConfig) {
    this.update(config);
  }

  update(config: RoutingConfig): void {
    const router = new Router(config, config.models);
    this.#modelIds = Object.freeze([...new Set([...router.modelNames(), ...config.listedModels])]);
    this.#router = router;
    this.#configuredModelCount = Object.keys(config.models).length;
  }

  /** Entries of the config file's `models` map in force. */
  configuredModelCount(): number {
    return this.#configuredModelCount;
  }

  resolve(model: string | undefined): Route {
    return this.#router.resolve(model);
  }

  modelIds(): readonly string[] {
    return this.#modelIds;
  }
}
