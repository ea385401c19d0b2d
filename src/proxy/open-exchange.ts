// Opening a request's exchange: the route its model names, the token in
// force, the project, and the targets' URLs — worked out once per route,
// operation and project, not per request.

import type { Route, RouteTable } from '../config/routing.ts';
import type { Credentials } from '../credentials/adc-credentials.ts';
import type { AccessToken } from '../credentials/token-cache.ts';
import type { Requestable } from './dispatcher.ts';
import { Exchange, type ResolvedTarget } from './exchange.ts';
import type { FailoverEvent } from './failover.ts';
import { operationPath, upstreamOrigin, type Operation } from './upstream-url.ts';

/** What every exchange of one app shares; made once, handed to each route that goes upstream. */
export interface UpstreamContext {
  readonly routes: RouteTable;
  readonly credentials: Pick<Credentials, 'getToken' | 'tokenNow' | 'rejectToken' | 'projectId' | 'projectNow'>;
  /** Upstream requests go through this (see dispatcher.ts). */
  readonly dispatcher: Requestable;
  /** The configured x-goog-user-project; when unset, the one the token's credential names. */
  readonly quotaProject: string | undefined;
  /** Longest Retry-After waited before trying the next location. */
  readonly failoverMaxWaitMs: number;
  readonly onFailover?: (event: FailoverEvent) => void;
}

export interface ExchangeRequest {
  /** The body's `model`; undefined takes the default route. */
  readonly model: string | undefined;
  readonly operation: Operation;
  /** Aborted when the client goes away (RequestRecord.signal). */
  readonly signal: AbortSignal;
}

/** Resolves route, token and project; rejects with the credential's ProxyError when there is no token. */
export async function openExchange(context: UpstreamContext, request: ExchangeRequest): Promise<Exchange> {
  const route = context.routes.resolve(request.model);
  const plan = planOf(route);
  const token = await context.credentials.getToken();
  const project = plan.needsProject ? await context.credentials.projectId() : '';
  return exchangeFor(route, plan, request, token, project);
}

/**
 * openExchange without a promise, for the common case of a cached token and a
 * known project; undefined when either must be fetched first (then call openExchange).
 */
export function openExchangeNow(context: UpstreamContext, request: ExchangeRequest): Exchange | undefined {
  const route = context.routes.resolve(request.model);
  const plan = planOf(route);
  const project = plan.needsProject ? context.credentials.projectNow() : '';
  const token = project === undefined ? undefined : context.credentials.tokenNow();
  return token && project !== undefined ? exchangeFor(route, plan, request, token, project) : undefined;
}

function exchangeFor(route: Route, plan: Plan, request: ExchangeRequest, token: AccessToken, project: string): Exchange {
  return new Exchange({
    operation: request.operation,
    targets: plan.targets(request.operation, project),
    headers: route.headers,
    upstreamModel: route.upstreamModel,
    dropParams: route.dropParams,
    token,
    signal: request.signal,
  });
}

interface Plan {
  /** Some target takes the project ADC reports. */
  readonly needsProject: boolean;
  targets(operation: Operation, adcProject: string): readonly ResolvedTarget[];
}

// Routes are replaced whole on reload, so a plan lives exactly as long as its route.
const plans = new WeakMap<Route, Plan>();

function planOf(route: Route): Plan {
  let plan = plans.get(route);
  if (!plan) {
    const resolved = new Map<string, readonly ResolvedTarget[]>();
    plan = {
      needsProject: route.targets.some((target) => target.project === undefined),
      targets(operation, adcProject) {
        const key = `${operation}\u0000${adcProject}`;
        let targets = resolved.get(key);
        if (!targets) {
          targets = route.targets.map((target) => {
            const endpoint = { ...target, project: target.project ?? adcProject };
            return { location: target.location, origin: upstreamOrigin(endpoint), path: operationPath(endpoint, operation) };
          });
          resolved.set(key, targets);
        }
        return targets;
      },
    };
    plans.set(route, plan);
  }
  return plan;
}
