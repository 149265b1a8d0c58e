import type { MigrationSet } from '@chatbot/database';
import { CreateTenancy1763700000000 } from './1763700000000-create-tenancy';
import { TenantDeletion1763700011000 } from './1763700011000-tenant-deletion';

export const tenancyMigrations: MigrationSet = {
  schema: 'tenancy',
  migrations: [CreateTenancy1763700000000, TenantDeletion1763700011000],
};
