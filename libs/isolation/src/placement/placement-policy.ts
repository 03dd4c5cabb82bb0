import { UnprocessableError } from '@vecgate/core';
import { BACKENDS, BackendName, STRATEGIES, StrategyName } from '../ports/vector.types';

export interface PlacementRule {
  readonly backend: BackendName;
  readonly strategy: StrategyName;
}

export interface PlacementChoice extends PlacementRule {
  readonly tier: string;
}

export const TIER_PATTERN = /^[a-z][a-z0-9_-]{0,31}$/;

export const DEFAULT_PLACEMENT_POLICY =
  'enterprise=embedded:database,premium=embedded:collection,standard=embedded:partition_key';

/**
 * Maps tiers to a backend and strategy. Configuration, not code:
 * `PLACEMENT_POLICY=enterprise=milvus:database,standard=embedded:partition_key`.
 */
export class PlacementPolicy {
  constructor(
    private readonly rules: ReadonlyMap<string, PlacementRule>,
    readonly defaultTier: string,
  ) {}

  /** Parses the policy text; the error names every entry at fault. */
  static parse(text: string): Map<string, PlacementRule> {
    const { rules, problems } = PlacementPolicy.check(text);
    if (problems.length > 0) throw new Error(problems.join('; '));
    return rules;
  }

  /** The rules of the policy text and one problem per entry at fault (all of them, not the first). */
  static check(text: string): { rules: Map<string, PlacementRule>; problems: string[] } {
    const rules = new Map<string, PlacementRule>();
    const problems: string[] = [];
    for (const entry of text
      .split(',')
      .map((e) => e.trim())
      .filter(Boolean)) {
      const match = /^([^=]+)=([^:]+):(.+)$/.exec(entry);
      if (!match) {
        problems.push(`entry "${entry}" is not tier=backend:strategy`);
        continue;
      }
      const [tier = '', backend = '', strategy = ''] = match.slice(1).map((part) => part.trim());
      const before = problems.length;
      if (!TIER_PATTERN.test(tier)) {
        problems.push(`entry "${entry}": tier "${tier}" must match ${TIER_PATTERN.source}`);
      }
      if (!(BACKENDS as readonly string[]).includes(backend)) {
        problems.push(
          `entry "${entry}": unknown backend "${backend}" (one of ${BACKENDS.join(', ')})`,
        );
      }
      if (!(STRATEGIES as readonly string[]).includes(strategy)) {
        problems.push(
          `entry "${entry}": unknown strategy "${strategy}" (one of ${STRATEGIES.join(', ')})`,
        );
      }
      if (rules.has(tier)) problems.push(`entry "${entry}": tier "${tier}" appears twice`);
      if (problems.length === before) {
        rules.set(tier, { backend: backend as BackendName, strategy: strategy as StrategyName });
      }
    }
    if (rules.size === 0 && problems.length === 0) problems.push('the policy has no entries');
    return { rules, problems };
  }

  entries(): [string, PlacementRule][] {
    return [...this.rules.entries()];
  }

  /**
   * Chooses the backend and strategy for a new tenant: an explicit backend and strategy win;
   * otherwise the tier's rule fills in whatever the request left out.
   */
  resolve(request: {
    tier?: string;
    backend?: BackendName;
    strategy?: StrategyName;
  }): PlacementChoice {
    const tier = request.tier ?? this.defaultTier;
    if (request.backend && request.strategy) {
      return { tier, backend: request.backend, strategy: request.strategy };
    }
    const rule = this.rules.get(tier);
    if (!rule) {
      throw new UnprocessableError(
        `no placement rule for tier "${tier}"; give backend and strategy, or use one of: ${[...this.rules.keys()].join(', ')}`,
        'tier',
      );
    }
    if (request.backend && request.backend !== rule.backend) {
      throw new UnprocessableError(
        `tier "${tier}" places on ${rule.backend}; give a strategy for backend ${request.backend}`,
        'strategy',
      );
    }
    return { tier, backend: rule.backend, strategy: request.strategy ?? rule.strategy };
  }
}
