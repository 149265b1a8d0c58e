import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { Type } from 'class-transformer';
import {
  ArrayMaxSize,
  IsArray,
  IsBoolean,
  IsDefined,
  IsEmail,
  IsIn,
  IsObject,
  IsOptional,
  IsString,
  IsUUID,
  MaxLength,
  MinLength,
  ValidateNested,
} from 'class-validator';
import { CLIENT_ROLES, type ClientRole } from '../client.entity';

export class WorkspaceInputDto {
  @ApiProperty({ example: 'Acme support' }) @IsString() @MinLength(1) @MaxLength(200) name!: string;
}
export class WorkspaceBodyDto {
  @ApiProperty({ type: WorkspaceInputDto })
  @IsDefined({ message: 'workspace is required: send { "workspace": { ... } }' })
  @IsObject()
  @ValidateNested()
  @Type(() => WorkspaceInputDto)
  workspace!: WorkspaceInputDto;
}

export class OrgInputDto {
  @ApiPropertyOptional({ example: 'EMEA team', description: 'Required on create.' })
  @IsOptional()
  @IsString()
  @MinLength(1)
  @MaxLength(200)
  name?: string;

  @ApiPropertyOptional({ type: [String], description: 'Agents of this workspace in the org (replaces the list).' })
  @IsOptional()
  @IsArray()
  @ArrayMaxSize(500)
  @IsUUID('all', { each: true, message: 'agentIds must be agent IDs' })
  agentIds?: string[];
}
export class OrgBodyDto {
  @ApiProperty({ type: OrgInputDto })
  @IsDefined({ message: 'org is required: send { "org": { ... } }' })
  @IsObject()
  @ValidateNested()
  @Type(() => OrgInputDto)
  org!: OrgInputDto;
}

export class ClientInputDto {
  @ApiPropertyOptional({ description: 'Required on create.' }) @IsOptional() @IsString() @MinLength(1) @MaxLength(200) name?: string;
  @ApiPropertyOptional({ description: 'Required on create; unique in the workspace.' }) @IsOptional() @IsEmail({}, { message: 'email must be an email address' }) email?: string;

  @ApiPropertyOptional({ enum: CLIENT_ROLES, default: 'agent' })
  @IsOptional()
  @IsIn(CLIENT_ROLES, { message: `role must be one of ${CLIENT_ROLES.join(', ')}` })
  role?: ClientRole;

  @ApiPropertyOptional({ description: 'Operator availability (handoff).' }) @IsOptional() @IsBoolean() online?: boolean;
  @ApiPropertyOptional({ nullable: true, type: String }) @IsOptional() @IsUUID('all', { message: 'orgId must be an org ID' }) orgId?: string | null;
}
export class ClientBodyDto {
  @ApiProperty({ type: ClientInputDto })
  @IsDefined({ message: 'client is required: send { "client": { ... } }' })
  @IsObject()
  @ValidateNested()
  @Type(() => ClientInputDto)
  client!: ClientInputDto;
}
