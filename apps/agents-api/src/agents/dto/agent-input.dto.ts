import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsEmail,
  IsIn,
  IsInt,
  IsNumber,
  IsObject,
  IsOptional,
  IsString,
  IsUrl,
  Matches,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { THEMES } from '../agent-fields';

const url = { require_protocol: true, protocols: ['http', 'https'], require_tld: false };

export class DiscordDto {
  @ApiProperty({ example: 'https://discord.com/api/webhooks/...' })
  @IsUrl({ ...url, protocols: ['https'] }, { message: 'discord.webhookUrl must be an https URL' })
  webhookUrl!: string;
}

/**
 * The `agent` object of create and edit (TIXAE V3 field names). Every field is optional on edit; read-only fields
 * (`ID`, `SECRET_API_KEY`, `createdAtUNIX`, `lastModified`) are accepted and ignored, so a client can send back what
 * it read.
 */
export class AgentInputDto {
  @ApiPropertyOptional({ enum: ['vf', 'vg'], default: 'vg' })
  @IsOptional()
  @IsIn(['vf', 'vg'], { message: 'agentPlatform must be vf or vg' })
  agentPlatform?: 'vf' | 'vg';

  @ApiPropertyOptional({ example: 'Support bot', description: 'Required on create.' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  title?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) description?: string;

  @ApiPropertyOptional({ enum: THEMES })
  @IsOptional()
  @IsIn(THEMES, { message: `theme must be one of ${THEMES.join(', ')}` })
  theme?: (typeof THEMES)[number];

  @ApiPropertyOptional({ description: 'JSON.stringify({ themeType, primary, nineColorPallet })' })
  @IsOptional()
  @IsString()
  @MaxLength(10000)
  customThemeJSONString?: string;

  @ApiPropertyOptional({ description: 'The same theme as an object (alternative to customThemeJSONString).' })
  @IsOptional()
  @IsObject()
  customTheme?: Record<string, unknown>;

  @ApiPropertyOptional() @IsOptional() @IsUrl(url) @MaxLength(2048) roundedImageURL?: string;
  @ApiPropertyOptional() @IsOptional() @IsUrl(url) @MaxLength(2048) avatarImageUrl?: string;
  @ApiPropertyOptional() @IsOptional() @IsUrl(url) @MaxLength(2048) headerImageUrl?: string;
  @ApiPropertyOptional() @IsOptional() @IsUrl(url) @MaxLength(2048) bannerImageUrl?: string;
  @ApiPropertyOptional() @IsOptional() @IsUrl(url) @MaxLength(2048) chatBgURL?: string;
  @ApiPropertyOptional({ example: 'Inter' }) @IsOptional() @IsString() @MaxLength(100) fontFamily?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) branding?: string;

