import { Inject, Injectable, NotFoundException, type OnModuleDestroy } from '@nestjs/common';
import { APP_CONFIG } from '@chatbot/platform';
import { SecretBox, type TenantId } from '@chatbot/tenant-auth';
import type { TextToSpeechClient } from '@google-cloud/text-to-speech';
import type { WidgetApiConfig } from '../config/widget-api.config';
import { EspeakSynthesizer } from './espeak-synthesizer';
import { EspeakTtsProvider } from './espeak-tts.provider';
import { GoogleTtsProvider, type GoogleEndpoint, type ServiceAccountKey, createGoogleTtsClient, parseGoogleEndpoint } from './google-tts.provider';
import { parseServiceAccount } from './service-account';
import type { TtsCredentialsEntity } from './tts-credentials.entity';
import { TtsCredentialsRepository } from './tts-credentials.repository';
import type { TtsProvider } from './tts-provider';

export interface CredentialsSummary {
  configured: boolean;
  provider: 'google' | 'espeak';
  clientEmail: string | null;
  projectId: string | null;
  privateKeyId: string | null;
  updatedAt: string | null;
}

const MAX_CACHED_CLIENTS = 500;

/**
 * The tenant's service account (stored sealed by SecretBox, bound to the tenant id) and the provider it selects: one
 * cached Google client per tenant, rebuilt when the stored credentials id changes (checked on every request, so a
 * replacement made through another instance takes effect at once); eSpeak NG when the tenant has none.
 */
@Injectable()
export class TtsCredentialsService implements OnModuleDestroy {
  private readonly clients = new Map<string, { credentialsId: string; client: TextToSpeechClient; provider: GoogleTtsProvider }>();
  private readonly endpoint: GoogleEndpoint;
  private readonly timeoutMs: number;
  readonly espeak: EspeakTtsProvider;
  readonly synthesizer: EspeakSynthesizer;

  constructor(
    private readonly repository: TtsCredentialsRepository,
    private readonly secrets: SecretBox,
    @Inject(APP_CONFIG) config: WidgetApiConfig,
  ) {
    this.endpoint = parseGoogleEndpoint(config.TTS_GOOGLE_BASE_URL);
    this.timeoutMs = config.TTS_SYNTHESIS_TIMEOUT_MS;
    this.synthesizer = new EspeakSynthesizer(config.TTS_ESPEAK_WORKERS, config.TTS_SYNTHESIS_TIMEOUT_MS);
    this.espeak = new EspeakTtsProvider(this.synthesizer);
  }

  async set(tenantId: TenantId, serviceAccount: Record<string, unknown>): Promise<CredentialsSummary> {
    const key = parseServiceAccount(serviceAccount);
    const sealed = this.secrets.encrypt(
      JSON.stringify({ client_email: key.clientEmail, private_key: key.privateKey, project_id: key.projectId, private_key_id: key.privateKeyId }),
      associatedData(tenantId),
    );
    const row = await this.repository.upsert(tenantId, {
      clientEmail: key.clientEmail,
      projectId: key.projectId,
      privateKeyId: key.privateKeyId,
      secret: sealed,
      keyId: this.secrets.activeKeyId,
    });
    this.drop(tenantId);
    return summary(row);
  }

  async get(tenantId: TenantId): Promise<CredentialsSummary> {
    return summary(await this.repository.find(tenantId));
  }

  async delete(tenantId: TenantId): Promise<void> {
    const deleted = await this.repository.delete(tenantId);
    this.drop(tenantId);
    if (!deleted) throw new NotFoundException('No TTS service account is stored for this tenant');
  }

  /** Google with the tenant's service account, or the embedded eSpeak NG. */
  async providerFor(tenantId: TenantId): Promise<TtsProvider> {
    const row = await this.repository.find(tenantId);
    if (!row) {
      this.drop(tenantId);
      return this.espeak;
    }
    const cached = this.clients.get(tenantId);
    if (cached && cached.credentialsId === row.credentialsId) {
      this.clients.delete(tenantId); // re-insert: Map order is least recently used first
      this.clients.set(tenantId, cached);
      return cached.provider;
    }
    this.drop(tenantId);
    const client = createGoogleTtsClient(this.unseal(tenantId, row), this.endpoint);
    const provider = new GoogleTtsProvider(client, row.credentialsId, this.timeoutMs);
    this.clients.set(tenantId, { credentialsId: row.credentialsId, client, provider });
    while (this.clients.size > MAX_CACHED_CLIENTS) this.drop(this.clients.keys().next().value!);
    return provider;
  }

  async onModuleDestroy(): Promise<void> {
    for (const tenantId of [...this.clients.keys()]) this.drop(tenantId, true);
    await this.synthesizer.close();
  }

  private unseal(tenantId: TenantId, row: TtsCredentialsEntity): ServiceAccountKey {
    const json = JSON.parse(this.secrets.decrypt(row.secret, associatedData(tenantId))) as Record<string, string | null>;
    return {
      clientEmail: json['client_email']!,
      privateKey: json['private_key']!,
      projectId: json['project_id']!,
      privateKeyId: json['private_key_id'] ?? null,
    };
  }

  /** Forgets a tenant's client; it is closed once calls already made with it have had time to finish. */
  private drop(tenantId: string, now = false): void {
    const cached = this.clients.get(tenantId);
    if (!cached) return;
    this.clients.delete(tenantId);
    const close = (): void => void cached.client.close().catch(() => undefined);
    if (now) close();
    else setTimeout(close, this.timeoutMs).unref();
  }
}

function associatedData(tenantId: string): string {
  return `${tenantId}:widget.tts_credentials`;
}

function summary(row: TtsCredentialsEntity | null): CredentialsSummary {
  return {
    configured: row !== null,
    provider: row ? 'google' : 'espeak',
    clientEmail: row?.clientEmail ?? null,
    projectId: row?.projectId ?? null,
    privateKeyId: row?.privateKeyId ?? null,
    updatedAt: row?.updatedAt.toISOString() ?? null,
  };
}
