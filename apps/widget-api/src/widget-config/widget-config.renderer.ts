import { createHash } from 'node:crypto';
import type { AgentProjectionEntity } from '../projection/agent-projection.entity';
import type { WidgetConfig } from './widget-config.dto';

/**
 * What the config cache holds for one chatbot: the exact response bytes and their strong ETag, plus what the HTTP
 * layer needs to decide (owning tenant, CORS origins). `gone` = unknown, deleted or not yet projected: answers 404.
 */
export interface RenderedConfig {
  tenantId: string;
  gone: boolean;
  /** Projection `updated_at` in ms: a cache write with an older revision never replaces a newer one. */
  rev: number;
  etag: string;
  /** Normalised (`URL.origin`) allowed origins; empty = no cross-origin access. */
  origins: readonly string[];
  body: Buffer;
}

const THEME_MODES: Record<string, 'light' | 'dark'> = {
  'blue-light': 'light',
  'purple-light': 'light',
  'custom-light': 'light',
  'blue-dark': 'dark',
  'purple-dark': 'dark',
  'custom-dark': 'dark',
};

const str = (value: unknown): string | null => (typeof value === 'string' ? value : null);
const bool = (value: unknown, fallback: boolean): boolean => (typeof value === 'boolean' ? value : fallback);
const int = (value: unknown): number | null =>
  typeof value === 'number' && Number.isFinite(value) && value >= 0 ? Math.round(value) : null;
const strings = (value: unknown): string[] => (Array.isArray(value) ? value.filter((v): v is string => typeof v === 'string') : []);

function customTheme(value: unknown): WidgetConfig['theme']['customTheme'] {
  if (!value || typeof value !== 'object' || Array.isArray(value)) return null;
  const raw = value as Record<string, unknown>;
  const themeType = raw['themeType'] === 'dark' ? 'dark' : raw['themeType'] === 'light' ? 'light' : null;
  const primary = str(raw['primary']);
  if (!themeType || !primary) return null;
  const palette = Array.isArray(raw['nineColorPallet']) ? raw['nineColorPallet'] : [];
  const nineColorPallet = palette
    .filter((rgb): rgb is [number, number, number] => Array.isArray(rgb) && rgb.length === 3 && rgb.every((c) => typeof c === 'number'))
    .map(([r, g, b]) => [r, g, b] as [number, number, number]);
  return { themeType, primary, nineColorPallet };
}

/** Exact, normalised origins (`https://shop.example.com`); anything that is not an http(s) origin is dropped. */
export function normaliseOrigins(value: unknown): string[] {
  const out = new Set<string>();
  for (const raw of strings(value)) {
    try {
      const url = new URL(raw.trim());
      if (url.protocol === 'http:' || url.protocol === 'https:') out.add(url.origin);
    } catch {
      // not a URL: ignored
    }
  }
  return [...out];
}

/**
 * The public widget config, built from an allowlist of the projection's fields: a field not named here (prompts,
 * model settings, channel ids, keys, allowed origins themselves) can never reach the response.
 */
export function toWidgetConfig(row: AgentProjectionEntity): WidgetConfig {
  const a = row.agent;
  const preset = str(a['theme']);
  const custom = customTheme(a['customTheme']);
  const initialMessages = strings(a['vg_initMessages']);
  return {
    chatbotId: row.agentId,
    tenantId: row.tenantId,
    botName: str(a['title']) ?? '',
    businessName: str(a['businessName']),
    welcomeMessage: str(a['welcomeMessage']) ?? initialMessages[0] ?? null,
    theme: {
      preset,
      mode: custom?.themeType ?? (preset ? (THEME_MODES[preset] ?? 'light') : 'light'),
      primaryColor: custom?.primary ?? null,
      customTheme: custom,
      fontFamily: str(a['fontFamily']),
      customCSS: str(a['ADVANCED_customCSS']),
    },
    knowledgeBaseStatus: row.kbStatus,
    isActive: a['disabled'] !== true,
    language: str(a['lang']) ?? 'en',
    branding: str(a['branding']),
    images: {
      launcher: str(a['roundedImageURL']),
      avatar: str(a['avatarImageUrl']),
      header: str(a['headerImageUrl']),
      banner: str(a['bannerImageUrl']),
      chatBackground: str(a['chatBgURL']),
    },
    layout: { buttons: a['buttonsLayout'] === 'horizontal' ? 'horizontal' : 'vertical' },
    handoff: {
      title: str(a['UIhandoffTitle']),
      subtitle: str(a['UIhandoffSubtitle']),
      alwaysShow: bool(a['alwaysShowHandoff'], false),
      fixedPopup: bool(a['fixedHandoffPopup'], false),
    },
    proactiveMessage: str(a['proactiveMessage']),
    initialMessages,
    messageDelayMs: int(a['messageDelayMS']) ?? 0,
    features: {
      microphone: bool(a['enableAudioSupport'], false),
      autoStart: bool(a['autoStartWidget'], false),
      forgetChat: bool(a['chatForget'], false),
      quickFileUpload: bool(a['enableQuickFileUpload'], false),
      smoothScroll: !bool(a['disableSmoothScroll'], false),
    },
    version: row.version,
    lastModified: int(a['lastModified']),
  };
}

/** Strong validator: a hash of the exact response bytes. */
export function etagOf(body: Buffer): string {
  return `"${createHash('sha256').update(body).digest('base64url').slice(0, 32)}"`;
}

/** A projection row (or its absence) as the cache entry every instance serves. */
export function renderConfig(row: AgentProjectionEntity | null): RenderedConfig | null {
  if (!row) return null;
  const rev = row.updatedAt.getTime();
  // A tombstone, or a row that so far only has a KB status (no agent_updated yet): not a chatbot the widget can show.
  if (row.deleted || row.version <= 0) {
    return { tenantId: row.tenantId, gone: true, rev, etag: '', origins: [], body: Buffer.alloc(0) };
  }
  const body = Buffer.from(JSON.stringify(toWidgetConfig(row)));
  return { tenantId: row.tenantId, gone: false, rev, etag: etagOf(body), origins: normaliseOrigins(row.agent['allowedOrigins']), body };
}

/** Compact form stored in Redis (one HGET on a cache miss in memory). */
export function serialiseRendered(entry: RenderedConfig): string {
  return JSON.stringify({ t: entry.tenantId, g: entry.gone, r: entry.rev, e: entry.etag, o: entry.origins, b: entry.body.toString('utf8') });
}

export function parseRendered(raw: string | null): RenderedConfig | null {
  if (!raw) return null;
  try {
    const v = JSON.parse(raw) as { t?: unknown; g?: unknown; r?: unknown; e?: unknown; o?: unknown; b?: unknown };
    if (typeof v.t !== 'string' || typeof v.g !== 'boolean' || typeof v.r !== 'number' || typeof v.e !== 'string' || typeof v.b !== 'string') {
      return null;
    }
    return { tenantId: v.t, gone: v.g, rev: v.r, etag: v.e, origins: strings(v.o), body: Buffer.from(v.b, 'utf8') };
  } catch {
    return null;
  }
}
