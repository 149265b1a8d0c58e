import type { IncomingMessage, Server } from 'node:http';
import type { Duplex } from 'node:stream';
import { Inject, Injectable, type BeforeApplicationShutdown, type OnApplicationBootstrap } from '@nestjs/common';
import { HttpAdapterHost } from '@nestjs/core';
import { APP_LOGGER, type AppLogger } from '@chatbot/platform';
import { type RawData, WebSocket, WebSocketServer } from 'ws';
import { AgentEngineClient } from './agent-engine.client';
import { LIVE_WS_PATH } from './live-session.service';
import { type LiveSessionRecord, LiveSessionStore } from './live-session.store';
import { LiveSpeech } from './live-speech';

/** Close codes of the platform Live endpoint (4000-4999 are the application's). */
export const LIVE_CLOSE = {
  /** Missing, unknown or expired session token. */
  unauthorized: 4401,
  /** The session token was already used by an earlier connection. */
  tokenUsed: 4409,
  /** The session reached its expiresAt. */
  expired: 4408,
  /** The server is shutting down (standard "going away"). */
  goingAway: 1001,
  /** The agent's engine failed in a way the session cannot continue from. */
  internal: 1011,
} as const;

const MAX_MESSAGE_BYTES = 16 * 1024;
const MAX_TEXT_CHARS = 4000;
const MAX_QUEUED_TURNS = 4;
const PING_INTERVAL_MS = 30_000;
const DRAIN_TIMEOUT_MS = 5_000;

type ClientMessage = { type: 'text'; text: string } | { type: 'launch' } | { type: 'ping' };

interface Connection {
  socket: WebSocket;
  session: LiveSessionRecord;
  queue: Promise<void>;
  queued: number;
  alive: boolean;
  expiry: NodeJS.Timeout;
}

/**
 * The platform's own Live endpoint, `GET /api/live/ws?session=<token>` (WebSocket), for sessions created without a
 * Gemini key. The first connection consumes the single-use token; a missing, unknown, expired or reused token is
 * refused after the upgrade with a close code and reason browsers can read (4401, 4409).
 *
 * Protocol (JSON text frames):
 * - server → `{type:'ready', sessionId, languageCode, expiresAt}` once connected;
 * - client `{type:'text', text}` → `{type:'reply', text, chatState}` (the agent engine's answer, agents-api Chat
 *   Interact with userId = sessionId) then `{type:'audio', mimeType, audioContentBase64, estimatedDurationSeconds}`
 *   (widget-api TTS in the session language: the tenant's Google voice, else eSpeak NG WAV);
 * - client `{type:'launch'}` → the agent's initial messages, the same way;
 * - `{type:'error', message}` for a bad message (the session stays open); the session closes with 4408 at expiresAt.
 * Turns of one connection are answered in order.
 */
