import type { Capability, PlanTier } from '../plans/plans';

/**
 * A tenant id that has been checked against an API key. Services take `TenantId`, not `string`, so a raw id from a
 * path or body cannot be passed where an authenticated tenant is required without an explicit, visible cast.
 */
export type TenantId = string & { readonly __brand: 'TenantId' };

export const KEY_SCOPES = ['workspace', 'agent', 'widget'] as const;
/**
 * `workspace`: the whole tenant. `agent`: one agent only (the key carries its id). `widget`: public widget key,
 * only on routes that accept it.
 */
export type KeyScope = (typeof KEY_SCOPES)[number];

export interface TenantContext {
  readonly tenantId: TenantId;
  readonly tenantName: string;
  readonly plan: PlanTier;
  readonly capabilities: readonly Capability[];
  readonly scopes: readonly KeyScope[];
  readonly keyId: string;
  /** Set for agent-scoped keys: the only agent this key may see. */
  readonly agentId: string | null;
}

/** For trusted internal code (CLI, seeders, tests) that already knows the tenant exists. */
export function asTenantId(id: string): TenantId {
  return id as TenantId;
}
