import { createSecretKey, KeyObject, randomUUID } from 'node:crypto';
import { sign } from 'jsonwebtoken';

/** Signs tokens of the gateway's built-in issuer for the scripts (load, crash). */
export class ScriptTokens {
  private readonly key: KeyObject;

  constructor(secret: string) {
    this.key = createSecretKey(Buffer.from(secret, 'utf8'));
  }

  private sign(claims: Record<string, unknown>, ttlSeconds = 3600): string {
    const now = Math.floor(Date.now() / 1000);
    return sign(
      {
        iss: 'vecgate',
        aud: 'vecgate',
        iat: now,
        exp: now + ttlSeconds,
        jti: randomUUID(),
        ...claims,
      },
      this.key,
      {
        algorithm: 'HS256',
      },
    );
  }

  platform(roles: string[] = ['platform_admin', 'auditor']): string {
    return this.sign({ sub: 'script-operator', roles });
  }

  tenant(tenantId: string, roles: string[]): string {
    return this.sign({ sub: `${tenantId}-script`, tenant_id: tenantId, roles });
  }
}
