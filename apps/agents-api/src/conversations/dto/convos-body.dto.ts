import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, IsArray, IsObject, IsOptional, IsString, IsUUID, MaxLength, MinLength } from 'class-validator';

export class PatchConvoDto {
  @ApiPropertyOptional({ type: [String], example: ['vip', 'refund'], description: 'Replaces the tags (at most 50, 1-64 characters each).' })
  @IsOptional()
  @IsArray({ message: 'tags must be an array of strings' })
  @ArrayMaxSize(50, { message: 'at most 50 tags' })
  @IsString({ each: true, message: 'tags must be strings' })
  @MinLength(1, { each: true, message: 'a tag must not be empty' })
  @MaxLength(64, { each: true, message: 'a tag must be at most 64 characters' })
  tags?: string[];

  @ApiPropertyOptional({
    type: Object,
    example: { name: 'Ada', email: 'ada@example.com', phone: '+44 20 7946 0000', platform: 'desktop' },
    description:
      'Transcript metadata to merge (TIXAE names): name, email, phone, image, browser, profilePic, platform, origin, tags, or ' +
      'any custom key. A null value removes the key. Computed fields (convoId, userID, messagesNum, interactionsNum, ' +
      'sessionsNum, timestamp, convoTimeSeconds, firstMessageTS, lastMessageTS, lastModified) are rejected, and so are ' +
      'chatState/chatAssignedTo (use POST .../assign or Configure State).',
  })
  @IsOptional()
  @IsObject({ message: 'metadata must be an object' })
  metadata?: Record<string, unknown>;
}

export class AssignConvoDto {
  @ApiProperty({ format: 'uuid', description: 'The client (human operator) of this workspace who takes the conversation.' })
  @IsUUID('all', { message: 'clientId must be a client ID (uuid)' })
  clientId!: string;
}
