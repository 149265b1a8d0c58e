import { Injectable } from '@nestjs/common';
import { SecretBox, type TenantId } from '@chatbot/tenant-auth';
import type { AgentSecrets } from './agent-fields';

const aad = (tenantId: string, agentId: string) => `${tenantId}:agent:${agentId}:secrets`;

/** An agent's channel credentials and keys, sealed as one envelope bound to the agent row. */
@Injectable()
export class AgentSecretsBox {
  constructor(private readonly box: SecretBox) {}

  seal(tenantId: TenantId, agentId: string, secrets: AgentSecrets): string | null {
    const present = Object.fromEntries(Object.entries(secrets).filter(([, v]) => typeof v === 'string' && v.length > 0));
    return Object.keys(present).length === 0 ? null : this.box.encrypt(JSON.stringify(present), aad(tenantId, agentId));
  }

  open(tenantId: string, agentId: string, sealed: string | null): AgentSecrets {
    return sealed ? (JSON.parse(this.box.decrypt(sealed, aad(tenantId, agentId))) as AgentSecrets) : {};
  }
}

/** Never the whole secret: enough to recognise it. */
export function maskSecret(value: string | undefined): string | null {
  if (!value) return null;
  return value.length <= 8 ? '********' : `********${value.slice(-4)}`;
}
