import { PartialType } from '@nestjs/swagger';
import { CreateWebhookDto } from './create-webhook.dto';

/** Partial update: any field of the create body. */
export class UpdateWebhookDto extends PartialType(CreateWebhookDto) {}
