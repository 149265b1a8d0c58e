import type { MigrationSet } from '@chatbot/database';
import { CreateBusinessSchema1763700003000 } from './1763700003000-create-business-schema';

export const businessMigrations: MigrationSet = {
  schema: 'business',
  migrations: [CreateBusinessSchema1763700003000],
};
