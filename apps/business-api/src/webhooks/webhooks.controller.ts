import { Body, Controller, Delete, Get, HttpCode, Param, Post, Put, Query } from '@nestjs/common';
import { ApiAcceptedResponse, ApiBadRequestResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentTenant, type TenantContext, TenantHeader } from '@chatbot/tenant-auth';
import { CreateWebhookDto } from './dto/create-webhook.dto';
import { UpdateWebhookDto } from './dto/update-webhook.dto';
import { ListWebhooksQueryDto, LogsQueryDto, RecoverDto } from './dto/webhook-queries.dto';
import {
  CreatedWebhookDto,
  DeliveryLogDto,
  QueuedDto,
  RotatedSecretDto,
  SuccessMessageDto,
  TestResultDto,
  WebhookDto,
} from './dto/webhook-responses.dto';
import { WebhooksService } from './webhooks.service';

@ApiTags('webhooks')
@TenantHeader()
@ApiNotFoundResponse({ description: 'No such webhook for this tenant (another tenant\'s webhook is not found either).' })
@ApiBadRequestResponse({ description: 'Invalid input; the message and details say which field and why.' })
@Controller('api/chatbot-webhooks')
export class WebhooksController {
  constructor(private readonly webhooks: WebhooksService) {}

  @Get()
  @ApiOperation({ summary: 'Get all webhooks configured for your tenant' })
  @ApiOkResponse({ type: [WebhookDto] })
  list(@CurrentTenant() tenant: TenantContext, @Query() query: ListWebhooksQueryDto): Promise<WebhookDto[]> {
    return this.webhooks.list(tenant.tenantId, query);
  }

  @Post()
  @ApiOperation({ summary: 'Create a new webhook to receive real-time events from your chatbot' })
  @ApiOkResponse({ type: CreatedWebhookDto })
  create(@CurrentTenant() tenant: TenantContext, @Body() body: CreateWebhookDto): Promise<CreatedWebhookDto> {
    return this.webhooks.create(tenant.tenantId, body);
  }

  @Get(':id')
  @ApiOperation({ summary: 'Get one webhook' })
  @ApiOkResponse({ type: WebhookDto })
  get(@CurrentTenant() tenant: TenantContext, @Param('id') id: string): Promise<WebhookDto> {
    return this.webhooks.get(tenant.tenantId, id);
  }

  @Put(':id')
  @ApiOperation({ summary: 'Update an existing webhook (any subset of the create fields)' })
  @ApiOkResponse({ type: WebhookDto })
  update(@CurrentTenant() tenant: TenantContext, @Param('id') id: string, @Body() body: UpdateWebhookDto): Promise<WebhookDto> {
    return this.webhooks.update(tenant.tenantId, id, body);
  }

  @Delete(':id')
  @ApiOperation({
    summary: 'Delete a webhook; its pending deliveries stop',
    description: 'Its delivery logs answer 404 from now on; its stored messages and logs are deleted by the worker within minutes.',
  })
  @ApiOkResponse({ type: SuccessMessageDto })
  remove(@CurrentTenant() tenant: TenantContext, @Param('id') id: string): Promise<SuccessMessageDto> {
    return this.webhooks.remove(tenant.tenantId, id);
  }

  @Post(':id/test')
  @HttpCode(200)
  @ApiOperation({ summary: 'Send a signed sample event now, through the delivery pipeline code, and log the attempt' })
  @ApiOkResponse({ type: TestResultDto })
  test(@CurrentTenant() tenant: TenantContext, @Param('id') id: string): Promise<TestResultDto> {
    return this.webhooks.test(tenant.tenantId, id);
  }

  @Get(':id/logs')
  @ApiOperation({ summary: 'Get webhook delivery logs (attempts, newest first)' })
  @ApiOkResponse({ type: [DeliveryLogDto] })
  logs(@CurrentTenant() tenant: TenantContext, @Param('id') id: string, @Query() query: LogsQueryDto): Promise<DeliveryLogDto[]> {
    return this.webhooks.listLogs(tenant.tenantId, id, query.limit ?? 50, query.offset ?? 0);
  }

  @Post(':id/rotate-secret')
  @HttpCode(200)
  @ApiOperation({ summary: 'Rotate the signing secret; the old one keeps signing beside the new one for 24 h' })
  @ApiOkResponse({ type: RotatedSecretDto })
  rotate(@CurrentTenant() tenant: TenantContext, @Param('id') id: string): Promise<RotatedSecretDto> {
    return this.webhooks.rotateSecret(tenant.tenantId, id);
  }

  @Post(':id/logs/:logId/redeliver')
  @HttpCode(202)
  @ApiOperation({ summary: 'Send the event of a delivery log again (a new delivery with the webhook\'s retry policy)' })
  @ApiAcceptedResponse({ type: QueuedDto })
  redeliver(@CurrentTenant() tenant: TenantContext, @Param('id') id: string, @Param('logId') logId: string): Promise<QueuedDto> {
    return this.webhooks.redeliver(tenant.tenantId, id, logId);
  }

  @Post(':id/recover')
  @HttpCode(202)
  @ApiOperation({ summary: 'Re-send every failed event of this webhook since a date' })
  @ApiAcceptedResponse({ type: QueuedDto })
  recover(@CurrentTenant() tenant: TenantContext, @Param('id') id: string, @Body() body: RecoverDto): Promise<QueuedDto> {
    return this.webhooks.recover(tenant.tenantId, id, body.since);
  }
}
