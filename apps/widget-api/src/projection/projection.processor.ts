import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { type JobPayload, QUEUES, bullConnection, bullPrefix, isProjectionEvent } from '@chatbot/events';
import { APP_CONFIG, APP_LOGGER, type AppLogger } from '@chatbot/platform';
import { isUuid } from '@chatbot/tenant-auth';
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import type { Redis } from 'ioredis';
import type { WidgetApiConfig } from '../config/widget-api.config';
import type { KbStatus } from './agent-projection.entity';
import { AgentProjectionRepository } from './agent-projection.repository';
import { ProjectionChanges } from './projection-changes';

type ProjectionJob = Job<JobPayload<typeof QUEUES.widgetProjection, 'project'>>;

const KB_STATUSES: readonly string[] = ['empty', 'indexing', 'ready', 'failed'] satisfies KbStatus[];

export interface ProjectionResult {
  type: string;
  agentId: string;
  /** False when the event changed nothing (stale version, replay, update after delete). */
  applied: boolean;
}

/**
 * Consumes `widget-projection` jobs (agent_updated / agent_deleted / kb_status_changed) into widget-api's projection.
 *
 * - Idempotent, so at-least-once delivery is safe: updates are ordered by `version` (older or replayed ones change
 *   nothing), deletion is a tombstone no later update can revive, a KB status is a plain overwrite.
 * - Every job, even one that changed nothing, then refreshes the caches (shared Redis entry + pub/sub to every
 *   instance): a retry after a crash between the write and the refresh still reaches the caches.
 * - Concurrency 1: `kb_status_changed` carries no version, so two of them must not overtake each other.
 * - A malformed event fails at once without retries (UnrecoverableError, kept in the failed set for inspection).
 */
@Injectable()
export class ProjectionProcessor implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private worker: Worker | undefined;
  private connection: Redis | undefined;

  constructor(
    private readonly projections: AgentProjectionRepository,
    private readonly changes: ProjectionChanges,
    @Inject(APP_CONFIG) private readonly config: WidgetApiConfig,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  onApplicationBootstrap(): void {
    this.connection = bullConnection(this.config, 'worker');
    this.worker = new Worker(QUEUES.widgetProjection, (job: ProjectionJob) => this.process(job), {
      connection: this.connection,
      prefix: bullPrefix(this.config.REDIS_PREFIX),
      concurrency: 1,
    });
    this.worker.on('error', () => undefined); // connection problems: reported by readiness, the worker reconnects
    this.worker.on('failed', (job, err) =>
      this.logger.warn(
        { jobId: job?.id, attemptsMade: job?.attemptsMade, err: { message: err.message } },
        'widget projection job failed',
      ),
    );
  }

  /** Stop taking jobs and let the one in flight finish, before PlatformModule closes Postgres and Redis. */
  async beforeApplicationShutdown(): Promise<void> {
    await this.worker?.close();
    // A connection handed to BullMQ is not closed by it.
    this.connection?.disconnect();
  }

  async process(job: Pick<ProjectionJob, 'data'>): Promise<ProjectionResult> {
    const event = job.data?.event;
    if (!event || typeof event !== 'object' || !isProjectionEvent(event)) {
      const type = (event as { type?: unknown } | undefined)?.type;
      throw new UnrecoverableError(`not a projection event: ${JSON.stringify(type ?? null)}`);
    }
    const tenantId = event.tenant_id;
    const agentId = (event.data as { agent_id?: unknown } | undefined)?.agent_id;
    if (typeof tenantId !== 'string' || !isUuid(tenantId) || typeof agentId !== 'string' || !isUuid(agentId)) {
      throw new UnrecoverableError(`${event.type} ${event.id}: tenant_id and data.agent_id must be UUIDs`);
    }
    let applied: boolean;
    switch (event.type) {
      case 'agent_updated': {
        const { version, agent } = event.data as { version?: unknown; agent?: unknown };
        if (typeof version !== 'number' || !Number.isInteger(version) || version < 1 || version >= 2147483647) {
          throw new UnrecoverableError(`agent_updated ${event.id}: data.version must be a positive integer`);
        }
        if (!agent || typeof agent !== 'object' || Array.isArray(agent)) {
          throw new UnrecoverableError(`agent_updated ${event.id}: data.agent must be an object`);
        }
        applied = await this.projections.upsert(tenantId, agentId, version, agent as Record<string, unknown>);
        break;
      }
      case 'agent_deleted':
        await this.projections.markDeleted(tenantId, agentId);
        applied = true;
        break;
      case 'kb_status_changed': {
        const status = (event.data as { status?: unknown }).status;
        if (typeof status !== 'string' || !KB_STATUSES.includes(status)) {
          throw new UnrecoverableError(`kb_status_changed ${event.id}: data.status must be one of ${KB_STATUSES.join(', ')}`);
        }
        await this.projections.setKbStatus(tenantId, agentId, status as KbStatus);
        applied = true;
        break;
      }
      default:
        throw new UnrecoverableError('unreachable');
    }
    await this.changes.changed(agentId);
    this.logger.debug({ eventId: event.id, type: event.type, agentId, applied }, 'widget projection updated');
    return { type: event.type, agentId, applied };
  }
}
