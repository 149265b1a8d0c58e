import { Injectable } from '@nestjs/common';
import { PLANS, type TenantContext, asTenantId } from '@chatbot/tenant-auth';
import { type GenerateTtsResponseDto, MAX_TEXT_BYTES } from '../tts/tts.dto';
import { TtsService } from '../tts/tts.service';
import type { LiveSessionRecord } from './live-session.store';

/**
 * Speech for platform Live sessions, through widget-api's TTS service: the tenant's Google Cloud TTS voice when it
 * has a service account, else the embedded eSpeak NG (WAV), with the same content-hash cache as `/api/tts/generate`.
 */
@Injectable()
export class LiveSpeech {
  constructor(private readonly tts: TtsService) {}

  async synthesize(session: LiveSessionRecord, text: string): Promise<GenerateTtsResponseDto> {
    const speech = await this.tts.generate(sessionTenant(session), {
      tenantId: session.tenantId,
      chatbotId: session.agentId,
      text: fitBytes(text, MAX_TEXT_BYTES),
      languageCode: session.languageCode,
    });
    return JSON.parse(speech.body.toString('utf8')) as GenerateTtsResponseDto;
  }
}

/**
 * The caller of a Live turn: the session, authorized (plan with `live`, tenant, chatbot) when it was created with an
 * API key, confined to its one agent like an agent-scoped key.
 */
function sessionTenant(session: LiveSessionRecord): TenantContext {
  return {
    tenantId: asTenantId(session.tenantId),
    tenantName: '',
    plan: 'business',
    capabilities: PLANS.business.capabilities,
    scopes: ['agent'],
    keyId: `live-session:${session.sessionId}`,
    agentId: session.agentId,
  };
}

/** At most `maxBytes` of UTF-8, cut after the last sentence (or word) that fits. */
export function fitBytes(text: string, maxBytes: number): string {
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let cut = Buffer.from(text, 'utf8').subarray(0, maxBytes).toString('utf8');
  if (cut.endsWith('\uFFFD')) cut = cut.slice(0, -1);
  const sentence = Math.max(cut.lastIndexOf('. '), cut.lastIndexOf('! '), cut.lastIndexOf('? '), cut.lastIndexOf('\n'));
  if (sentence > cut.length / 2) return cut.slice(0, sentence + 1);
  const word = cut.lastIndexOf(' ');
  return word > cut.length / 2 ? cut.slice(0, word) : cut;
}
