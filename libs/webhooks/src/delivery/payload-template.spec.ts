import type { EventEnvelope } from '@chatbot/events';
import { TEMPLATE_VARIABLES, renderPayload, validatePayloadTemplate } from './payload-template';

const lead: EventEnvelope<'lead_captured'> = {
  id: '0b7e8a52-5c1e-4c43-9a3e-8f0f3f4f6f01',
  type: 'lead_captured',
  tenant_id: 'tenant-1',
  occurred_at: '2026-03-01T10:00:00.000Z',
  data: {
    agent_id: 'agent-1',
    conversation_id: 'conv-1',
    user_id: 'user-1',
    lead_id: 'lead-1',
    email: 'ana@example.com',
    phone: null,
    name: 'Ana',
  },
};

function withName(name: string): EventEnvelope<'lead_captured'> {
  return { ...lead, data: { ...lead.data, name } };
}

describe('TEMPLATE_VARIABLES', () => {
  it('offers the envelope, the whole data and the data fields', () => {
    for (const name of ['event_id', 'event_type', 'timestamp', 'tenant_id', 'agent_id', 'conversation_id', 'user_id',
      'lead_id', 'message_id', 'ticket_id', 'email', 'phone', 'name', 'text', 'intent', 'state', 'previous_state',
      'assigned_to', 'origin', 'reason', 'data', 'event']) {
      expect(TEMPLATE_VARIABLES).toContain(name);
    }
  });
});

describe('validatePayloadTemplate', () => {
  it('accepts JSON whose placeholders are known, with or without spaces', () => {
    expect(validatePayloadTemplate('{"id":"{{conversation_id}}","raw":"{{ data }}","n":1,"list":["{{email}}"]}')).toBeNull();
    expect(validatePayloadTemplate('{"{{event_type}}_at":"{{timestamp}}"}')).toBeNull();
    expect(validatePayloadTemplate('"{{event}}"')).toBeNull();
  });

  it('refuses text that is not JSON', () => {
    expect(validatePayloadTemplate('{"id": {{conversation_id}}}')).toMatch(/^payload_template is not valid JSON/);
    expect(validatePayloadTemplate('')).toMatch(/not valid JSON/);
  });

  it('names the unknown variables and lists the known ones', () => {
    const message = validatePayloadTemplate('{"a":"{{secret}}","b":"x {{ password }} y","{{nope}}":"{{email}}"}');
    expect(message).toContain('{{secret}}, {{password}}, {{nope}}');
    expect(message).not.toContain('{{email}}');
    expect(message).toContain('known variables: event_id, event_type');
  });
});

describe('renderPayload', () => {
  it('sends the full envelope without a template', () => {
    expect(JSON.parse(renderPayload(null, lead))).toEqual(lead);
    expect(JSON.parse(renderPayload(undefined, lead))).toEqual(lead);
    expect(JSON.parse(renderPayload('  ', lead))).toEqual(lead);
  });

  it('puts typed values where a string is exactly one placeholder', () => {
    const out = JSON.parse(
      renderPayload(
        '{"id":"{{event_id}}","raw":"{{data}}","phone":"{{ phone }}","ticket":"{{ticket_id}}","all":"{{event}}"}',
        lead,
      ),
    ) as Record<string, unknown>;
    expect(out).toEqual({ id: lead.id, raw: lead.data, phone: null, ticket: null, all: lead });
  });

  it('interpolates text inside longer strings and keys', () => {
    const out = JSON.parse(
      renderPayload(
        '{"text":"Lead {{name}} <{{email}}> phone={{phone}} t={{ticket_id}} data={{data}}","{{event_type}}":"{{timestamp}}"}',
        lead,
      ),
    ) as Record<string, unknown>;
    expect(out).toEqual({
      text: `Lead Ana <ana@example.com> phone= t= data=${JSON.stringify(lead.data)}`,
      lead_captured: '2026-03-01T10:00:00.000Z',
    });
  });

  it('keeps numbers, booleans, null and nesting of the template as they are', () => {
    const template = '{"n":1.5,"b":true,"z":null,"nested":{"list":["{{lead_id}}",2]}}';
    const out = JSON.parse(renderPayload(template, lead)) as unknown;
    expect(out).toEqual({ n: 1.5, b: true, z: null, nested: { list: ['lead-1', 2] } });
  });

  it('cannot be broken out of: quotes, backslashes, newlines and </script> stay inside their string', () => {
    const hostile = 'x", "admin": true, "y": "\\ \n\r\t\u2028 </script><script>alert(1)</script> {{email}}';
    const rendered = renderPayload('{"who":"{{name}}","line":"name: {{name}}!"}', withName(hostile));
    const out = JSON.parse(rendered) as Record<string, unknown>;
    expect(Object.keys(out)).toEqual(['who', 'line']);
    expect(out['who']).toBe(hostile);
    expect(out['line']).toBe(`name: ${hostile}!`);
    expect(rendered).not.toContain('\n');
  });

  it('does not re-expand placeholders that come from event values', () => {
    const out = JSON.parse(renderPayload('{"who":"{{name}}"}', withName('{{tenant_id}}'))) as Record<string, unknown>;
    expect(out['who']).toBe('{{tenant_id}}');
  });

  it('keeps a "__proto__" key as a plain key', () => {
    const rendered = renderPayload('{"__proto__":{"polluted":"{{name}}"}}', lead);
    expect(rendered).toBe('{"__proto__":{"polluted":"Ana"}}');
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  it('throws on a template that is not JSON', () => {
    expect(() => renderPayload('{oops', lead)).toThrow(/not valid JSON/);
  });
});
