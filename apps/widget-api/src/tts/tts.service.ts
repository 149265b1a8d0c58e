import { createHash } from 'node:crypto';
import {
  BadGatewayException,
  BadRequestException,
  ForbiddenException,
  GatewayTimeoutException,
  Injectable,
  NotFoundException,
} from '@nestjs/common';
import type { TenantContext } from '@chatbot/tenant-auth';
import { AgentProjectionRepository } from '../projection/agent-projection.repository';
import { TtsAudioCache } from './tts-audio.cache';
import { TtsCredentialsService } from './tts-credentials.service';
import { type GenerateTtsDto, type GenerateTtsResponseDto, MAX_TEXT_BYTES, type TtsLanguageDto } from './tts.dto';
import { TtsMetrics } from './tts.metrics';
import { type SynthesizedAudio, type TtsProvider, TtsProviderError } from './tts-provider';
import { SUPPORTED_LANGUAGE_CODES, TTS_LANGUAGES, type TtsGender, languageForAgentLang, normalizeLanguageCode, voiceFor } from './tts-voices';

export interface GeneratedSpeech {
  /** The JSON response body `{ audioContentBase64, mimeType, estimatedDurationSeconds }`, serialized once. */
  body: Buffer;
  cache: 'hit' | 'miss';
  provider: TtsProvider['name'];
}

const supportedList = SUPPORTED_LANGUAGE_CODES.join(', ');

/** TTS voices and generation: validation, tenant and agent checks, language choice, content-hash cache, provider. */
@Injectable()
export class TtsService {
  /** Identical requests in flight share one synthesis (per process; the Redis cache covers the rest). */
  private readonly inflight = new Map<string, Promise<Buffer>>();

  constructor(
    private readonly agents: AgentProjectionRepository,
    private readonly credentials: TtsCredentialsService,
    private readonly cache: TtsAudioCache,
    private readonly metrics: TtsMetrics,
  ) {}

  voices(): TtsLanguageDto[] {
    return TTS_LANGUAGES.map((l) => ({ ...l, voices: l.voices.map((v) => ({ ...v })) }));
  }

  async generate(tenant: TenantContext, input: GenerateTtsDto): Promise<GeneratedSpeech> {
    // A body tenantId is a claim like X-Tenant-ID: another tenant than the key's is 403, as on every route.
    if (input.tenantId !== tenant.tenantId) throw new ForbiddenException("tenantId does not match the API key's tenant");
    const bytes = Buffer.byteLength(input.text, 'utf8');
    if (bytes > MAX_TEXT_BYTES) {
      throw new BadRequestException({
        message: `text is ${bytes} bytes in UTF-8; at most ${MAX_TEXT_BYTES} bytes are accepted`,
        details: { field: 'text', bytes, maxBytes: MAX_TEXT_BYTES },
      });
    }
    if (input.text.trim().length === 0) throw new BadRequestException('text must contain something to speak');
    let languageCode: string | null = null;
    if (input.languageCode !== undefined) {
      languageCode = normalizeLanguageCode(input.languageCode);
      if (!languageCode) {
        throw new BadRequestException({
          message: `languageCode "${input.languageCode}" is not supported; supported: ${supportedList}`,
          details: { field: 'languageCode', supported: SUPPORTED_LANGUAGE_CODES },
        });
      }
    }

    // A chatbot of another tenant, or outside an agent-scoped key, answers like one that does not exist.
    const [agent, provider] = await Promise.all([
      tenant.agentId !== null && tenant.agentId !== input.chatbotId ? null : this.agents.find(tenant.tenantId, input.chatbotId),
      this.credentials.providerFor(tenant.tenantId),
    ]);
    if (!agent) throw new NotFoundException(`Chatbot ${input.chatbotId} not found`);
    if (!languageCode) {
      const lang = typeof agent.agent['lang'] === 'string' && agent.agent['lang'].trim() !== '' ? agent.agent['lang'] : 'en';
      languageCode = languageForAgentLang(lang);
      if (!languageCode) {
        throw new BadRequestException({
          message: `the chatbot's language "${lang}" has no TTS voice; pass languageCode, one of: ${supportedList}`,
          details: { field: 'languageCode', agentLang: lang, supported: SUPPORTED_LANGUAGE_CODES },
        });
      }
    }
    const gender: TtsGender = input.preferredGender ?? 'female';
    const voice = voiceFor(languageCode, gender);

    // Tenant id in the key: a hit's timing never tells one tenant what another one had spoken.
    const hash = createHash('sha256')
      .update(JSON.stringify([tenant.tenantId, provider.cacheIdentity, voice.voiceName, languageCode, gender, input.text]))
      .digest('hex');

    const cached = await this.cache.get(hash);
    if (cached) {
      this.metrics.requests.inc({ provider: provider.name, cache: 'hit' });
      return { body: cached, cache: 'hit', provider: provider.name };
    }
    let pending = this.inflight.get(hash);
    if (!pending) {
      pending = this.synthesize(provider, { text: input.text, languageCode, gender, voice }, hash).finally(() => this.inflight.delete(hash));
      this.inflight.set(hash, pending);
    }
    const body = await pending;
    this.metrics.requests.inc({ provider: provider.name, cache: 'miss' });
    return { body, cache: 'miss', provider: provider.name };
  }

  private async synthesize(provider: TtsProvider, request: Parameters<TtsProvider['synthesize']>[0], hash: string): Promise<Buffer> {
    const stop = this.metrics.synthesisSeconds.startTimer({ provider: provider.name });
    try {
      const audio = await provider.synthesize(request);
      this.metrics.syntheses.inc({ provider: provider.name, outcome: 'ok' });
      const body = responseBody(audio);
      await this.cache.put(hash, body);
      return body;
    } catch (err) {
      this.metrics.syntheses.inc({ provider: provider.name, outcome: 'error' });
      if (err instanceof TtsProviderError) {
        if (err.kind === 'timeout') throw new GatewayTimeoutException(err.message);
        throw new BadGatewayException(err.message);
      }
      throw err;
    } finally {
      stop();
    }
  }
}

function responseBody(audio: SynthesizedAudio): Buffer {
  const response: GenerateTtsResponseDto = {
    audioContentBase64: audio.audio.toString('base64'),
    mimeType: audio.mimeType,
    estimatedDurationSeconds: Math.round(audio.durationSeconds * 1000) / 1000,
  };
  return Buffer.from(JSON.stringify(response), 'utf8');
}
