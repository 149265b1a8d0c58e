import { BadRequestException, Injectable, NotFoundException } from '@nestjs/common';
import { isUuid } from '@chatbot/tenant-auth';
import { WidgetConfigCache } from './widget-config.cache';
import type { RenderedConfig } from './widget-config.renderer';

export interface ConfigQuery {
  tenantId: string;
  chatbotId: string;
}

function single(name: string, value: unknown): string {
  if (value === undefined || value === '') throw new BadRequestException(`Query parameter "${name}" is required`);
  if (typeof value !== 'string') throw new BadRequestException(`Query parameter "${name}" must be given once`);
  if (!isUuid(value)) throw new BadRequestException(`Query parameter "${name}" must be a UUID`);
  return value.toLowerCase();
}

/** Looks up a chatbot's rendered widget config for a tenant; another tenant's chatbot is 404 like a missing one. */
@Injectable()
export class WidgetConfigService {
  constructor(private readonly cache: WidgetConfigCache) {}

  parse(tenant: unknown, chatbot: unknown): ConfigQuery {
    return { tenantId: single('tenant', tenant), chatbotId: single('chatbot', chatbot) };
  }

  /** Synchronous on an in-memory hit (the hot path), a promise otherwise. */
  find(query: ConfigQuery): RenderedConfig | Promise<RenderedConfig> {
    const found = this.cache.get(query.chatbotId);
    return found instanceof Promise ? found.then((value) => this.check(query, value)) : this.check(query, found);
  }

  private check(query: ConfigQuery, value: RenderedConfig | null): RenderedConfig {
    if (!value || value.gone || value.tenantId !== query.tenantId) throw new NotFoundException('Chatbot not found');
    return value;
  }
}
