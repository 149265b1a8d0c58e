import { type AgentSecrets, type AgentSettings } from './agent-fields';
import type { AgentEntity } from './agent.entity';
import { maskSecret } from './agent-secrets';

/** The agent as TIXAE V3 clients read it: secrets masked, `SECRET_API_KEY` in full only when just created. */
export function toWireAgent(agent: AgentEntity, secrets: AgentSecrets, newApiKey?: string): Record<string, unknown> {
  const { customTheme, ...settings } = agent.settings;
  return {
    ID: agent.id,
    agentPlatform: agent.platform,
    title: agent.title,
    ...settings,
    ...(customTheme ? { customTheme, customThemeJSONString: JSON.stringify(customTheme) } : {}),
    disabled: agent.disabled,
    whatsappToken: maskSecret(secrets.whatsappToken),
    gcloudPrivateKey: secrets.gcloudPrivateKey ? '-----BEGIN PRIVATE KEY----- (stored encrypted) -----END PRIVATE KEY-----' : null,
    VF_DIALOGUE_API_KEY: maskSecret(secrets.VF_DIALOGUE_API_KEY),
    VF_PROJECT_API_KEY: maskSecret(secrets.VF_PROJECT_API_KEY),
    discord: secrets.discordWebhookUrl ? { webhookUrl: maskSecret(secrets.discordWebhookUrl) } : null,
    SECRET_API_KEY: newApiKey ?? (agent.apiKeyPrefix ? `${agent.apiKeyPrefix}…` : null),
    createdAtUNIX: agent.createdAt.getTime(),
    lastModified: agent.updatedAt.getTime(),
  };
}

/** What the widget may know (the `agent_updated` event): no secret, no key, not even masked. */
export function toWidgetProjection(agent: AgentEntity): Record<string, unknown> {
  const settings: AgentSettings = agent.settings;
  return {
    ID: agent.id,
    agentPlatform: agent.platform,
    title: agent.title,
    disabled: agent.disabled,
    ...settings,
    createdAtUNIX: agent.createdAt.getTime(),
    lastModified: agent.updatedAt.getTime(),
  };
}
