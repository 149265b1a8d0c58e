import { randomUUID } from 'node:crypto';
import type { MessageInputDto, TurnInputDto } from './dto/interact.dto';
import type { NewTurn } from './conversation.repository';
import type { MessageType, TurnSender, WireMessage } from './turn-wire';

export function newMessage(from: TurnSender, type: MessageType, item: unknown, ts: number, delay = 0): WireMessage {
  return { mid: randomUUID(), from, type, item, delay, ts };
}

export function fromInput(m: MessageInputDto, sender: TurnSender, now: number): WireMessage {
  return { mid: m.mid ?? randomUUID(), from: m.from ?? sender, type: m.type, item: m.item ?? null, delay: m.delay ?? 0, ts: m.ts ?? now };
}

/** Groups consecutive messages of one sender into turns (appendMessages). */
export function groupIntoTurns(messages: MessageInputDto[], now: number): NewTurn[] {
  const turns: NewTurn[] = [];
  for (const input of messages) {
    const sender = input.from ?? 'human';
    const message = fromInput(input, sender, now);
    const last = turns.at(-1);
    if (last && last.sender === sender) last.messages.push(message);
    else turns.push({ sender, messages: [message], ts: new Date(message.ts) });
  }
  return turns;
}

/** Configure State `turns` as stored turns (missing ids and times filled in). */
export function turnsFromInput(turns: TurnInputDto[], now: number): NewTurn[] {
  return turns.map((t) => {
    const ts = t.ts ?? t.messages[0]?.ts ?? now;
    return { sender: t.from, messages: t.messages.map((m) => fromInput(m, t.from, ts)), ts: new Date(ts) };
  });
}
