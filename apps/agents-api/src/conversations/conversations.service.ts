import { randomUUID } from 'node:crypto';
import { BadRequestException, ForbiddenException, Injectable, NotFoundException, ConflictException } from '@nestjs/common';
import { type ConversationOrigin, writeOutboxEvents } from '@chatbot/events';
import { type TenantContext, type TenantId, isUuid } from '@chatbot/tenant-auth';
import { DataSource, type EntityManager } from 'typeorm';
import { AgentCache, type CachedAgent } from '../agents/agent-cache';
import { toWidgetProjection } from '../agents/agent-wire';
import { DEFAULT_SETTINGS } from '../agents/agent-fields';
import type { EngineAgent, EngineHistoryEntry, EnginePassage, EngineReply } from '../engine/chat-engine';
import { EngineResolver } from '../engine/engine-resolver';
import { detectSignals } from '../engine/signals';
import { KbSearchService } from '../kb/kb-search.service';
import { fieldError } from '../tixae/field-error';
import { ConversationRepository, type NewTurn } from './conversation.repository';
import type { ConversationEntity } from './conversation.entity';
import { toTranscriptMetadata } from './conversation-wire';
import type { InteractBodyDto, OperatorReplyDto, StateBodyDto, TranscriptMetadataDto } from './dto/interact.dto';
import { type ConversationEvent, applyHandoffTransition, conversationRef } from './handoff-transitions';
import { groupIntoTurns, newMessage, turnsFromInput } from './message-factory';
import { type WireMessage, type WireTurn, messageText } from './turn-wire';

/** The interact/state response (TIXAE V3). */
export interface InteractResponse {
  platformName: 'vf' | 'vg';
  success: boolean;
  message: string;
  chatState: ConversationEntity['state'];
  actionMessages: WireMessage[];
  turns: WireTurn[];
  appError: string | null;
  agentData: Record<string, unknown>;
  origin: ConversationOrigin;
  userID: string;
  agentID: string;
  /** Beyond the seed: the transcript metadata after the call. */
  metadata: Record<string, unknown>;
}

const MAX_TEXT = 4000;
const HISTORY_TURNS = 8;
const HANDOFF_REPLY: Record<string, string> = {
  en: 'I am connecting you with a member of our team. Someone will be with you shortly.',
  es: 'Te estoy conectando con una persona de nuestro equipo. Alguien te atenderá en breve.',
  de: 'Ich verbinde Sie mit einem Mitarbeiter unseres Teams. Gleich ist jemand für Sie da.',
  fr: "Je vous mets en relation avec un membre de notre équipe. Quelqu'un va vous répondre sous peu.",
};
const FREE_METADATA = ['name', 'email', 'image', 'phone', 'browser', 'profilePic', 'platform'] as const;


interface PhaseOne {
  conversation: ConversationEntity;
  /** Every turn after phase one (the response's `turns` when no engine reply follows). */
  turns: WireTurn[];
  actionMessages: WireMessage[];
  engineQuestion: string | null;
  history: EngineHistoryEntry[];
}

/**
 * Chat Interact, Configure State and operator replies. Each write runs in one short transaction holding the
 * conversation's row lock, and raises its events through the outbox in that transaction. The engine runs between two
 * transactions (no lock held while a remote model thinks); its reply is appended in the second.
 */
@Injectable()
export class ConversationsService {
  constructor(
    private readonly dataSource: DataSource,
    private readonly conversations: ConversationRepository,
    private readonly agents: AgentCache,
    private readonly engines: EngineResolver,
    private readonly kb: KbSearchService,
  ) {}

