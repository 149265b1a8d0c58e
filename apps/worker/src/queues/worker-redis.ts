import type { RedisOptions } from 'ioredis';

/**
 * ioredis options of the BullMQ worker connections. Auto-pipelining sends the commands issued in one turn of the
 * event loop (the moveToFinished of every job of a batch that completed together) in one socket write: on this
 * workload socket writes, not Redis itself, are most of the cost of a command. The blocking connection (BZPOPMIN,
 * a duplicate of this one) keeps its command out of pipelines.
 */
export const WORKER_REDIS_OPTIONS: RedisOptions = {
  enableAutoPipelining: true,
  autoPipeliningIgnoredCommands: ['bzpopmin', 'bzpopmax', 'brpoplpush', 'blmove', 'xread', 'xreadgroup'],
};
