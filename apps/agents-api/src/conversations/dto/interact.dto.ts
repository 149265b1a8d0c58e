import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Transform, Type } from 'class-transformer';
import {
  Allow,
  ArrayMaxSize,
  IsArray,
  IsDefined,
  IsIn,
  IsInt,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  Max,
  MaxLength,
  Min,
  MinLength,
  ValidateIf,
  ValidateNested,
} from 'class-validator';
import { HANDOFF_STATES, MESSAGE_TYPES, type MessageType, ORIGINS, TURN_SENDERS, type TurnSender } from '../turn-wire';
import type { ConversationOrigin, HandoffState } from '@chatbot/events';

export class ActionDto {
  @ApiProperty({ enum: MESSAGE_TYPES, example: 'text', description: '`launch` needs no payload; `text` takes the user text.' })
  @IsIn(MESSAGE_TYPES, { message: `action.type must be one of ${MESSAGE_TYPES.join(', ')}` })
  type!: MessageType;

  @ApiPropertyOptional({ description: 'text: the user message (string); choice: the chosen label or { label, value }', example: 'What are your opening hours?' })
  @Allow()
  payload?: unknown;
}

/** A message as clients send it; `mid`, `ts` and `delay` are filled in when absent. */
export class MessageInputDto {
  @ApiPropertyOptional({ description: 'Message id (generated when absent).' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(100)
  mid?: string;

  @ApiPropertyOptional({ enum: TURN_SENDERS, description: "Defaults to the turn's sender." })
  @IsOptional()
  @IsIn(TURN_SENDERS, { message: 'from must be human or bot' })
  from?: TurnSender;

  @ApiProperty({ enum: MESSAGE_TYPES })
  @IsIn(MESSAGE_TYPES, { message: `type must be one of ${MESSAGE_TYPES.join(', ')}` })
  type!: MessageType;

  @ApiPropertyOptional({ description: 'Type-specific data; for text `{ message }`.' })
  @Allow()
  item?: unknown;

  @ApiPropertyOptional({ default: 0 })
  @IsOptional()
  @IsInt()
  @Min(0)
  @Max(600_000)
  delay?: number;

  @ApiPropertyOptional({ description: 'Unix milliseconds (now when absent).' })
  @IsOptional()
  @IsInt()
  @Min(0)
  ts?: number;
}

/** Transcript metadata as clients send it (TIXAE names). Platform-maintained counters are accepted and ignored. */
export class TranscriptMetadataDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(200) name?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(320) email?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) image?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(50) phone?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(500) browser?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(2000) profilePic?: string;
  @ApiPropertyOptional() @IsOptional() @IsString() @MaxLength(100) platform?: string;

  @ApiPropertyOptional({ enum: ORIGINS })
  @IsOptional()
  @IsIn(ORIGINS, { message: `origin must be one of ${ORIGINS.join(', ')}` })
  origin?: ConversationOrigin;

  @ApiPropertyOptional({ type: [String] })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @IsString({ each: true })
  @MaxLength(100, { each: true })
  tags?: string[];

  @ApiPropertyOptional({ enum: HANDOFF_STATES, description: 'Handoff state (state machine; illegal transitions are 409).' })
  @IsOptional()
  @IsIn(HANDOFF_STATES, { message: `chatState must be one of ${HANDOFF_STATES.join(', ')}` })
  chatState?: HandoffState;

  @ApiPropertyOptional({ nullable: true, description: 'Client (human operator) id; required to enter human-chatting.' })
  @IsOptional()
  @ValidateIf((_o, v) => v !== null)
  @IsUUID('all', { message: 'chatAssignedTo must be a client id (uuid) or null' })
  chatAssignedTo?: string | null;

  // Maintained by the platform: accepted (clients send back what they read) and ignored.
  @Allow() convoId?: unknown;
  @Allow() userID?: unknown;
  @Allow() messagesNum?: unknown;
  @Allow() interactionsNum?: unknown;
  @Allow() sessionsNum?: unknown;
  @Allow() timestamp?: unknown;
  @Allow() convoTimeSeconds?: unknown;
  @Allow() firstMessageTS?: unknown;
  @Allow() lastMessageTS?: unknown;
  @Allow() lastModified?: unknown;
}

export class InteractBodyDto {
  @ApiProperty({ type: ActionDto })
  @IsDefined({ message: 'action is required ({ type, payload })' })
  @IsObject()
  @ValidateNested()
  @Type(() => ActionDto)
  action!: ActionDto;

  @ApiPropertyOptional({ type: [MessageInputDto], description: 'Messages to record before the action (e.g. shown by the widget itself).' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(50)
  @ValidateNested({ each: true })
  @Type(() => MessageInputDto)
  appendMessages?: MessageInputDto[];

  @ApiPropertyOptional({ type: TranscriptMetadataDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => TranscriptMetadataDto)
  transcriptMetadata?: TranscriptMetadataDto;

  @ApiPropertyOptional({ description: 'Conversation variables (merged into the stored ones).', type: Object })
  @IsOptional()
  @IsObject({ message: 'variables must be an object' })
  variables?: Record<string, unknown>;

  @ApiPropertyOptional({ enum: ORIGINS, default: 'web-chat' })
  @IsOptional()
  @IsIn(ORIGINS, { message: `origin must be one of ${ORIGINS.join(', ')}` })
  origin?: ConversationOrigin;
}

export class InteractQueryDto {
  @ApiPropertyOptional({ description: 'Answer as Server-Sent Events (`delta` events with reply text, then `done` with the full response).' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) => value === true || value === 'true' || value === '1')
  stream?: boolean;
}

export class TurnInputDto {
  @ApiProperty({ enum: TURN_SENDERS })
  @IsIn(TURN_SENDERS, { message: 'turn.from must be human or bot' })
  from!: TurnSender;

  @ApiProperty({ type: [MessageInputDto] })
  @IsArray()
  @ArrayMaxSize(200)
  @ValidateNested({ each: true })
  @Type(() => MessageInputDto)
  messages!: MessageInputDto[];

  @ApiPropertyOptional({ description: 'Unix milliseconds.' })
  @IsOptional()
  @IsInt()
  @Min(0)
  ts?: number;
}

export class StateBodyDto {
  @ApiPropertyOptional({ type: [TurnInputDto], description: 'Replaces the whole history.' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(5000)
  @ValidateNested({ each: true })
  @Type(() => TurnInputDto)
  turns?: TurnInputDto[];

  @ApiPropertyOptional({ type: [String], description: 'Message ids to delete (also accepted as `{ ids: [...] }`).' })
  @IsOptional()
  @Transform(({ value }: { value: unknown }) =>
    value && typeof value === 'object' && !Array.isArray(value) && 'ids' in value ? value.ids : value,
  )
  @IsArray({ message: 'delete must be an array of message ids' })
  @ArrayMaxSize(1000)
  @IsString({ each: true })
  delete?: string[];

  @ApiPropertyOptional({ type: TranscriptMetadataDto })
  @IsOptional()
  @IsObject()
  @ValidateNested()
  @Type(() => TranscriptMetadataDto)
  metadata?: TranscriptMetadataDto;
}

export class OperatorReplyDto {
  @ApiProperty({ description: 'The operator (client) writing; must be the one assigned.' })
  @IsUUID('all', { message: 'clientId must be a client id (uuid)' })
  clientId!: string;

  @ApiProperty({ example: 'Hi, this is Ana from support.' })
  @IsString()
  @MinLength(1)
  @MaxLength(4000)
  message!: string;
}
