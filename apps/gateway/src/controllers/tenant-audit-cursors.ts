import { Inject, Injectable } from '@nestjs/common';
import {
  createCipheriv,
  createDecipheriv,
  createHash,
  createSecretKey,
  hkdfSync,
} from 'node:crypto';
import type { KeyObject } from 'node:crypto';
import { BadRequestError } from '@vecgate/core';
import { apiKeyHmacSecret } from '@vecgate/tenancy';
import { GATEWAY_CONFIG } from '../config/config.tokens';
import type { GatewayConfig } from '../config/gateway.config';

const LABEL = 'vecgate tenant audit cursor v1';
const BLOCK = 16;
/** A sealed cursor: one AES block, base64url. */
export const SEALED_CURSOR = /^[A-Za-z0-9_-]{22}$/;

/**
 * The cursors of `GET /v1/audit`. The trail's sequence numbers are shared by every tenant, so
 * a tenant reading them (in its events or its cursors) could count the requests of the others
 * between two of its own. Its cursor is therefore the position sealed in one AES block with
 * the tenant uid's tag: opaque, the same on every replica (the key derives from the secret API
 * keys use), and refused for another tenant. The admin trail keeps plain sequence numbers.
 */
@Injectable()
export class TenantAuditCursors {
  private readonly key: KeyObject;

  constructor(@Inject(GATEWAY_CONFIG) config: GatewayConfig) {
    const secret = apiKeyHmacSecret(config.tenancy);
    this.key = createSecretKey(Buffer.from(hkdfSync('sha256', secret, Buffer.alloc(0), LABEL, 32)));
  }

  seal(tenantUid: string, position: string | null): string | null {
    if (position === null) return null;
    const block = Buffer.alloc(BLOCK);
    block.writeBigUInt64BE(BigInt(position), 0);
    tagOf(tenantUid).copy(block, 8);
    const cipher = createCipheriv('aes-256-ecb', this.key, null).setAutoPadding(false);
    return Buffer.concat([cipher.update(block), cipher.final()]).toString('base64url');
  }

  /** The position a cursor of this tenant holds; 400 naming `cursor` for any other text. */
  open(tenantUid: string, cursor: string): number {
    if (!SEALED_CURSOR.test(cursor)) return refuse();
    const sealed = Buffer.from(cursor, 'base64url');
    if (sealed.length !== BLOCK) return refuse();
    const decipher = createDecipheriv('aes-256-ecb', this.key, null).setAutoPadding(false);
    const block = Buffer.concat([decipher.update(sealed), decipher.final()]);
    if (!block.subarray(8).equals(tagOf(tenantUid))) return refuse();
    const position = block.readBigUInt64BE(0);
    return position > BigInt(Number.MAX_SAFE_INTEGER) ? refuse() : Number(position);
  }
}

function tagOf(tenantUid: string): Buffer {
  return createHash('sha256').update(tenantUid).digest().subarray(0, 8);
}

function refuse(): never {
  throw new BadRequestError('the cursor is not one of this listing', 'cursor');
}
