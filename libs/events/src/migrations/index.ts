import type { MigrationSet } from '@chatbot/database';
import { CreateOutbox1763700001000 } from './1763700001000-create-outbox';
import { OutboxClaimLease1763700006000 } from './1763700006000-outbox-claim-lease';

export const eventsMigrations: MigrationSet = {
  schema: 'events',
  migrations: [CreateOutbox1763700001000, OutboxClaimLease1763700006000],
};
