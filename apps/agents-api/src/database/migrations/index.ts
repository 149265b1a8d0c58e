import type { MigrationSet } from '@chatbot/database';
import { CreateAgentsSchema1763700004000 } from './1763700004000-create-agents-schema';
import { CreateAgents1763700007000 } from './1763700007000-create-agents';
import { CreateOrgsClients1763700008000 } from './1763700008000-create-orgs-clients';
import { CreateConversations1763700009000 } from './1763700009000-create-conversations';
import { CreateKnowledgeBase1763700010000 } from './1763700010000-create-knowledge-base';
import { KbIngestion1763700010500 } from './1763700010500-kb-ingestion';
import { KbEmbeddings1763700011000 } from './1763700011000-kb-embeddings';
import { ConversationSearchPendingList1763700012000 } from './1763700012000-conversation-search-pending-list';
import { KbChunksAgentSearchIndex1763700019000 } from './1763700019000-kb-chunks-agent-search-index';

export const agentsMigrations: MigrationSet = {
  schema: 'agents',
  migrations: [CreateAgentsSchema1763700004000, CreateAgents1763700007000, CreateOrgsClients1763700008000, CreateConversations1763700009000, CreateKnowledgeBase1763700010000, KbIngestion1763700010500, KbEmbeddings1763700011000, ConversationSearchPendingList1763700012000, KbChunksAgentSearchIndex1763700019000],
};
