/** TIXAE V3 turn and message shapes, exactly as the seed names them. */
export const MESSAGE_TYPES = [
  'launch', 'text', 'choice', 'MultiSelect', 'cardV2', 'carousel', 'visual', 'GetBrowserData', 'Embed', 'iFrame',
  'FileUpload', 'GoogleForm', 'EmailForm', 'SetConvoData', 'VoiceNote', 'SetRuntime', 'no-reply', 'VGVF_Channel',
  'VFVG_Channel', 'VG_Response', 'knowledgeBase', 'jsx', 'info:default', 'info:success', 'info:danger', 'info:primary',
  'end',
] as const;
export type MessageType = (typeof MESSAGE_TYPES)[number];

export const TURN_SENDERS = ['human', 'bot'] as const;
export type TurnSender = (typeof TURN_SENDERS)[number];

export const ORIGINS = ['web-chat', 'whatsapp', 'discord', 'gb-chat'] as const;
export const HANDOFF_STATES = ['requested_chat', 'human-chatting', 'ai-chatting', 'ended_chat'] as const;

/** One message of a turn. `ts` is unix milliseconds; `item` depends on `type` (text: `{ message }`). */
export interface WireMessage {
  mid: string;
  from: TurnSender;
  type: MessageType;
  item: unknown;
  delay: number;
  ts: number;
}

export interface WireTurn {
  from: TurnSender;
  messages: WireMessage[];
  ts: number;
}

/** The text a message carries, for engines, search and events (null for non-text messages). */
export function messageText(message: Pick<WireMessage, 'type' | 'item'>): string | null {
  const item = message.item;
  if (typeof item === 'string') return item;
  if (item && typeof item === 'object') {
    const record = item as Record<string, unknown>;
    for (const key of ['message', 'text', 'label', 'payload']) {
      if (typeof record[key] === 'string') return record[key];
    }
  }
  return null;
}