  @ApiPropertyOptional({ example: 'en', description: 'ISO 639-1' })
  @IsOptional()
  @IsString()
  lang?: string;

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) UIhandoffTitle?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) UIhandoffSubtitle?: string;

  @ApiPropertyOptional({ enum: ['horizontal', 'vertical'] })
  @IsOptional()
  @IsIn(['horizontal', 'vertical'], { message: 'buttonsLayout must be horizontal or vertical' })
  buttonsLayout?: 'horizontal' | 'vertical';

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(50000) ADVANCED_customCSS?: string;

  @ApiPropertyOptional({ description: 'Secret: stored encrypted, returned masked.' })
  @IsOptional()
  @IsString()
  @MaxLength(1000)
  whatsappToken?: string;

  @ApiPropertyOptional() @IsOptional() @Matches(/^\d{1,30}$/, { message: 'whatsappNumberId must be digits' }) whatsappNumberId?: string;
  @ApiPropertyOptional() @IsOptional() @Matches(/^\d{1,30}$/, { message: 'whatsappBusniessId must be digits' }) whatsappBusniessId?: string;

  @ApiPropertyOptional({ type: DiscordDto, description: 'Secret (the URL carries a token): stored encrypted, returned masked.' })
  @IsOptional()
  @ValidateNested()
  @Type(() => DiscordDto)
  discord?: DiscordDto;

  @ApiPropertyOptional({ description: 'Secret: service-account private_key, stored encrypted.' })
  @IsOptional()
  @IsString()
  @Matches(/-----BEGIN PRIVATE KEY-----[\s\S]+-----END PRIVATE KEY-----/, { message: 'gcloudPrivateKey must be a PEM private key' })
  @MaxLength(10000)
  gcloudPrivateKey?: string;

  @ApiPropertyOptional() @IsOptional() @IsEmail({}, { message: 'gcloudClientEmail must be an email' }) gcloudClientEmail?: string;
  @ApiPropertyOptional({ description: 'Secret.' }) @IsOptional() @IsString() @MaxLength(500) VF_DIALOGUE_API_KEY?: string;
  @ApiPropertyOptional({ description: 'Secret.' }) @IsOptional() @IsString() @MaxLength(500) VF_PROJECT_API_KEY?: string;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(20)
  @IsString({ each: true })
  @MaxLength(2000, { each: true })
  vg_initMessages?: string[];

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(20000) vg_prompt?: string;
  @ApiPropertyOptional({ minimum: 0, maximum: 2 }) @IsOptional() @IsNumber() @Min(0) @Max(2) vg_temperature?: number;
  @ApiPropertyOptional({ example: 'gemini-2.5-flash' }) @IsOptional() @IsString() @MaxLength(100) vg_defaultModel?: string;
  @ApiPropertyOptional({ minimum: 1, maximum: 32768 }) @IsOptional() @IsInt() @Min(1) @Max(32768) vg_maxTokens?: number;
  @ApiPropertyOptional({ minimum: 64, maximum: 4096 }) @IsOptional() @IsInt() @Min(64) @Max(4096) vg_kbDefaultDimension?: number;
  @ApiPropertyOptional({ minimum: 1, maximum: 50 }) @IsOptional() @IsInt() @Min(1) @Max(50) vg_kbTopChunks?: number;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() vg_enableUIEngine?: boolean;
  @ApiPropertyOptional({ minimum: 0, maximum: 60000 }) @IsOptional() @IsInt() @Min(0) @Max(60000) messageDelayMS?: number;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) proactiveMessage?: string;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() recordChatHistory?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() disableSmoothScroll?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() autoStartWidget?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() listenForUrlChanges?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() chatForget?: boolean;
  @ApiPropertyOptional({ description: 'Mic button' }) @IsOptional() @IsBoolean() enableAudioSupport?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() enableAITranslate?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() disableNoReplyListener?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() alwaysShowHandoff?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() fixedHandoffPopup?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() smartInit?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() showHandoffEvenIfOffline?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() enableQuickFileUpload?: boolean;
  @ApiPropertyOptional() @IsOptional() @IsBoolean() disabled?: boolean;

  @ApiPropertyOptional({ type: [String], example: ['https://www.example.com'], description: 'Origins the widget may run on.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @Matches(/^https?:\/\/[^/\s?#]+$/, { each: true, message: 'allowedOrigins must be origins like https://example.com (no path)' })
  allowedOrigins?: string[];

  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(1000) welcomeMessage?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) businessName?: string;

  // Read-only fields a client may send back: accepted and ignored.
  @ApiPropertyOptional({ readOnly: true }) @IsOptional() @Allow() ID?: unknown;
  @ApiPropertyOptional({ readOnly: true }) @IsOptional() @Allow() SECRET_API_KEY?: unknown;
  @ApiPropertyOptional({ readOnly: true }) @IsOptional() @Allow() createdAtUNIX?: unknown;
  @ApiPropertyOptional({ readOnly: true }) @IsOptional() @Allow() lastModified?: unknown;
}

/** `{ "agent": { ... } }`, as TIXAE V3 clients send it. */
export class AgentBodyDto {
  @ApiProperty({ type: AgentInputDto })
  @IsDefined({ message: 'agent is required: send { "agent": { ... } }' })
  @IsObject({ message: 'agent must be an object' })
  @ValidateNested()
  @Type(() => AgentInputDto)
  agent!: AgentInputDto;
}
