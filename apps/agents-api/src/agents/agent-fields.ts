/** Wire fields (TIXAE V3 names) stored encrypted and never returned in full. */
export const SECRET_FIELDS = [
  'whatsappToken',
  'gcloudPrivateKey',
  'VF_DIALOGUE_API_KEY',
  'VF_PROJECT_API_KEY',
  'discordWebhookUrl',
] as const;
export type SecretField = (typeof SECRET_FIELDS)[number];
export type AgentSecrets = Partial<Record<SecretField, string>>;

export const THEMES = ['blue-light', 'purple-light', 'blue-dark', 'purple-dark', 'custom-light', 'custom-dark'] as const;

export interface CustomTheme {
  themeType: 'dark' | 'light';
  primary: string;
  nineColorPallet: [number, number, number][];
}

/** Non-secret wire fields kept in `settings` (everything but the columns and the secrets). */
export interface AgentSettings {
  description?: string;
  theme?: (typeof THEMES)[number];
  customTheme?: CustomTheme;
  roundedImageURL?: string;
  avatarImageUrl?: string;
  headerImageUrl?: string;
  bannerImageUrl?: string;
  chatBgURL?: string;
  fontFamily?: string;
  branding?: string;
  lang?: string;
  UIhandoffTitle?: string;
  UIhandoffSubtitle?: string;
  buttonsLayout?: 'horizontal' | 'vertical';
  ADVANCED_customCSS?: string;
  whatsappNumberId?: string;
  whatsappBusniessId?: string;
  gcloudClientEmail?: string;
  vg_initMessages?: string[];
  vg_prompt?: string;
  vg_temperature?: number;
  vg_defaultModel?: string;
  vg_maxTokens?: number;
  vg_kbDefaultDimension?: number;
  vg_kbTopChunks?: number;
  vg_enableUIEngine?: boolean;
  messageDelayMS?: number;
  proactiveMessage?: string;
  recordChatHistory?: boolean;
  disableSmoothScroll?: boolean;
  autoStartWidget?: boolean;
  listenForUrlChanges?: boolean;
  chatForget?: boolean;
  enableAudioSupport?: boolean;
  enableAITranslate?: boolean;
  disableNoReplyListener?: boolean;
  alwaysShowHandoff?: boolean;
  fixedHandoffPopup?: boolean;
  smartInit?: boolean;
  showHandoffEvenIfOffline?: boolean;
  enableQuickFileUpload?: boolean;
  allowedOrigins?: string[];
  welcomeMessage?: string;
  businessName?: string;
}

/** Defaults a new agent starts with (and the widget renders) when the creator does not say. */
export const DEFAULT_SETTINGS: AgentSettings = {
  theme: 'blue-light',
  lang: 'en',
  buttonsLayout: 'vertical',
  vg_initMessages: ['Hi! How can I help you today?'],
  vg_temperature: 0.3,
  vg_defaultModel: 'gemini-2.5-flash',
  vg_maxTokens: 1024,
  vg_kbDefaultDimension: 768,
  vg_kbTopChunks: 5,
  vg_enableUIEngine: false,
  messageDelayMS: 500,
  recordChatHistory: true,
  autoStartWidget: false,
  chatForget: false,
  enableAudioSupport: false,
  allowedOrigins: [],
};

/** ISO 639-1 codes (the agent's `lang`). */
export const ISO_639_1 = new Set(
  (
    'aa ab ae af ak am an ar as av ay az ba be bg bh bi bm bn bo br bs ca ce ch co cr cs cu cv cy da de dv dz ee el en eo es ' +
    'et eu fa ff fi fj fo fr fy ga gd gl gn gu gv ha he hi ho hr ht hu hy hz ia id ie ig ii ik io is it iu ja jv ka kg ki kj ' +
    'kk kl km kn ko kr ks ku kv kw ky la lb lg li ln lo lt lu lv mg mh mi mk ml mn mr ms mt my na nb nd ne ng nl nn no nr nv ' +
    'ny oc oj om or os pa pi pl ps pt qu rm rn ro ru rw sa sc sd se sg si sk sl sm sn so sq sr ss st su sv sw ta te tg th ti ' +
    'tk tl tn to tr ts tt tw ty ug uk ur uz ve vi vo wa wo xh yi yo za zh zu'
  ).split(' '),
);
