import { BackendName, PlacementPolicy } from '@vecgate/isolation';

/** The variable that turns each backend on (the embedded one is always on). */
const ENABLED_BY: { readonly [B in BackendName]: string | null } = {
  embedded: null,
  milvus: 'MILVUS_ADDRESS',
  qdrant: 'QDRANT_URL',
  pinecone: 'PINECONE_API_KEY',
  pgvector: 'PGVECTOR_URL',
};

/**
 * Every problem of PLACEMENT_POLICY and DEFAULT_TIER that can be told before start: entries
 * that do not parse, backends named but not enabled (with the variable that enables them),
 * a default tier without an entry. Whether a backend offers a strategy is checked against
 * its driver when it starts.
 */
export function placementProblems(
  policy: string,
  defaultTier: string,
  enabled: ReadonlySet<BackendName>,
): string[] {
  const { rules, problems } = PlacementPolicy.check(policy);
  const list = problems.map((p) => `PLACEMENT_POLICY: ${p}`);
  for (const [tier, rule] of rules) {
    const variable = ENABLED_BY[rule.backend];
    if (variable !== null && !enabled.has(rule.backend)) {
      list.push(
        `PLACEMENT_POLICY: tier "${tier}" uses backend ${rule.backend}, which is not enabled: set ${variable}`,
      );
    }
  }
  if (problems.length === 0 && !rules.has(defaultTier)) {
    list.push(`DEFAULT_TIER: tier "${defaultTier}" has no entry in PLACEMENT_POLICY`);
  }
  return list;
}
