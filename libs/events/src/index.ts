export * from './catalog';
export * from './queues';
export * from './typed-queue';
export * from './outbox/outbox-event.entity';
export * from './outbox/outbox-writer';
export * from './outbox/outbox-retention';
export * from './migrations';

import { OutboxEventEntity } from './outbox/outbox-event.entity';
/** Entities of the `events` schema; producers add them to their data source. */
export const EVENTS_ENTITIES = [OutboxEventEntity];
