import type { EventEnvelope } from '@chatbot/events';
import { TEMPLATE_VARIABLES, isTemplateVariable, variableValue } from './template-variables';

export { TEMPLATE_VARIABLES } from './template-variables';

/*
 * A payload template is JSON text whose string values (and keys) hold `{{variable}}` placeholders, e.g.
 * `{"id":"{{conversation_id}}","raw":"{{data}}"}`. It is rendered on the parsed structure and serialized again, so
 * whatever a variable holds can never break out of its string.
 */

const PLACEHOLDER = /\{\{\s*([^{}]*?)\s*\}\}/g;
const WHOLE_PLACEHOLDER = /^\{\{\s*([^{}]*?)\s*\}\}$/;

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

function placeholderNames(text: string): string[] {
  return [...text.matchAll(PLACEHOLDER)].map((match) => match[1] ?? '');
}

function collectNames(value: Json, into: Set<string>): void {
  if (typeof value === 'string') {
    for (const name of placeholderNames(value)) into.add(name);
  } else if (Array.isArray(value)) {
    for (const item of value) collectNames(item, into);
  } else if (value !== null && typeof value === 'object') {
    for (const [key, item] of Object.entries(value)) {
      for (const name of placeholderNames(key)) into.add(name);
      collectNames(item, into);
    }
  }
}

function parseTemplate(template: string): { ok: true; value: Json } | { ok: false; error: string } {
  try {
    return { ok: true, value: JSON.parse(template) as Json };
  } catch (err) {
    return { ok: false, error: `payload_template is not valid JSON: ${err instanceof Error ? err.message : String(err)}` };
  }
}

/**
 * Null when `template` is valid JSON whose placeholders are all known variables; otherwise what is wrong with it.
 */
export function validatePayloadTemplate(template: string): string | null {
  const parsed = parseTemplate(template);
  if (!parsed.ok) return parsed.error;
  const names = new Set<string>();
  collectNames(parsed.value, names);
  const unknown = [...names].filter((name) => !isTemplateVariable(name));
  if (unknown.length === 0) return null;
  return (
    `payload_template uses unknown variables: ${unknown.map((name) => `{{${name}}}`).join(', ')}; ` +
    `known variables: ${TEMPLATE_VARIABLES.join(', ')}`
  );
}

/** A variable's value as text inside a longer string: objects as JSON, null and missing values as nothing. */
function asText(value: unknown): string {
  if (value === undefined || value === null) return '';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean' || typeof value === 'bigint') return String(value);
  return JSON.stringify(value) ?? '';
}

/** A variable's value standing alone as a JSON value (missing → null). */
function asJson(value: unknown): Json {
  if (value === undefined) return null;
  return JSON.parse(JSON.stringify(value) ?? 'null') as Json;
}

function interpolate(text: string, event: EventEnvelope): string {
  return text.replace(PLACEHOLDER, (_match, name: string) => asText(variableValue(name, event)));
}

function renderValue(value: Json, event: EventEnvelope): Json {
  if (typeof value === 'string') {
    const whole = WHOLE_PLACEHOLDER.exec(value);
    return whole ? asJson(variableValue(whole[1] ?? '', event)) : interpolate(value, event);
  }
  if (Array.isArray(value)) return value.map((item) => renderValue(item, event));
  if (value !== null && typeof value === 'object') {
    // fromEntries defines own properties: a "__proto__" key stays a plain key.
    return Object.fromEntries(
      Object.entries(value).map(([key, item]) => [interpolate(key, event), renderValue(item, event)]),
    );
  }
  return value;
}

/**
 * The request body for `event`: the full envelope as JSON without a template (null, undefined or blank), else the
 * template rendered. A string that is exactly one placeholder takes the variable's JSON value (object, number,
 * null...); placeholders inside longer strings and keys are interpolated as text. Throws on a template that is not
 * valid JSON (templates are validated when saved: see validatePayloadTemplate).
 */
export function renderPayload(template: string | null | undefined, event: EventEnvelope): string {
  if (template === null || template === undefined || template.trim() === '') return JSON.stringify(event);
  const parsed = parseTemplate(template);
  if (!parsed.ok) throw new Error(parsed.error);
  return JSON.stringify(renderValue(parsed.value, event));
}
