import type { MigrationSet } from '@chatbot/database';
import { CreateAgentsSchema1763700004000 } from './1763700004000-create-agents-schema';
import { CreateAgents1763700007000 } from './1763700007000-create-agents';
import { CreateOrgsClients1763700008000 } from './1763700008000-create-orgs-clients';

export const agentsMigrations: MigrationSet = {
  schema: 'agents',
  migrations: [CreateAgentsSchema1763700004000, CreateAgents1763700007000, CreateOrgsClients1763700008000],
};