  async interact(
    tenant: TenantContext,
    agentId: string,
    userId: string,
    body: InteractBodyDto,
    onDelta?: (text: string) => void,
  ): Promise<InteractResponse> {
    const agent = await this.requireAgent(tenant, agentId);
    checkUserId(userId);
    if (agent.disabled) throw new ForbiddenException(`Agent ${agent.id} is disabled`);
    const actionText = actionPayloadText(body);
    const lang = agent.settings.lang ?? 'en';
    const now = Date.now();
    // The embedded engine answers in well under a millisecond: without streaming, answer first and write the whole
    // exchange in one transaction (a remote engine, or a stream, runs between two transactions instead).
    const local = !onDelta && this.engines.engineFor(engineAgent(agent)).name === 'offline';
    const early = local && actionText !== null && (body.action.type === 'text' || body.action.type === 'choice') ? await this.answer(agent, actionText, []) : null;

    // One transaction in two round trips: lock (or create) the conversation, decide here, write with COMMIT.
    const { result: one } = await this.conversations.exchange(
      { tenantId: tenant.tenantId, agentId: agent.id, userId },
      body.origin ?? body.transcriptMetadata?.origin ?? 'web-chat',
      ({ conversation: c, created, turns: before }) => {
        const events: ConversationEvent[] = [];
        const ref = conversationRef(c);
        if (created) {
          c.sessionsNum = 1;
          events.push({ tenantId: c.tenantId, type: 'conversation_started', aggregateId: c.id, data: { ...ref, origin: c.origin } });
        } else if (c.state === 'ended_chat') {
          events.push(...applyHandoffTransition(c, 'ai-chatting', undefined, { now: new Date(now) }));
        } else if (body.action.type === 'launch' && c.messagesNum > 0) {
          c.sessionsNum += 1;
        }
        if (body.origin) c.origin = body.origin;
        if (body.transcriptMetadata) applyFreeMetadata(c, body.transcriptMetadata);
        if (body.variables) c.metadata = { ...c.metadata, variables: { ...asRecord(c.metadata['variables']), ...body.variables } };

        const turns: NewTurn[] = body.appendMessages ? groupIntoTurns(body.appendMessages, now) : [];
        const human = newMessage('human', body.action.type, humanItem(body), now);
        turns.push({ sender: 'human', messages: [human], ts: new Date(now) });
        const bot: WireMessage[] = [];
        let engineQuestion: string | null = null;

        if (body.action.type === 'launch') {
          bot.push(...launchMessages(agent, now));
        } else if (body.action.type === 'end') {
          events.push(...applyHandoffTransition(c, 'ended_chat', undefined, { now: new Date(now), reason: 'user_ended' }));
        } else if (actionText !== null) {
          const signals = detectSignals(actionText, lang);
          if (signals.emails.length > 0 || signals.phones.length > 0) events.push(captureLead(c, signals));
          if (signals.handoff && c.state === 'ai-chatting') {
            events.push({ tenantId: c.tenantId, type: 'intent_detected', aggregateId: c.id, data: { ...ref, intent: 'handoff_request', confidence: 1, text: actionText } });
            events.push(...applyHandoffTransition(c, 'requested_chat', undefined, { now: new Date(now), reason: 'user_requested_human' }));
            bot.push(newMessage('bot', 'text', { message: agent.settings.UIhandoffTitle ?? HANDOFF_REPLY[lang] ?? HANDOFF_REPLY['en'] }, now));
          } else if (c.state === 'ai-chatting' && early) {
            const reply = botReply(agent, early.reply, now);
            bot.push(reply);
            events.push(...engineIntents(c, early.reply, actionText));
          } else if (c.state === 'ai-chatting') {
            engineQuestion = actionText;
          }
          // requested_chat / human-chatting: the bot stays silent; the message reaches the operator as message_sent.
        }
        if (bot.length > 0) turns.push({ sender: 'bot', messages: bot, ts: new Date(now) });

        const history = engineQuestion !== null && this.engines.engineFor(engineAgent(agent)).name !== 'offline' ? historyOf(before) : [];
        for (const t of turns) for (const msg of t.messages) events.push(messageSent(c, msg, null));
        const after = [...before, ...turns.filter((t) => t.messages.length > 0).map((t) => ({ from: t.sender, messages: t.messages, ts: t.ts.getTime() }))];
        const result: PhaseOne = { conversation: c, turns: after, actionMessages: bot, engineQuestion, history };
        return { turns, interactions: 1, events, result };
      },
    );

    let conversation = one.conversation;
    let turns: WireTurn[] | undefined = one.turns;
    let actionMessages = one.actionMessages;
    let appError: string | null = early?.appError ?? null;
    if (one.engineQuestion !== null) {
      const answer = await this.answer(agent, one.engineQuestion, one.history, onDelta);
      appError = answer.appError;
      const two = await this.dataSource.transaction(async (m) => {
        const c = await this.conversations.lock(m, { tenantId: tenant.tenantId, agentId: agent.id, userId });
        if (!c) return null; // deleted meanwhile
        if (c.state !== 'ai-chatting') {
          // An operator took over while the engine was thinking: the bot stays silent.
          return { conversation: c, messages: [] as WireMessage[] };
        }
        const at = Date.now();
        const reply = botReply(agent, answer.reply, at);
        const events: ConversationEvent[] = [messageSent(c, reply, null), ...engineIntents(c, answer.reply, one.engineQuestion)];
        await this.conversations.appendTurns(m, c, [{ sender: 'bot', messages: [reply], ts: new Date(at) }], 0);
        await writeEvents(m, events);
        return { conversation: c, messages: [reply] };
      });
      if (!two) throw new NotFoundException(`Conversation of user ${userId} was deleted`);
      conversation = two.conversation;
      turns = undefined; // read again: the reply (and anything written meanwhile) is in
      actionMessages = two.messages;
      if (two.messages.length === 0) appError = appError ?? 'The reply was discarded: a human operator took over the conversation';
    }
    return this.respond(agent, conversation, actionMessages, appError, turns);
  }

