import { createParamDecorator, type ExecutionContext, SetMetadata, applyDecorators } from '@nestjs/common';
import { ApiForbiddenResponse, ApiHeader, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { Capability } from '../plans/plans';
import type { KeyScope, TenantContext } from '../tenants/tenant-context';

export { Public } from '@chatbot/platform';

export const REQUIRED_CAPABILITY_KEY = 'auth:capability';
export const ALLOWED_SCOPES_KEY = 'auth:scopes';
export const TENANT_HEADER = 'x-tenant-id';

/** Scopes accepted when a route says nothing: full workspace keys and agent keys (confined by the service). */
export const DEFAULT_SCOPES: readonly KeyScope[] = ['workspace', 'agent'];

export interface TenantRequest {
  tenant?: TenantContext;
  headers: Record<string, string | string[] | undefined>;
}

/** 403 unless the tenant's plan includes `capability`. */
export const RequireCapability = (capability: Capability): MethodDecorator & ClassDecorator =>
  applyDecorators(
    SetMetadata(REQUIRED_CAPABILITY_KEY, capability),
    ApiForbiddenResponse({ description: `The tenant's plan does not include "${capability}".` }),
  );

/** Which key scopes may call this route (default: workspace and agent keys). */
export const AllowScopes = (...scopes: KeyScope[]): MethodDecorator & ClassDecorator => SetMetadata(ALLOWED_SCOPES_KEY, scopes);

/** Documents the optional `X-Tenant-ID` header; the guard enforces it on every route where it is sent. */
export const TenantHeader = (required = false): MethodDecorator & ClassDecorator =>
  applyDecorators(
    ApiHeader({
      name: 'X-Tenant-ID',
      required,
      description: "Tenant identifier. Must equal the API key's tenant (403 otherwise); on its own it authenticates nothing.",
    }),
    ApiUnauthorizedResponse({ description: 'Missing, unknown or revoked API key.' }),
  );

/** The authenticated tenant of this request (set by the global guard). */
export const CurrentTenant = createParamDecorator((_data: unknown, ctx: ExecutionContext): TenantContext => {
  const request = ctx.switchToHttp().getRequest<TenantRequest>();
  if (!request.tenant) throw new Error('CurrentTenant used on a route without authentication (is it @Public()?)');
  return request.tenant;
});
