import type { MigrationSet } from '@chatbot/database';
import { CreateTenancy1763700000000 } from './1763700000000-create-tenancy';

export const tenancyMigrations: MigrationSet = {
  schema: 'tenancy',
  migrations: [CreateTenancy1763700000000],
};
