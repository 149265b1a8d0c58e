import { Injectable } from '@nestjs/common';
import { MetricsService } from '@chatbot/platform';
import { Counter, Histogram } from 'prom-client';

/** Prometheus metrics of TTS: cache hits/misses and real syntheses per provider. */
@Injectable()
export class TtsMetrics {
  readonly requests: Counter<'provider' | 'cache'>;
  readonly syntheses: Counter<'provider' | 'outcome'>;
  readonly synthesisSeconds: Histogram<'provider'>;

  constructor(metrics: MetricsService) {
    this.requests = new Counter({
      name: 'tts_generate_requests_total',
      help: 'POST /api/tts/generate answered with audio, by provider and cache outcome (hit, miss)',
      labelNames: ['provider', 'cache'],
      registers: [metrics.registry],
    });
    this.syntheses = new Counter({
      name: 'tts_syntheses_total',
      help: 'Speech syntheses run by a provider (cache misses), by outcome',
      labelNames: ['provider', 'outcome'],
      registers: [metrics.registry],
    });
    this.synthesisSeconds = new Histogram({
      name: 'tts_synthesis_duration_seconds',
      help: 'Time of one speech synthesis by a provider',
      labelNames: ['provider'],
      buckets: [0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [metrics.registry],
    });
  }
}
