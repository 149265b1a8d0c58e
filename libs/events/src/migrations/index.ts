import type { MigrationSet } from '@chatbot/database';
import { CreateOutbox1763700001000 } from './1763700001000-create-outbox';

export const eventsMigrations: MigrationSet = {
  schema: 'events',
  migrations: [CreateOutbox1763700001000],
};