@Injectable()
export class LiveGateway implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly wss = new WebSocketServer({ noServer: true, maxPayload: MAX_MESSAGE_BYTES });
  private readonly connections = new Set<Connection>();
  private server: Server | null = null;
  private closing = false;
  private pingTimer: NodeJS.Timeout | null = null;

  private readonly onUpgrade = (request: IncomingMessage, socket: Duplex, head: Buffer): void => {
    void this.handleUpgrade(request, socket, head);
  };

  constructor(
    private readonly adapterHost: HttpAdapterHost,
    private readonly store: LiveSessionStore,
    private readonly engine: AgentEngineClient,
    private readonly speech: LiveSpeech,
    @Inject(APP_LOGGER) private readonly logger: AppLogger,
  ) {}

  onApplicationBootstrap(): void {
    const server = this.adapterHost.httpAdapter.getHttpServer() as Server;
    server.on('upgrade', this.onUpgrade);
    this.server = server;
    this.pingTimer = setInterval(() => this.heartbeat(), PING_INTERVAL_MS);
    this.pingTimer.unref();
  }

  /** Before the HTTP server closes: refuse new connections, let turns in flight finish (bounded), then close sockets. */
  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    this.server?.off('upgrade', this.onUpgrade);
    if (this.pingTimer) clearInterval(this.pingTimer);
    const drained = Promise.all([...this.connections].map((c) => c.queue));
    await Promise.race([drained, new Promise((resolve) => setTimeout(resolve, DRAIN_TIMEOUT_MS).unref())]);
    for (const connection of this.connections) this.close(connection, LIVE_CLOSE.goingAway, 'server shutting down');
    // Sockets that do not answer the close handshake are cut, so the HTTP server can finish closing.
    await new Promise((resolve) => setTimeout(resolve, 200).unref());
    for (const client of this.wss.clients) client.terminate();
    await new Promise<void>((resolve) => this.wss.close(() => resolve()));
  }

  private async handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer): Promise<void> {
    const url = new URL(request.url ?? '/', 'http://localhost');
    if (url.pathname !== LIVE_WS_PATH) {
      // Not ours: another upgrade listener may take it; if none does, answer 404.
      if (this.server && this.server.listenerCount('upgrade') <= 1) rejectUpgrade(socket, 404, 'Not Found');
      return;
    }
    if (this.closing) return rejectUpgrade(socket, 503, 'Service Unavailable');
    const token = url.searchParams.get('session');
    let consumed: Awaited<ReturnType<LiveSessionStore['consume']>> | null = null;
    let failure: string | null = null;
    try {
      consumed = token ? await this.store.consume(token) : null;
    } catch (err) {
      failure = (err as Error).message;
    }
    if (failure !== null) {
      this.logger.warn({ err: { message: failure } }, 'live session token check failed');
      return rejectUpgrade(socket, 503, 'Service Unavailable');
    }
    this.wss.handleUpgrade(request, socket, head, (ws) => {
      if (!token) return ws.close(LIVE_CLOSE.unauthorized, 'session token missing: connect with ?session=<token>');
      if (!consumed?.ok) {
        return consumed?.reason === 'already_used'
          ? ws.close(LIVE_CLOSE.tokenUsed, 'session token already used: create a new session')
          : ws.close(LIVE_CLOSE.unauthorized, 'session token unknown or expired: create a new session');
      }
      this.accept(ws, consumed.session);
    });
  }

  private accept(socket: WebSocket, session: LiveSessionRecord): void {
    const remaining = Math.max(0, Date.parse(session.expiresAt) - Date.now());
    const connection: Connection = {
      socket,
      session,
      queue: Promise.resolve(),
      queued: 0,
      alive: true,
      expiry: setTimeout(() => this.close(connection, LIVE_CLOSE.expired, 'session expired'), remaining),
    };
    connection.expiry.unref();
    this.connections.add(connection);
    socket.on('pong', () => {
      connection.alive = true;
    });
    socket.on('message', (data: RawData, isBinary: boolean) => this.onMessage(connection, data, isBinary));
    socket.on('close', () => {
      clearTimeout(connection.expiry);
      this.connections.delete(connection);
    });
    socket.on('error', (err) => this.logger.debug({ err: { message: err.message }, sessionId: session.sessionId }, 'live socket error'));
    send(socket, { type: 'ready', sessionId: session.sessionId, languageCode: session.languageCode, expiresAt: session.expiresAt });
    this.logger.info({ sessionId: session.sessionId, tenantId: session.tenantId, agentId: session.agentId }, 'live session connected');
  }

  private onMessage(connection: Connection, data: RawData, isBinary: boolean): void {
    const parsed = isBinary ? null : parseMessage(rawText(data));
    if (typeof parsed === 'string' || parsed === null) {
      send(connection.socket, { type: 'error', message: parsed ?? 'messages are JSON text frames' });
      return;
    }
    if (parsed.type === 'ping') {
      send(connection.socket, { type: 'pong' });
      return;
    }
    if (connection.queued >= MAX_QUEUED_TURNS) {
      send(connection.socket, { type: 'error', message: `too many turns waiting (at most ${MAX_QUEUED_TURNS}); wait for the replies` });
      return;
    }
    connection.queued += 1;
    connection.queue = connection.queue.then(() => this.turn(connection, parsed)).finally(() => {
      connection.queued -= 1;
    });
  }

  private async turn(connection: Connection, message: { type: 'text'; text: string } | { type: 'launch' }): Promise<void> {
    const { session, socket } = connection;
    if (socket.readyState !== WebSocket.OPEN) return;
    try {
      const result = await this.engine.turn(
        session.tenantId,
        session.agentId,
        session.sessionId,
        message.type === 'text' ? { type: 'text', payload: message.text } : { type: 'launch' },
      );
      const text = result.texts.join('\n');
      send(socket, { type: 'reply', text, chatState: result.chatState });
      if (text.trim().length === 0 || socket.readyState !== WebSocket.OPEN) return;
      const audio = await this.speech.synthesize(session, result.texts.join('\n'));
      send(socket, {
        type: 'audio',
        mimeType: audio.mimeType,
        audioContentBase64: audio.audioContentBase64,
        estimatedDurationSeconds: audio.estimatedDurationSeconds,
      });
    } catch (err) {
      this.logger.warn({ err: { message: (err as Error).message }, sessionId: session.sessionId }, 'live turn failed');
      send(socket, { type: 'error', message: `the agent could not answer: ${(err as Error).message}` });
    }
  }

  private heartbeat(): void {
    for (const connection of this.connections) {
      if (!connection.alive) {
        connection.socket.terminate();
        continue;
      }
      connection.alive = false;
      connection.socket.ping();
    }
  }

  private close(connection: Connection, code: number, reason: string): void {
    clearTimeout(connection.expiry);
    if (connection.socket.readyState === WebSocket.OPEN) connection.socket.close(code, reason);
  }
}

function send(socket: WebSocket, message: Record<string, unknown>): void {
  if (socket.readyState === WebSocket.OPEN) socket.send(JSON.stringify(message));
}

function rawText(data: RawData): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString('utf8');
  if (Buffer.isBuffer(data)) return data.toString('utf8');
  return Buffer.from(data).toString('utf8');
}

function rejectUpgrade(socket: Duplex, status: number, text: string): void {
  socket.end(`HTTP/1.1 ${status} ${text}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
}

/** A valid client message, or a string saying what is wrong with it. */
export function parseMessage(raw: string): ClientMessage | string {
  let value: unknown;
  try {
    value = JSON.parse(raw);
  } catch {
    return 'message is not valid JSON';
  }
  if (!value || typeof value !== 'object' || Array.isArray(value)) return 'message must be a JSON object with a "type"';
  const record = value as Record<string, unknown>;
  switch (record['type']) {
    case 'text': {
      const text = record['text'];
      if (typeof text !== 'string' || text.trim().length === 0) return 'text must be a non-empty string';
      if (text.length > MAX_TEXT_CHARS) return `text must be at most ${MAX_TEXT_CHARS} characters`;
      return { type: 'text', text };
    }
    case 'launch':
      return { type: 'launch' };
    case 'ping':
      return { type: 'ping' };
    default:
      return 'type must be one of text, launch, ping';
  }
}
