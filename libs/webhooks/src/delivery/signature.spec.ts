import { Webhook } from 'standardwebhooks';
import { generateWebhookSecret, signWebhook, webhookHeaders } from './signature';

const now = (): number => Math.floor(Date.now() / 1000);
const body = JSON.stringify({ type: 'lead_captured', data: { email: 'ana@example.com', name: 'Ana "Zé" \\ </script>' } });

describe('generateWebhookSecret', () => {
  it('is whsec_ + base64 of 32 random bytes, different every time', () => {
    const a = generateWebhookSecret();
    const b = generateWebhookSecret();
    expect(a).toMatch(/^whsec_[A-Za-z0-9+/]{43}=$/);
    expect(Buffer.from(a.slice('whsec_'.length), 'base64')).toHaveLength(32);
    expect(a).not.toBe(b);
  });
});

describe('signWebhook / webhookHeaders (checked by the standardwebhooks package)', () => {
  it('produces headers the reference verifier accepts', () => {
    const secret = generateWebhookSecret();
    const headers = webhookHeaders({ msgId: 'msg_1', timestamp: now(), body, secrets: [secret] });
    expect(headers['webhook-id']).toBe('msg_1');
    expect(headers['webhook-signature']).toMatch(/^v1,[A-Za-z0-9+/]+={0,2}$/);
    expect(new Webhook(secret).verify(body, headers)).toEqual(JSON.parse(body));
  });

  it('signs with every secret during a rotation: either one verifies', () => {
    const [oldSecret, newSecret] = [generateWebhookSecret(), generateWebhookSecret()];
    const headers = webhookHeaders({ msgId: 'msg_2', timestamp: now(), body, secrets: [newSecret, oldSecret] });
    expect(headers['webhook-signature'].split(' ')).toHaveLength(2);
    expect(() => new Webhook(oldSecret).verify(body, headers)).not.toThrow();
    expect(() => new Webhook(newSecret).verify(body, headers)).not.toThrow();
  });

  it('fails for a tampered body, another secret, or another message id', () => {
    const secret = generateWebhookSecret();
    const headers = webhookHeaders({ msgId: 'msg_3', timestamp: now(), body, secrets: [secret] });
    expect(() => new Webhook(secret).verify(body.replace('ana@', 'eve@'), headers)).toThrow();
    expect(() => new Webhook(generateWebhookSecret()).verify(body, headers)).toThrow();
    expect(() => new Webhook(secret).verify(body, { ...headers, 'webhook-id': 'msg_4' })).toThrow();
  });

  it('matches the reference signer byte for byte', () => {
    const secret = generateWebhookSecret();
    const timestamp = now();
    expect(signWebhook({ msgId: 'msg_5', timestamp, body, secrets: [secret] })).toBe(
      new Webhook(secret).sign('msg_5', new Date(timestamp * 1000), body),
    );
  });

  it('refuses to sign without a secret or with a fractional timestamp', () => {
    expect(() => signWebhook({ msgId: 'm', timestamp: now(), body, secrets: [] })).toThrow(/no webhook signing secret/);
    expect(() => signWebhook({ msgId: 'm', timestamp: 1.5, body, secrets: [generateWebhookSecret()] })).toThrow();
  });
});
