import { Module } from '@nestjs/common';
import { ProjectionModule } from '../projection/projection.module';
import { TtsModule } from '../tts/tts.module';
import { AgentEngineClient } from './agent-engine.client';
import { GeminiLiveTokenProvider } from './gemini-live-token.provider';
import { LiveAgentKeyRepository } from './live-agent-key.repository';
import { LiveController } from './live.controller';
import { LiveGateway } from './live.gateway';
import { LiveSessionService } from './live-session.service';
import { LiveSessionStore } from './live-session.store';
import { LiveSpeech } from './live-speech';

/** `POST /api/live/session` and the platform's own Live endpoint (`/api/live/ws`, WebSocket). */
@Module({
  imports: [ProjectionModule, TtsModule],
  controllers: [LiveController],
  providers: [LiveSessionService, LiveSessionStore, GeminiLiveTokenProvider, LiveAgentKeyRepository, AgentEngineClient, LiveSpeech, LiveGateway],
})
export class LiveModule {}
