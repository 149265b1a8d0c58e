import type { MigrationSet } from '@chatbot/database';
import { CreateWidgetSchema1763700002000 } from './1763700002000-create-widget-schema';

export const widgetMigrations: MigrationSet = {
  schema: 'widget',
  migrations: [CreateWidgetSchema1763700002000],
};
