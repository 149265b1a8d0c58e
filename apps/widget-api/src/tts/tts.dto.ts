import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform } from 'class-transformer';
import { IsIn, IsNotEmpty, IsObject, IsOptional, IsString, MaxLength } from 'class-validator';
import { SUPPORTED_LANGUAGE_CODES, TTS_GENDERS, type SsmlGender, type TtsGender } from './tts-voices';

export const MAX_TEXT_BYTES = 5000;

export class TtsVoiceDto {
  @ApiProperty({ enum: TTS_GENDERS, example: 'female' })
  gender!: TtsGender;

  @ApiProperty({ example: 'en-US-Chirp3-HD-Aoede', description: 'Google Cloud TTS voice name' })
  voiceName!: string;

  @ApiProperty({ enum: ['FEMALE', 'MALE'], example: 'FEMALE' })
  ssmlGender!: SsmlGender;
}

export class TtsLanguageDto {
  @ApiProperty({ example: 'English (United States)', description: 'Friendly language name' })
  language!: string;

  @ApiProperty({ enum: SUPPORTED_LANGUAGE_CODES, example: 'en-US', description: 'Google Cloud TTS code' })
  languageCode!: string;

  @ApiProperty({ type: [TtsVoiceDto], description: 'One female and one male voice' })
  voices!: TtsVoiceDto[];
}

const lower = ({ value }: { value: unknown }): unknown => (typeof value === 'string' ? value.trim().toLowerCase() : value);

export class GenerateTtsDto {
  @ApiProperty({ format: 'uuid', description: "Tenant ID; must be the API key's tenant (403 otherwise)" })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  tenantId!: string;

  @ApiProperty({ format: 'uuid', description: "Chatbot (agent) ID of this tenant (404 otherwise)" })
  @IsString()
  @IsNotEmpty()
  @MaxLength(100)
  chatbotId!: string;

  @ApiProperty({ example: 'Hello! How can I help you today?', description: `Text to speak, at most ${MAX_TEXT_BYTES} bytes in UTF-8` })
  @IsString()
  @IsNotEmpty()
  text!: string;

  @ApiPropertyOptional({
    enum: SUPPORTED_LANGUAGE_CODES,
    example: 'en-US',
    description: "Overrides the language; default: the chatbot's language (`lang`)",
  })
  @IsOptional()
  @IsString()
  @MaxLength(35)
  languageCode?: string;

  @ApiPropertyOptional({ enum: TTS_GENDERS, default: 'female' })
  @IsOptional()
  @Transform(lower)
  @IsIn(TTS_GENDERS, { message: 'preferredGender must be "female" or "male"' })
  preferredGender?: TtsGender;
}

export class GenerateTtsResponseDto {
  @ApiProperty({ description: 'Base64 encoded audio payload' })
  audioContentBase64!: string;

  @ApiProperty({ example: 'audio/wav', description: 'MIME type of the audio (16-bit PCM WAV)' })
  mimeType!: string;

  @ApiProperty({ example: 2.43, description: 'Playback time measured from the audio (sample count / sample rate)' })
  estimatedDurationSeconds!: number;
}

export class PutTtsCredentialsDto {
  @ApiProperty({
    type: 'object',
    additionalProperties: true,
    description:
      'The Google Cloud service-account key file as downloaded (JSON: type "service_account", project_id, ' +
      'private_key_id, private_key, client_email, ...). Only client_email, private_key, project_id and private_key_id are kept.',
    example: { type: 'service_account', project_id: 'my-project', private_key_id: 'abc123', private_key: '-----BEGIN PRIVATE KEY-----\n...', client_email: 'tts@my-project.iam.gserviceaccount.com' },
  })
  @IsObject()
  serviceAccount!: Record<string, unknown>;
}

export class TtsCredentialsDto {
  @ApiProperty({ description: 'Whether the tenant has its own Google service account' })
  configured!: boolean;

  @ApiProperty({ enum: ['google', 'espeak'], description: 'Engine used by /api/tts/generate: google, or the embedded eSpeak NG' })
  provider!: 'google' | 'espeak';

  @ApiProperty({ type: String, nullable: true, example: 'tts@my-project.iam.gserviceaccount.com' })
  clientEmail!: string | null;

  @ApiProperty({ type: String, nullable: true, example: 'my-project' })
  projectId!: string | null;

  @ApiProperty({ type: String, nullable: true })
  privateKeyId!: string | null;

  @ApiProperty({ type: String, nullable: true, format: 'date-time' })
  updatedAt!: string | null;
}
