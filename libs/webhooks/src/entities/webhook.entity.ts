import { CreatedAtColumn, UpdatedAtColumn } from '@chatbot/database';
import type { PublicEventType } from '@chatbot/events';
import { Column, Entity, Index, PrimaryGeneratedColumn } from 'typeorm';
import type { RetryConfig } from '../delivery/retry-policy';

export const HTTP_METHODS = ['GET', 'POST', 'PUT', 'PATCH'] as const;
export type WebhookHttpMethod = (typeof HTTP_METHODS)[number];

@Entity({ schema: 'business', name: 'webhooks' })
export class WebhookEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Index()
  @Column({ type: 'uuid' })
  tenantId!: string;

  @Column({ type: 'text' })
  eventType!: PublicEventType;

  @Column({ type: 'text' })
  webhookUrl!: string;

  @Column({ type: 'text', default: 'POST' })
  httpMethod!: WebhookHttpMethod;

  /** SecretBox envelope of the JSON object of custom headers. */
  @Column({ type: 'text', nullable: true })
  headersEncrypted!: string | null;

  @Column({ type: 'text', nullable: true })
  payloadTemplate!: string | null;

  @Column({ type: 'jsonb' })
  retryConfig!: RetryConfig;

  @Column({ type: 'boolean', default: true })
  isActive!: boolean;

  /** SecretBox envelope of the `whsec_...` signing secret. */
  @Column({ type: 'text' })
  secretEncrypted!: string;

  /** After a rotation the old secret keeps signing beside the new one until it expires. */
  @Column({ type: 'text', nullable: true })
  previousSecretEncrypted!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  previousSecretExpiresAt!: Date | null;

  @Column({ type: 'timestamptz', nullable: true })
  failingSince!: Date | null;

  @Column({ type: 'integer', default: 0 })
  consecutiveFailures!: number;

  @Column({ type: 'text', nullable: true })
  disabledReason!: string | null;

  @Column({ type: 'timestamptz', nullable: true })
  disabledAt!: Date | null;

  @CreatedAtColumn()
  createdAt!: Date;

  @UpdatedAtColumn()
  updatedAt!: Date;
}
