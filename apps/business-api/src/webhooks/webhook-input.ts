import { BadRequestException } from '@nestjs/common';
import { validatePayloadTemplate } from '@chatbot/webhooks';

export interface FieldProblem {
  field: string;
  problems: string[];
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'proxy-connection',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  'content-length',
  'expect',
]);
const RESERVED = new Set(['webhook-id', 'webhook-timestamp', 'webhook-signature']);
const TOKEN = /^[!#$%&'*+.^_`|~0-9A-Za-z-]+$/;
const MAX_HEADERS = 20;

export function webhookUrlProblems(raw: string, allowHttp: boolean): string[] {
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    return ['webhook_url must be an absolute URL'];
  }
  const problems: string[] = [];
  if (url.protocol !== 'https:' && !(allowHttp && url.protocol === 'http:')) {
    problems.push(allowHttp ? 'webhook_url must use http or https' : 'webhook_url must use https in production');
  }
  if (url.username || url.password) problems.push('webhook_url must not contain credentials (use headers instead)');
  if (url.hash) problems.push('webhook_url must not contain a #fragment');
  if (!url.hostname) problems.push('webhook_url must name a host');
  return problems;
}

export function headerProblems(headers: Record<string, unknown>): string[] {
  const problems: string[] = [];
  const names = Object.keys(headers);
  if (names.length > MAX_HEADERS) problems.push(`at most ${MAX_HEADERS} custom headers`);
  for (const name of names) {
    const lower = name.toLowerCase();
    const value = headers[name];
    if (!TOKEN.test(name)) problems.push(`header name "${name}" is not a valid HTTP token`);
    else if (HOP_BY_HOP.has(lower)) problems.push(`header "${name}" is hop-by-hop and cannot be set`);
    else if (RESERVED.has(lower)) problems.push(`header "${name}" is reserved for the signature`);
    if (typeof value !== 'string') problems.push(`header "${name}" must be a string`);
    else if (value.length > 4096 || /[\r\n\0]/.test(value)) problems.push(`header "${name}" value must be at most 4096 characters without line breaks`);
  }
  return problems;
}

/** Accepts the template as JSON text or as an object; returns the text to store, or the problems. */
export function normalizeTemplate(raw: unknown): { value: string | null; problems: string[] } {
  if (raw === null || raw === undefined || raw === '') return { value: null, problems: [] };
  const text = typeof raw === 'string' ? raw : typeof raw === 'object' ? JSON.stringify(raw) : undefined;
  if (text === undefined) return { value: null, problems: ['payload_template must be JSON text or a JSON object'] };
  if (text.length > 65536) return { value: null, problems: ['payload_template must be at most 64 KB'] };
  const problem = validatePayloadTemplate(text);
  return problem ? { value: null, problems: [`payload_template: ${problem}`] } : { value: text, problems: [] };
}

export function throwIfProblems(problems: FieldProblem[]): void {
  const real = problems.filter((p) => p.problems.length > 0);
  if (real.length === 0) return;
  throw new BadRequestException({
    message: `Validation failed: ${real.flatMap((p) => p.problems).join('; ')}`,
    details: real,
  });
}
