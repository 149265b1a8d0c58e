import type { MigrationSet } from '@chatbot/database';
import { CreateAgentsSchema1763700004000 } from './1763700004000-create-agents-schema';

export const agentsMigrations: MigrationSet = {
  schema: 'agents',
  migrations: [CreateAgentsSchema1763700004000],
};
