import {
  type CanActivate,
  type ExecutionContext,
  ForbiddenException,
  Injectable,
  UnauthorizedException,
} from '@nestjs/common';
import { Reflector } from '@nestjs/core';
import { IS_PUBLIC_KEY } from '@chatbot/platform';
import { ApiKeyAuthenticator } from '../keys/api-key-authenticator';
import { type Capability, PLANS, lowestPlanWith } from '../plans/plans';
import type { KeyScope } from '../tenants/tenant-context';
import {
  ALLOWED_SCOPES_KEY,
  DEFAULT_SCOPES,
  REQUIRED_CAPABILITY_KEY,
  TENANT_HEADER,
  type TenantRequest,
} from './auth.decorators';

function headerValue(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * Global guard, deny by default. Order of checks: public route → bearer key present (401) → key valid and not revoked
 * (401) → tenant active (403) → X-Tenant-ID equals the key's tenant (403) → key scope allowed here (403) → plan has the
 * route's capability (403).
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(
    private readonly reflector: Reflector,
    private readonly authenticator: ApiKeyAuthenticator,
  ) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const targets = [context.getHandler(), context.getClass()];
    if (this.reflector.getAllAndOverride<boolean>(IS_PUBLIC_KEY, targets)) return true;

    const request = context.switchToHttp().getRequest<TenantRequest>();
    const authorization = headerValue(request.headers['authorization']);
    const match = authorization ? /^Bearer\s+(\S+)\s*$/i.exec(authorization) : null;
    if (!match?.[1]) {
      throw new UnauthorizedException('Missing API key: send "Authorization: Bearer <api key>"');
    }
    const result = await this.authenticator.authenticate(match[1]);
    if (!result.ok) {
      if (result.reason === 'suspended') throw new ForbiddenException('This tenant is suspended');
      throw new UnauthorizedException('Invalid or revoked API key');
    }
    const tenant = result.context;

    const claimedTenant = headerValue(request.headers[TENANT_HEADER]);
    if (claimedTenant !== undefined && claimedTenant !== tenant.tenantId) {
      throw new ForbiddenException("X-Tenant-ID does not match the API key's tenant");
    }

    const allowed = this.reflector.getAllAndOverride<KeyScope[] | undefined>(ALLOWED_SCOPES_KEY, targets) ?? DEFAULT_SCOPES;
    if (!tenant.scopes.some((scope) => allowed.includes(scope))) {
      throw new ForbiddenException(`This route does not accept ${tenant.scopes.join('/')}-scoped keys`);
    }

    const capability = this.reflector.getAllAndOverride<Capability | undefined>(REQUIRED_CAPABILITY_KEY, targets);
    if (capability && !tenant.capabilities.includes(capability)) {
      const needed = lowestPlanWith(capability);
      throw new ForbiddenException(
        `The "${PLANS[tenant.plan].displayName}" plan (${tenant.plan}) does not include "${capability}"; ` +
          `it requires the "${needed.displayName}" plan (${needed.tier}) or higher`,
      );
    }

    request.tenant = tenant;
    return true;
  }
}
