import { CreatedAtColumn, UpdatedAtColumn } from '@chatbot/database';
import type { ConversationOrigin, HandoffState } from '@chatbot/events';
import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** Free-form transcript metadata (TIXAE names) that has no column of its own: name, email, phone, image, browser... */
export type ConversationMetadata = Record<string, unknown>;

/** One conversation of an end user (`userID`) with an agent; its turns are in `agents.conversation_turns`. */
@Entity({ schema: 'agents', name: 'conversations' })
export class ConversationEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'uuid' })
  agentId!: string;

  @Column({ type: 'text' })
  userId!: string;

  @Column({ type: 'text', default: 'web-chat' })
  origin!: ConversationOrigin;

  @Column({ type: 'text', default: 'ai-chatting' })
  state!: HandoffState;

  @Column({ type: 'uuid', nullable: true })
  assignedClientId!: string | null;

  @Column({ type: 'text', array: true, default: () => `'{}'` })
  tags!: string[];

  @Column({ type: 'jsonb', default: {} })
  metadata!: ConversationMetadata;

  /** The seq the next turn gets; allocated under the conversation's row lock. */
  @Column({ type: 'integer', default: 0 })
  nextSeq!: number;

  @Column({ type: 'integer', default: 0 })
  messagesNum!: number;

  @Column({ type: 'integer', default: 0 })
  humanMessagesNum!: number;

  @Column({ type: 'integer', default: 0 })
  botMessagesNum!: number;

  @Column({ type: 'integer', default: 0 })
  interactionsNum!: number;

  @Column({ type: 'integer', default: 0 })
  sessionsNum!: number;

  @Column({ type: 'timestamptz', nullable: true })
  firstMessageAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  lastMessageAt!: Date | null;

  /** The current handoff ticket (a new one per handoff request). */
  @Column({ type: 'uuid', nullable: true })
  ticketId!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  handoffRequestedAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  firstHumanResponseAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  endedAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