  async getState(tenant: TenantContext, agentId: string, userId: string): Promise<InteractResponse> {
    const agent = await this.requireAgent(tenant, agentId);
    checkUserId(userId);
    const c = await this.conversations.find({ tenantId: tenant.tenantId, agentId: agent.id, userId });
    if (!c) throw new NotFoundException(`No conversation of user ${userId} with agent ${agent.id}`);
    return this.respond(agent, c, [], null);
  }

  async configureState(tenant: TenantContext, agentId: string, userId: string, body: StateBodyDto): Promise<InteractResponse> {
    const agent = await this.requireAgent(tenant, agentId);
    checkUserId(userId);
    if (!body.turns && !body.delete && !body.metadata) throw new BadRequestException('Nothing to do: give turns, delete and/or metadata');
    const assignTo = body.metadata?.chatAssignedTo;
    if (assignTo) await this.requireClient(tenant.tenantId, assignTo);
    const now = new Date();
    let deleted: string[] = [];
    const c = await this.dataSource.transaction(async (m) => {
      const events: ConversationEvent[] = [];
      const { conversation: c, created } = await this.conversations.lockOrCreate(
        m,
        { tenantId: tenant.tenantId, agentId: agent.id, userId },
        body.metadata?.origin ?? 'web-chat',
      );
      if (created) {
        c.sessionsNum = 1;
        events.push({ tenantId: c.tenantId, type: 'conversation_started', aggregateId: c.id, data: { ...conversationRef(c), origin: c.origin } });
      }
      if (body.turns) await this.conversations.replaceTurns(m, c, turnsFromInput(body.turns, now.getTime()));
      if (body.delete && body.delete.length > 0) deleted = await this.conversations.deleteMessages(m, c, body.delete);
      if (body.metadata) {
        applyFreeMetadata(c, body.metadata);
        if (body.metadata.chatState !== undefined || assignTo !== undefined) {
          events.push(...applyHandoffTransition(c, body.metadata.chatState ?? c.state, assignTo, { now, reason: 'state_configured' }));
        }
      }
      await this.conversations.save(m, c);
      await writeEvents(m, events);
      return c;
    });
    const res = await this.respond(agent, c, [], null);
    if (body.delete) res.message = `State updated (${deleted.length} of ${body.delete.length} messages deleted)`;
    else res.message = 'State updated';
    return res;
  }

  /** A human operator (the assigned client) writes to the user while the conversation is `human-chatting`. */
  async operatorReply(tenant: TenantContext, agentId: string, userId: string, body: OperatorReplyDto): Promise<InteractResponse> {
    const agent = await this.requireAgent(tenant, agentId);
    checkUserId(userId);
    await this.requireClient(tenant.tenantId, body.clientId);
    const result = await this.dataSource.transaction(async (m) => {
      const c = await this.conversations.lock(m, { tenantId: tenant.tenantId, agentId: agent.id, userId });
      if (!c) throw new NotFoundException(`No conversation of user ${userId} with agent ${agent.id}`);
      if (c.state !== 'human-chatting') throw new ConflictException(`Operators can write only while the chat is human-chatting (it is ${c.state})`);
      if (c.assignedClientId !== body.clientId) throw new ConflictException('The conversation is assigned to another operator');
      const at = new Date();
      const msg = newMessage('bot', 'text', { message: body.message, operator: body.clientId }, at.getTime());
      c.firstHumanResponseAt ??= at;
      await this.conversations.appendTurns(m, c, [{ sender: 'bot', messages: [msg], ts: at, operatorId: body.clientId }], 0);
      await writeEvents(m, [messageSent(c, msg, 'operator')]);
      return { c, msg };
    });
    return this.respond(agent, result.c, [result.msg], null);
  }

