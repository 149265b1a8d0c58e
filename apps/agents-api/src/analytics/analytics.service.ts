import { Injectable } from '@nestjs/common';
import type { ConversationOrigin } from '@chatbot/events';
import type { TenantContext } from '@chatbot/tenant-auth';
import { DataSource } from 'typeorm';
import { requireAgentScope } from '../conversations/convos.repository';
import { ORIGINS } from '../conversations/turn-wire';
import { fieldError } from '../tixae/field-error';
import type { AnalyticsQueryDto } from './dto/analytics-query.dto';

const DAY_MS = 86_400_000;
export const DEFAULT_DAYS = 30;
export const MAX_DAYS = 366;

/**
 * The numbers of one bucket (a day, the whole range, and either of them for one origin).
 * Conversation metrics count the conversations that *started* in the bucket (conversations, handoffs, handoffRate,
 * avgHumanFirstResponseSeconds, avgDurationSeconds); activity metrics count the turns written in it (interactions,
 * humanMessages, botMessages, operatorMessages, uniqueUsers, returningUsers).
 */
export interface AnalyticsMetrics {
  conversations: number;
  /** Human turns. */
  interactions: number;
  humanMessages: number;
  /** Messages of bot turns the AI wrote. */
  botMessages: number;
  /** Messages of bot-side turns a human operator wrote. */
  operatorMessages: number;
  uniqueUsers: number;
  /** Users active in the bucket whose conversation started on an earlier day. */
  returningUsers: number;
  /** Conversations with a handoff request. */
  handoffs: number;
  /** handoffs / conversations (null without conversations). */
  handoffRate: number | null;
  /** Mean of first_human_response_at − handoff_requested_at over answered handoffs (null without any). */
  avgHumanFirstResponseSeconds: number | null;
  /** Mean of last − first message time (null without any). */
  avgDurationSeconds: number | null;
}

export interface AnalyticsBucket extends AnalyticsMetrics {
  byOrigin: Record<ConversationOrigin, AnalyticsMetrics>;
}

export interface AnalyticsReport {
  agentID: string;
  start: string;
  end: string;
  timezone: 'UTC';
  totals: AnalyticsBucket;
  days: (AnalyticsBucket & { date: string })[];
}

interface GroupKey {
  day: string | null;
  origin: ConversationOrigin | null;
  no_day: number;
  no_origin: number;
}
interface ConversationRow extends GroupKey {
  conversations: number;
  handoffs: number;
  avg_first_response: number | null;
  avg_duration: number | null;
}
interface ActivityRow extends GroupKey {
  interactions: number;
  human_messages: number;
  bot_messages: number;
  operator_messages: number;
  unique_users: number;
  returning_users: number;
}

const round = (value: number | null, digits: number): number | null =>
  value === null ? null : Math.round(value * 10 ** digits) / 10 ** digits;
const utcDay = (d: Date): number => Math.floor(d.getTime() / DAY_MS) * DAY_MS;
const dayText = (ms: number): string => new Date(ms).toISOString().slice(0, 10);

function emptyMetrics(): AnalyticsMetrics {
  return {
    conversations: 0,
    interactions: 0,
    humanMessages: 0,
    botMessages: 0,
    operatorMessages: 0,
    uniqueUsers: 0,
    returningUsers: 0,
    handoffs: 0,
    handoffRate: null,
    avgHumanFirstResponseSeconds: null,
    avgDurationSeconds: null,
  };
}

function emptyBucket(): AnalyticsBucket {
  return { ...emptyMetrics(), byOrigin: Object.fromEntries(ORIGINS.map((o) => [o, emptyMetrics()])) as Record<ConversationOrigin, AnalyticsMetrics> };
}

/**
 * Both queries group by GROUPING SETS ((day, origin), (day), (origin), ()): every bucket in one pass, and distinct
 * counts (unique and returning users) exact at every level. They read the indexes (agent_id, created_at) of
 * conversations and (agent_id, ts) of turns, never a conversation's messages.
 */
const CONVERSATIONS_SQL = `
  WITH c AS (
    SELECT to_char((created_at AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, origin,
           handoff_requested_at, first_human_response_at, first_message_at, last_message_at
    FROM agents.conversations
    WHERE tenant_id = $1 AND agent_id = $2 AND created_at >= $3 AND created_at < $4
  )
  SELECT day, origin, GROUPING(day) AS no_day, GROUPING(origin) AS no_origin,
         count(*)::int AS conversations,
         (count(*) FILTER (WHERE handoff_requested_at IS NOT NULL))::int AS handoffs,
         (avg(EXTRACT(EPOCH FROM first_human_response_at - handoff_requested_at))
            FILTER (WHERE first_human_response_at >= handoff_requested_at))::float8 AS avg_first_response,
         (avg(EXTRACT(EPOCH FROM last_message_at - first_message_at))
            FILTER (WHERE last_message_at >= first_message_at))::float8 AS avg_duration
  FROM c
  GROUP BY GROUPING SETS ((day, origin), (day), (origin), ())`;

