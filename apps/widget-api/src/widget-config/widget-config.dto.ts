import { ApiProperty } from '@nestjs/swagger';

export class WidgetCustomThemeDto {
  @ApiProperty({ enum: ['light', 'dark'] })
  themeType!: 'light' | 'dark';

  @ApiProperty({ example: '#4f46e5' })
  primary!: string;

  @ApiProperty({ type: 'array', items: { type: 'array', items: { type: 'number' } }, description: 'Nine RGB triplets' })
  nineColorPallet!: [number, number, number][];
}

export class WidgetThemeDto {
  @ApiProperty({ type: String, nullable: true, example: 'blue-light', description: 'TIXAE theme preset (`theme`)' })
  preset!: string | null;

  @ApiProperty({ enum: ['light', 'dark'] })
  mode!: 'light' | 'dark';

  @ApiProperty({ type: String, nullable: true, example: '#4f46e5', description: 'Primary colour of the custom theme' })
  primaryColor!: string | null;

  @ApiProperty({ type: WidgetCustomThemeDto, nullable: true })
  customTheme!: WidgetCustomThemeDto | null;

  @ApiProperty({ type: String, nullable: true, example: 'Inter' })
  fontFamily!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Tenant CSS injected into the widget (`ADVANCED_customCSS`)' })
  customCSS!: string | null;
}

export class WidgetImagesDto {
  @ApiProperty({ type: String, nullable: true, description: 'Launcher bubble image (`roundedImageURL`)' })
  launcher!: string | null;

  @ApiProperty({ type: String, nullable: true })
  avatar!: string | null;

  @ApiProperty({ type: String, nullable: true })
  header!: string | null;

  @ApiProperty({ type: String, nullable: true })
  banner!: string | null;

  @ApiProperty({ type: String, nullable: true, description: 'Chat background (`chatBgURL`)' })
  chatBackground!: string | null;
}

export class WidgetLayoutDto {
  @ApiProperty({ enum: ['horizontal', 'vertical'], description: '`buttonsLayout`' })
  buttons!: 'horizontal' | 'vertical';
}

export class WidgetHandoffDto {
  @ApiProperty({ type: String, nullable: true, description: '`UIhandoffTitle`' })
  title!: string | null;

  @ApiProperty({ type: String, nullable: true, description: '`UIhandoffSubtitle`' })
  subtitle!: string | null;

  @ApiProperty({ description: '`alwaysShowHandoff`' })
  alwaysShow!: boolean;

  @ApiProperty({ description: '`fixedHandoffPopup`' })
  fixedPopup!: boolean;
}

export class WidgetFeaturesDto {
  @ApiProperty({ description: 'Microphone input (`enableAudioSupport`)' })
  microphone!: boolean;

  @ApiProperty({ description: 'Open the widget on page load (`autoStartWidget`)' })
  autoStart!: boolean;

  @ApiProperty({ description: 'Start a new chat on every visit (`chatForget`)' })
  forgetChat!: boolean;

  @ApiProperty({ description: '`enableQuickFileUpload`' })
  quickFileUpload!: boolean;

  @ApiProperty({ description: 'Smooth scrolling (not `disableSmoothScroll`)' })
  smoothScroll!: boolean;
}

/** `GET /api/widget/config`: everything a widget needs to render, and nothing else (never a prompt or a secret). */
export class WidgetConfig {
  @ApiProperty({ format: 'uuid' })
  chatbotId!: string;

  @ApiProperty({ format: 'uuid' })
  tenantId!: string;

  @ApiProperty({ example: 'Support bot', description: 'Name of the chatbot' })
  botName!: string;

  @ApiProperty({ type: String, nullable: true, example: 'Acme Inc.', description: 'Business name' })
  businessName!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'Hi! How can I help?', description: 'Initial greeting message' })
  welcomeMessage!: string | null;

  @ApiProperty({ type: WidgetThemeDto, description: 'Color and styling configuration' })
  theme!: WidgetThemeDto;

  @ApiProperty({ enum: ['empty', 'indexing', 'ready', 'failed'], description: 'Status of knowledge base' })
  knowledgeBaseStatus!: 'empty' | 'indexing' | 'ready' | 'failed';

  @ApiProperty({ description: 'Whether chatbot is active (not disabled)' })
  isActive!: boolean;

  @ApiProperty({ example: 'en', description: 'ISO 639-1 language (`lang`)' })
  language!: string;

  @ApiProperty({ type: String, nullable: true })
  branding!: string | null;

  @ApiProperty({ type: WidgetImagesDto })
  images!: WidgetImagesDto;

  @ApiProperty({ type: WidgetLayoutDto })
  layout!: WidgetLayoutDto;

  @ApiProperty({ type: WidgetHandoffDto })
  handoff!: WidgetHandoffDto;

  @ApiProperty({ type: String, nullable: true })
  proactiveMessage!: string | null;

  @ApiProperty({ type: [String], description: '`vg_initMessages`' })
  initialMessages!: string[];

  @ApiProperty({ example: 500, description: '`messageDelayMS`' })
  messageDelayMs!: number;

  @ApiProperty({ type: WidgetFeaturesDto })
  features!: WidgetFeaturesDto;

  @ApiProperty({ description: 'Projection version (grows with every agent edit)' })
  version!: number;

  @ApiProperty({ type: Number, nullable: true, description: 'Last edit of the agent, Unix ms' })
  lastModified!: number | null;
}
