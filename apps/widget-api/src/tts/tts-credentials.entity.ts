import { Column, Entity, PrimaryColumn } from 'typeorm';

/** A tenant's Google Cloud service account for TTS; the private key only inside `secret` (SecretBox envelope). */
@Entity({ schema: 'widget', name: 'tts_credentials' })
export class TtsCredentialsEntity {
  @PrimaryColumn({ type: 'uuid' })
  tenantId!: string;

  /** New on every replacement: per-tenant clients and cached audio are keyed by it. */
  @Column({ type: 'uuid' })
  credentialsId!: string;

  @Column({ type: 'text' })
  clientEmail!: string;

  @Column({ type: 'text' })
  projectId!: string;

  @Column({ type: 'text', nullable: true })
  privateKeyId!: string | null;

  /** `v1:<keyId>:...` AES-256-GCM envelope of `{ client_email, private_key, project_id, private_key_id }`. */
  @Column({ type: 'text' })
  secret!: string;

  /** Master key id the secret is sealed with (finds rows to re-encrypt after a rotation). */
  @Column({ type: 'text' })
  keyId!: string;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  createdAt!: Date;

  @Column({ type: 'timestamptz', default: () => 'now()' })
  updatedAt!: Date;
}
