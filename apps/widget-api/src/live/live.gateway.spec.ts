import { liveWebsocketUrl } from './gemini-live-token.provider';
import { parseMessage } from './live.gateway';

describe('platform Live endpoint messages', () => {
  it('accepts text, launch and ping', () => {
    expect(parseMessage('{"type":"text","text":"hello"}')).toEqual({ type: 'text', text: 'hello' });
    expect(parseMessage('{"type":"launch"}')).toEqual({ type: 'launch' });
    expect(parseMessage('{"type":"ping"}')).toEqual({ type: 'ping' });
  });

  it.each([
    ['not json', 'not valid JSON'],
    ['[1]', 'JSON object'],
    ['{"type":"audio"}', 'type must be one of'],
    ['{"type":"text","text":"   "}', 'non-empty'],
    ['{"type":"text","text":42}', 'non-empty'],
    [JSON.stringify({ type: 'text', text: 'x'.repeat(4001) }), 'at most 4000'],
  ])('says what is wrong with %s', (raw, expected) => {
    expect(parseMessage(raw)).toEqual(expect.stringContaining(expected));
  });
});

describe('Gemini Live websocket URL for ephemeral tokens', () => {
  it('is the constrained v1alpha endpoint with access_token, like the SDK builds it', () => {
    expect(liveWebsocketUrl('https://generativelanguage.googleapis.com', 'auth_tokens/abc')).toBe(
      'wss://generativelanguage.googleapis.com/ws/google.ai.generativelanguage.v1alpha.GenerativeService.BidiGenerateContentConstrained?access_token=auth_tokens%2Fabc',
    );
    expect(liveWebsocketUrl('http://127.0.0.1:9999/', 'auth_tokens/x')).toMatch(/^ws:\/\/127\.0\.0\.1:9999\/ws\/google/);
  });
});