  private async answer(
    agent: CachedAgent,
    question: string,
    history: EngineHistoryEntry[],
    onDelta?: (text: string) => void,
  ): Promise<{ reply: EngineReply; appError: string | null }> {
    const limit = agent.settings.vg_kbTopChunks ?? DEFAULT_SETTINGS.vg_kbTopChunks ?? 5;
    const hits = await this.kb.search(agent.tenantId as TenantId, agent.id, { question, limit });
    const passages: EnginePassage[] = hits.map((h) => ({
      chunkId: h.chunkId,
      documentId: h.documentId,
      title: h.documentName,
      headingPath: h.headingPath,
      text: h.text,
      score: h.score,
      source: h.url ?? h.documentName,
    }));
    const outcome = await this.engines.replyWithFallback({ agent: engineAgent(agent), history, question, passages }, onDelta);
    const appError = outcome.fallbackFrom
      ? `${outcome.fallbackFrom.engine} engine failed (${outcome.fallbackFrom.message}); answered by the offline engine`
      : null;
    return { reply: outcome.reply, appError };
  }

  private async respond(
    agent: CachedAgent,
    c: ConversationEntity,
    actionMessages: WireMessage[],
    appError: string | null,
    known?: WireTurn[],
  ): Promise<InteractResponse> {
    const turns = known ?? (await this.conversations.wireTurns(c.id));
    return {
      platformName: agent.platform,
      success: true,
      message: 'OK',
      chatState: c.state,
      actionMessages,
      turns,
      appError,
      agentData: agentData(agent),
      origin: c.origin,
      userID: c.userId,
      agentID: agent.id,
      metadata: toTranscriptMetadata(c),
    };
  }

  /** 404 for another tenant's agent, and for any agent but its own when the key is agent-scoped. */
  private async requireAgent(tenant: TenantContext, agentId: string): Promise<CachedAgent> {
    const agent = tenant.agentId && tenant.agentId !== agentId ? null : await this.agents.find(tenant.tenantId, agentId);
    if (!agent) throw new NotFoundException(`Agent ${agentId} not found`);
    return agent;
  }

  private async requireClient(tenantId: TenantId, clientId: string): Promise<void> {
    const rows = isUuid(clientId)
      ? await this.dataSource.query<unknown[]>(`SELECT 1 FROM agents.clients WHERE tenant_id = $1 AND id = $2`, [tenantId, clientId])
      : [];
    if (rows.length === 0) throw fieldError('chatAssignedTo', `No client ${clientId} in this workspace`);
  }
}

/** The engine's view of the last turns before this exchange. */
function historyOf(turns: readonly WireTurn[]): EngineHistoryEntry[] {
  const out: EngineHistoryEntry[] = [];
  for (const turn of turns.slice(-HISTORY_TURNS)) {
    const text = turn.messages.map(messageText).filter((t): t is string => !!t).join('\n');
    if (text) out.push({ from: turn.from, text });
  }
  return out;
}

/** The agent's public projection, computed once per agent object (cached agents are shared by requests). */
const AGENT_DATA = new WeakMap<CachedAgent, Record<string, unknown>>();
function agentData(agent: CachedAgent): Record<string, unknown> {
  let data = AGENT_DATA.get(agent);
  if (!data) {
    data = toWidgetProjection(agent);
    AGENT_DATA.set(agent, data);
  }
  return data;
}

function checkUserId(userId: string): void {
  const control = [...userId].some((ch) => ch.charCodeAt(0) < 0x20 || ch.charCodeAt(0) === 0x7f);
  if (userId.length === 0 || userId.length > 200 || control) throw fieldError('userId', 'userId must be 1 to 200 characters without control characters');
}

