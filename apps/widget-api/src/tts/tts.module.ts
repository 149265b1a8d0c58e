import { Module } from '@nestjs/common';
import { ProjectionModule } from '../projection/projection.module';
import { TtsAudioCache } from './tts-audio.cache';
import { TtsCredentialsRepository } from './tts-credentials.repository';
import { TtsCredentialsService } from './tts-credentials.service';
import { TtsController } from './tts.controller';
import { TtsMetrics } from './tts.metrics';
import { TtsService } from './tts.service';

/** Text-to-speech: voices, generation (Google Cloud TTS with the tenant's service account, or eSpeak NG), credentials. */
@Module({
  imports: [ProjectionModule],
  controllers: [TtsController],
  providers: [TtsService, TtsCredentialsService, TtsCredentialsRepository, TtsAudioCache, TtsMetrics],
  exports: [TtsService],
})
export class TtsModule {}
