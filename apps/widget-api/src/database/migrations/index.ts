import type { MigrationSet } from '@chatbot/database';
import { CreateWidgetSchema1763700002000 } from './1763700002000-create-widget-schema';
import { CreateAgentProjections1763700012000 } from './1763700012000-create-agent-projections';
import { CreateTtsCredentials1763700013000 } from './1763700013000-create-tts-credentials';
import { CreateLiveAgentKeys1763700014000 } from './1763700014000-create-live-agent-keys';

export const widgetMigrations: MigrationSet = {
  schema: 'widget',
  migrations: [CreateWidgetSchema1763700002000, CreateAgentProjections1763700012000, CreateTtsCredentials1763700013000, CreateLiveAgentKeys1763700014000],
};