function asRecord(value: unknown): Record<string, unknown> {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The user text an action carries (text and choice), validated; null for actions without text. */
function actionPayloadText(body: InteractBodyDto): string | null {
  const { type, payload } = body.action;
  if (type === 'launch' || type === 'end') return null;
  let text: unknown = payload;
  if (payload && typeof payload === 'object') text = (payload as Record<string, unknown>)['message'] ?? (payload as Record<string, unknown>)['label'];
  if (type === 'text' || type === 'choice') {
    if (typeof text !== 'string' || text.trim().length === 0) throw fieldError('action.payload', `${type} needs a non-empty payload (the user's text)`);
    if (text.length > MAX_TEXT) throw fieldError('action.payload', `payload is longer than ${MAX_TEXT} characters`);
    return text.trim();
  }
  return typeof text === 'string' && text.trim() ? text.trim() : null;
}

function humanItem(body: InteractBodyDto): unknown {
  const { type, payload } = body.action;
  if (type === 'text' && typeof payload === 'string') return { message: payload };
  if (type === 'choice' && typeof payload === 'string') return { label: payload };
  return payload ?? null;
}

/** The bot's text reply: `{ message, sources }`, delayed by the agent's `messageDelayMS`. */
function botReply(agent: CachedAgent, reply: EngineReply, at: number): WireMessage {
  return newMessage('bot', 'text', { message: reply.text, sources: reply.sources }, at, agent.settings.messageDelayMS ?? 0);
}

/** `intent_detected` for each intent the engine reported. */
function engineIntents(c: ConversationEntity, reply: EngineReply, text: string | null): ConversationEvent[] {
  return reply.intents.map((intent) => ({
    tenantId: c.tenantId,
    type: 'intent_detected' as const,
    aggregateId: c.id,
    data: { ...conversationRef(c), intent: intent.intent, confidence: intent.confidence, text },
  }));
}

function launchMessages(agent: CachedAgent, now: number): WireMessage[] {
  const s = agent.settings;
  const texts = s.vg_initMessages && s.vg_initMessages.length > 0 ? s.vg_initMessages : s.welcomeMessage ? [s.welcomeMessage] : (DEFAULT_SETTINGS.vg_initMessages ?? []);
  const delay = s.messageDelayMS ?? 0;
  return texts.map((text, i) => newMessage('bot', 'text', { message: text }, now, i === 0 ? 0 : delay));
}

function applyFreeMetadata(c: ConversationEntity, md: TranscriptMetadataDto): void {
  const next = { ...c.metadata };
  for (const field of FREE_METADATA) if (md[field] !== undefined) next[field] = md[field];
  c.metadata = next;
  if (md.tags) c.tags = [...new Set(md.tags)];
  if (md.origin) c.origin = md.origin;
}

function captureLead(c: ConversationEntity, signals: { emails: string[]; phones: string[]; name?: string }): ConversationEvent {
  const leadId = typeof c.metadata['leadId'] === 'string' ? c.metadata['leadId'] : randomUUID();
  const email = signals.emails[0] ?? (typeof c.metadata['email'] === 'string' ? c.metadata['email'] : null);
  const phone = signals.phones[0] ?? (typeof c.metadata['phone'] === 'string' ? c.metadata['phone'] : null);
  const name = typeof c.metadata['name'] === 'string' ? c.metadata['name'] : (signals.name ?? null);
  c.metadata = { ...c.metadata, leadId, ...(email ? { email } : {}), ...(phone ? { phone } : {}), ...(name ? { name } : {}) };
  return { tenantId: c.tenantId, type: 'lead_captured', aggregateId: c.id, data: { ...conversationRef(c), lead_id: leadId, email, phone, name } };
}

function messageSent(c: ConversationEntity, msg: WireMessage, as: 'operator' | null): ConversationEvent {
  return {
    tenantId: c.tenantId,
    type: 'message_sent',
    aggregateId: c.id,
    data: { ...conversationRef(c), message_id: msg.mid, from: as ?? msg.from, type: msg.type, text: messageText(msg) },
  };
}

function engineAgent(agent: CachedAgent): EngineAgent {
  const s = agent.settings;
  return {
    id: agent.id,
    title: agent.title,
    prompt: s.vg_prompt ?? null,
    temperature: s.vg_temperature ?? null,
    model: s.vg_defaultModel ?? null,
    maxTokens: s.vg_maxTokens ?? null,
    lang: s.lang ?? 'en',
  };
}

async function writeEvents(m: EntityManager, events: ConversationEvent[]): Promise<void> {
  await writeOutboxEvents(m, events);
}
