import type { MigrationSet } from '@chatbot/database';
import { CreateOutbox1763700001000 } from './1763700001000-create-outbox';
import { OutboxPublishedIndex1763700016000 } from './1763700016000-outbox-published-index';

export const eventsMigrations: MigrationSet = {
  schema: 'events',
  migrations: [CreateOutbox1763700001000, OutboxPublishedIndex1763700016000],
};
