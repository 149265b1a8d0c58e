import type { EventEnvelope } from '@chatbot/events';

/** Variables taken from the envelope itself rather than from `event.data`. */
const ENVELOPE_VARIABLES = ['event_id', 'event_type', 'timestamp', 'tenant_id', 'data', 'event'] as const;

/** Variables read from `event.data` under the same name (absent for event types that do not carry them). */
const DATA_VARIABLES = [
  'agent_id',
  'conversation_id',
  'user_id',
  'lead_id',
  'message_id',
  'ticket_id',
  'email',
  'phone',
  'name',
  'text',
  'from',
  'intent',
  'confidence',
  'state',
  'previous_state',
  'assigned_to',
  'origin',
  'reason',
  'duration_seconds',
] as const;

/** Every `{{variable}}` a payload template may use. */
export const TEMPLATE_VARIABLES: readonly string[] = [...ENVELOPE_VARIABLES, ...DATA_VARIABLES];

const KNOWN = new Set(TEMPLATE_VARIABLES);

/** Whether `name` is a template variable. */
export function isTemplateVariable(name: string): boolean {
  return KNOWN.has(name);
}

/** The value of a variable for an event; undefined when the variable is unknown or the event does not carry it. */
export function variableValue(name: string, event: EventEnvelope): unknown {
  switch (name) {
    case 'event_id':
      return event.id;
    case 'event_type':
      return event.type;
    case 'timestamp':
      return event.occurred_at;
    case 'tenant_id':
      return event.tenant_id;
    case 'data':
      return event.data;
    case 'event':
      return event;
    default: {
      if (!KNOWN.has(name)) return undefined;
      const data = event.data as Readonly<Record<string, unknown>>;
      return Object.hasOwn(data, name) ? data[name] : undefined;
    }
  }
}
