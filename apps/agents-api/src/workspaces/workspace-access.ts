import { NotFoundException } from '@nestjs/common';
import type { TenantContext, TenantId } from '@chatbot/tenant-auth';

/**
 * A workspace is the key's tenant. Another workspace's id, or any workspace route called with an agent key, is a 404
 * (exactly like a workspace that does not exist).
 */
export function requireWorkspace(tenant: TenantContext, workspaceId: string): TenantId {
  if (tenant.agentId || workspaceId !== tenant.tenantId) throw new NotFoundException(`Workspace ${workspaceId} not found`);
  return tenant.tenantId;
}