const ACTIVITY_SQL = `
  WITH a AS (
    SELECT to_char((t.ts AT TIME ZONE 'UTC')::date, 'YYYY-MM-DD') AS day, c.origin, c.user_id, t.sender,
           t.operator_id, t.message_count,
           c.created_at < (date_trunc('day', t.ts AT TIME ZONE 'UTC') AT TIME ZONE 'UTC') AS is_returning
    FROM agents.conversation_turns t
    JOIN agents.conversations c ON c.id = t.conversation_id
    WHERE t.tenant_id = $1 AND t.agent_id = $2 AND t.ts >= $3 AND t.ts < $4
  )
  SELECT day, origin, GROUPING(day) AS no_day, GROUPING(origin) AS no_origin,
         (count(*) FILTER (WHERE sender = 'human'))::int AS interactions,
         (coalesce(sum(message_count) FILTER (WHERE sender = 'human'), 0))::int AS human_messages,
         (coalesce(sum(message_count) FILTER (WHERE sender = 'bot' AND operator_id IS NULL), 0))::int AS bot_messages,
         (coalesce(sum(message_count) FILTER (WHERE sender = 'bot' AND operator_id IS NOT NULL), 0))::int AS operator_messages,
         count(DISTINCT user_id)::int AS unique_users,
         (count(DISTINCT user_id) FILTER (WHERE is_returning))::int AS returning_users
  FROM a
  GROUP BY GROUPING SETS ((day, origin), (day), (origin), ())`;

@Injectable()
export class AnalyticsService {
  constructor(private readonly dataSource: DataSource) {}

  async report(tenant: TenantContext, agentId: string, query: AnalyticsQueryDto): Promise<AnalyticsReport> {
    const scope = await requireAgentScope(this.dataSource, tenant, agentId);
    const { startDay, endDay } = this.range(query);
    const params = [scope.tenantId, scope.agentId, new Date(startDay), new Date(endDay + DAY_MS)];
    const [conversations, activity] = await Promise.all([
      this.dataSource.query<ConversationRow[]>(CONVERSATIONS_SQL, params),
      this.dataSource.query<ActivityRow[]>(ACTIVITY_SQL, params),
    ]);

    const totals = emptyBucket();
    const days = new Map<string, AnalyticsBucket & { date: string }>();
    for (let day = startDay; day <= endDay; day += DAY_MS) days.set(dayText(day), { date: dayText(day), ...emptyBucket() });
    const target = (row: GroupKey): AnalyticsMetrics | undefined => {
      const bucket = row.no_day ? totals : row.day ? days.get(row.day) : undefined;
      if (!bucket) return undefined;
      return row.no_origin ? bucket : row.origin ? bucket.byOrigin[row.origin] : undefined;
    };

    for (const row of conversations) {
      const m = target(row);
      if (!m) continue;
      m.conversations = row.conversations;
      m.handoffs = row.handoffs;
      m.handoffRate = row.conversations > 0 ? round(row.handoffs / row.conversations, 4) : null;
      m.avgHumanFirstResponseSeconds = round(row.avg_first_response, 2);
      m.avgDurationSeconds = round(row.avg_duration, 2);
    }
    for (const row of activity) {
      const m = target(row);
      if (!m) continue;
      m.interactions = row.interactions;
      m.humanMessages = row.human_messages;
      m.botMessages = row.bot_messages;
      m.operatorMessages = row.operator_messages;
      m.uniqueUsers = row.unique_users;
      m.returningUsers = row.returning_users;
    }
    return { agentID: scope.agentId, start: dayText(startDay), end: dayText(endDay), timezone: 'UTC', totals, days: [...days.values()] };
  }

  /** UTC days [startDay, endDay], both included: default the last 30 days; end ≥ start; at most 366 days. */
  private range(query: AnalyticsQueryDto): { startDay: number; endDay: number } {
    const endDay = utcDay(query.end ?? new Date());
    const startDay = query.start ? utcDay(query.start) : endDay - (DEFAULT_DAYS - 1) * DAY_MS;
    if (endDay < startDay) throw fieldError('end', `end (${dayText(endDay)}) must not be before start (${dayText(startDay)})`);
    const days = (endDay - startDay) / DAY_MS + 1;
    if (days > MAX_DAYS) throw fieldError('end', `the range is ${days} days; at most ${MAX_DAYS} days per request`);
    return { startDay, endDay };
  }
}
