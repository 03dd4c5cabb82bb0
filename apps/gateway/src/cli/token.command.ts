import { randomUUID } from 'node:crypto';
import { userInfo } from 'node:os';
import type { AuditService } from '@vecgate/audit';
import type { PlatformTokenService } from '@vecgate/tenancy';

export const TOKEN_USAGE = `usage:
  vecgate token mint --subject <name> --roles platform_admin[,auditor,cross_tenant_admin] [--ttl seconds]
  vecgate token revoke <jti>`;

/** A mistake in the command line: printed with the usage, exit status 2. */
export class UsageError extends Error {}

export interface TokenCommand {
  readonly verb: 'mint' | 'revoke';
  readonly subject?: string;
  readonly roles?: string[];
  readonly ttlSeconds?: number;
  readonly jti?: string;
}

const DEFAULT_TTL = 3600;

export function parseTokenCommand(argv: readonly string[]): TokenCommand {
  const [verb, ...rest] = argv;
  if (verb === 'revoke') {
    if (rest.length !== 1 || rest[0]?.startsWith('--'))
      throw new UsageError('revoke takes one jti');
    return { verb, jti: rest[0] };
  }
  if (verb !== 'mint') throw new UsageError(`unknown command "token ${verb ?? ''}"`);
  const flags = new Map<string, string>();
  for (let i = 0; i < rest.length; i += 2) {
    const name = rest[i] ?? '';
    const value = rest[i + 1];
    if (!['--subject', '--roles', '--ttl'].includes(name))
      throw new UsageError(`unknown option ${name}`);
    if (value === undefined || value.startsWith('--'))
      throw new UsageError(`${name} needs a value`);
    flags.set(name, value);
  }
  const subject = flags.get('--subject');
  const roles = flags.get('--roles');
  if (!subject || !roles) throw new UsageError('mint needs --subject and --roles');
  const ttl = flags.get('--ttl') ?? String(DEFAULT_TTL);
  if (!/^\d{1,9}$/.test(ttl)) throw new UsageError('--ttl must be a number of seconds');
  return { verb, subject, roles: roles.split(',').map((r) => r.trim()), ttlSeconds: Number(ttl) };
}

/**
 * Runs a token command and records it in the audit trail like the API's own mint and revoke
 * (at alert level: a platform token made outside the API is rare and powerful). Returns what
 * to print.
 */
export async function runTokenCommand(
  command: TokenCommand,
  tokens: PlatformTokenService,
  audit: AuditService,
): Promise<string> {
  const started = Date.now();
  const operator = `cli:${localUser()}`;
  const event = {
    requestId: `cli-${randomUUID()}`,
    subject: operator,
    action: command.verb === 'mint' ? 'admin.token.mint' : 'admin.token.revoke',
    resource: `vecgate token ${command.verb}`,
    ip: 'local',
    severity: 'alert' as const,
  };
  try {
    let output: string;
    let resultCount: number | undefined;
    if (command.verb === 'mint') {
      const minted = await tokens.mint(
        {
          subject: command.subject ?? '',
          roles: command.roles ?? [],
          ttlSeconds: command.ttlSeconds ?? DEFAULT_TTL,
        },
        operator,
      );
      output = JSON.stringify(minted, null, 2);
      resultCount = 1;
    } else {
      await tokens.revoke(command.jti ?? '');
      output = `revoked ${command.jti ?? ''}`;
    }
    await audit.record({
      ...event,
      outcome: 'allowed',
      status: command.verb === 'mint' ? 201 : 204,
      resultCount,
      latencyMs: Date.now() - started,
    });
    return output;
  } catch (err) {
    const status = (err as { status?: number }).status ?? 500;
    await audit.record({
      ...event,
      outcome: status < 500 ? 'denied' : 'error',
      status,
      reason: (err as Error).message,
      latencyMs: Date.now() - started,
    });
    throw err;
  }
}

function localUser(): string {
  try {
    return userInfo().username;
  } catch {
    return String(process.getuid?.() ?? 'unknown');
  }
}
