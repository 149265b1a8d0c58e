import { SetMetadata } from '@nestjs/common';

export const IS_PUBLIC_KEY = 'auth:isPublic';

/**
 * Opts a route (or a controller) out of the global deny-by-default guard. Defined here, in the lowest library, so
 * platform routes (health, metrics, docs) can be public without depending on tenant-auth; tenant-auth re-exports it.
 */
export const Public = (): MethodDecorator & ClassDecorator => SetMetadata(IS_PUBLIC_KEY, true);
