import { createPrivateKey } from 'node:crypto';
import type { ServiceAccountKey } from './google-tts.provider';

export class ServiceAccountError extends Error {
  override name = 'ServiceAccountError';
}

const EMAIL = /^[^\s@]{1,200}@[A-Za-z0-9.-]{1,200}$/;
const PROJECT_ID = /^[a-z][a-z0-9-]{4,61}[a-z0-9]$|^[a-z0-9.:-]{1,100}$/;

/**
 * Validates a Google Cloud service-account key file (the JSON "Keys > Add key" downloads) and keeps only what request
 * signing needs. Anything else (token_uri, external_account, impersonation URLs) is ignored, never passed to Google's
 * auth library, so tenant input cannot make the server fetch arbitrary URLs.
 */
export function parseServiceAccount(json: Record<string, unknown>): ServiceAccountKey {
  const problems: string[] = [];
  const str = (name: string): string | undefined => (typeof json[name] === 'string' ? json[name] : undefined);
  if (json['type'] !== 'service_account') problems.push('type must be "service_account" (a service-account key file)');
  const clientEmail = str('client_email');
  if (!clientEmail || !EMAIL.test(clientEmail)) problems.push('client_email must be the service account email');
  const projectId = str('project_id');
  if (!projectId || !PROJECT_ID.test(projectId)) problems.push('project_id must be a Google Cloud project id');
  const privateKeyId = str('private_key_id') ?? null;
  if (privateKeyId !== null && !/^[A-Za-z0-9_-]{1,128}$/.test(privateKeyId)) problems.push('private_key_id must be a key id');
  const privateKey = str('private_key');
  if (!privateKey) problems.push('private_key must be the PEM private key');
  else {
    try {
      const key = createPrivateKey(privateKey);
      if (key.asymmetricKeyType !== 'rsa') problems.push('private_key must be an RSA key');
    } catch {
      problems.push('private_key is not a readable PEM private key');
    }
  }
  if (problems.length > 0) throw new ServiceAccountError(problems.join('; '));
  return { clientEmail: clientEmail!, privateKey: privateKey!, projectId: projectId!, privateKeyId };
}
