import { EspeakSynthesizer, EspeakTimeoutError } from './espeak-synthesizer';
import { EspeakTtsProvider } from './espeak-tts.provider';
import { voiceFor } from './tts-voices';
import { parseWav } from './wav';

describe('eSpeak NG (WebAssembly) in worker threads', () => {
  const synthesizer = new EspeakSynthesizer(1, 60000);
  const provider = new EspeakTtsProvider(synthesizer);
  afterAll(() => synthesizer.close());

  it('speaks English into a decodable WAV whose duration is the reported one', async () => {
    const result = await provider.synthesize({
      text: 'Hello! Your order has shipped and will arrive on Tuesday.',
      languageCode: 'en-US',
      gender: 'female',
      voice: voiceFor('en-US', 'female'),
    });
    expect(result.mimeType).toBe('audio/wav');
    const wav = parseWav(result.audio);
    expect(wav).toMatchObject({ sampleRate: 22050, channels: 1, bitsPerSample: 16 });
    expect(result.durationSeconds).toBeCloseTo(wav.dataBytes / 2 / 22050, 6);
    expect(result.durationSeconds).toBeGreaterThan(1.5);
    expect(result.durationSeconds).toBeLessThan(10);
    // Real speech, not silence: a fair share of samples is loud.
    let loud = 0;
    for (let i = 44; i + 1 < result.audio.length; i += 2) if (Math.abs(result.audio.readInt16LE(i)) > 1000) loud++;
    expect(loud).toBeGreaterThan(wav.dataBytes / 2 / 20);
  });

  it('text that looks like options is spoken, not parsed (it goes through a file)', async () => {
    const wav = parseWav(await synthesizer.synthesize('-w /x.wav --help', 'en-us+m3'));
    expect(wav.durationSeconds).toBeGreaterThan(0.3);
  });

  it('speaks other languages (German, Mandarin) and queues concurrent jobs on one worker', async () => {
    const before = synthesizer.runs;
    const [de, zh] = await Promise.all([
      synthesizer.synthesize('Guten Tag, wie kann ich Ihnen helfen?', 'de+m3'),
      synthesizer.synthesize('你好，欢迎光临。', 'cmn+f3'),
    ]);
    expect(parseWav(de).durationSeconds).toBeGreaterThan(1);
    expect(parseWav(zh).durationSeconds).toBeGreaterThan(0.5);
    expect(synthesizer.runs - before).toBe(2);
  });

  it('a run over the timeout fails with EspeakTimeoutError and its worker is replaced', async () => {
    const slow = new EspeakSynthesizer(1, 2500);
    try {
      await expect(slow.synthesize('word '.repeat(8000), 'en-us')).rejects.toThrow(EspeakTimeoutError);
      expect(parseWav(await slow.synthesize('ok', 'en-us')).durationSeconds).toBeGreaterThan(0.1);
    } finally {
      await slow.close();
    }
  });

  it('a closed synthesizer refuses work', async () => {
    const closed = new EspeakSynthesizer(1, 1000);
    await closed.close();
    await expect(closed.synthesize('x', 'en-us')).rejects.toThrow(/closed/);
  });
});
