import type { MigrationSet } from '@chatbot/database';
import { CreateBusinessSchema1763700003000 } from './1763700003000-create-business-schema';
import { CreateWebhooks1763700005000 } from './1763700005000-create-webhooks';
import { WebhookWritePathIndexes1763700015000 } from './1763700015000-webhook-write-path-indexes';
import { WebhookHistoryRetention1763700017000 } from './1763700017000-webhook-history-retention';
import { WebhookDeletionPurge1763700018000 } from './1763700018000-webhook-deletion-purge';
import { WebhookChangeNotify1763700019000 } from './1763700019000-webhook-change-notify';

export const businessMigrations: MigrationSet = {
  schema: 'business',
  migrations: [CreateBusinessSchema1763700003000, CreateWebhooks1763700005000, WebhookWritePathIndexes1763700015000, WebhookHistoryRetention1763700017000, WebhookDeletionPurge1763700018000, WebhookChangeNotify1763700019000],
};
