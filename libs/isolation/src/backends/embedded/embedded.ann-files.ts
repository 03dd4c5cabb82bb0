import { createHash, randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmdirSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fsyncDirectory } from '../../../../core/src/fs/fsync';
import { makePrivateDirectory, PRIVATE_FILE_MODE } from '../../../../core/src/fs/private-files';
import { AnnIndex, AnnSettings } from './embedded.ann-index';
import type { EngineTarget } from './embedded.engine-protocol';
import type { MatrixPlace } from './embedded.matrix-cache';

/** What a saved graph reflects: the SQLite rows it holds, up to and including rowid `mark`. */
interface AnnManifest {
  readonly version: 1;
  readonly graph: string;
  readonly mark: number;
  readonly count: number;
  readonly dimension: number;
  readonly metric: string;
  readonly connectivity: number;
  readonly expansionAdd: number;
  readonly expansionSearch: number;
}

/**
 * The saved HNSW graphs of one engine directory:
 * `ann/<tenant uid>/p-<place>/ns-<hex namespace>.json` (the manifest) names
 * `ns-<hex>.<random>.usearch` (the graph) beside it. `<place>` stands for the file and table
 * the records are in: a tenant moving between two embedded placements has a graph in each, and
 * the keys of one (the rows' sequence numbers) mean nothing in the other. The manifest is
 * written last and removed first, so a graph without a manifest is never trusted.
 */
export class AnnFiles {
  constructor(private readonly root: string) {}

  private tenantDirectory(tenantUid: string): string {
    return join(this.root, 'ann', tenantUid);
  }

  private placeDirectory(target: Omit<MatrixPlace, 'namespace'>): string {
    return join(this.tenantDirectory(target.tenantUid), placeStem(target));
  }

  hasSaved(target: MatrixPlace): boolean {
    return existsSync(this.manifestPath(target));
  }

  /** Writes the graph, then its manifest (synced, renamed into place), then drops older graphs. */
  save(target: EngineTarget, ann: AnnIndex, mark: number, settings: AnnSettings): void {
    const dir = this.placeDirectory(target);
    makePrivateDirectory(dir);
    const graph = `${stem(target.namespace)}.${randomBytes(6).toString('hex')}.usearch`;
    const graphPath = join(dir, graph);
    ann.save(graphPath);
    chmodSync(graphPath, PRIVATE_FILE_MODE);
    syncFile(graphPath);
    const manifest: AnnManifest = {
      version: 1,
      graph,
      mark,
      count: ann.size,
      dimension: target.dimension,
      metric: target.metric,
      ...settings,
    };
    const temporary = `${this.manifestPath(target)}.tmp`;
    writeFileSync(temporary, JSON.stringify(manifest), { mode: PRIVATE_FILE_MODE });
    syncFile(temporary);
    renameSync(temporary, this.manifestPath(target));
    removeGraphs(dir, target.namespace, graph);
    fsyncDirectory(dir);
  }

  /**
   * The saved graph and its mark, when the manifest matches the target and the settings;
   * anything unreadable or mismatched is removed and reported as absent (rebuilt from SQLite).
   */
  load(target: EngineTarget, settings: AnnSettings): { ann: AnnIndex; mark: number } | undefined {
    if (!this.hasSaved(target)) {
      // A graph file without its manifest (a crash while removing them) goes now.
      this.invalidate(target);
      return undefined;
    }
    try {
      const manifest = JSON.parse(readFileSync(this.manifestPath(target), 'utf8')) as AnnManifest;
      const matches =
        manifest.version === 1 &&
        manifest.dimension === target.dimension &&
        manifest.metric === target.metric &&
        manifest.connectivity === settings.connectivity &&
        manifest.expansionAdd === settings.expansionAdd &&
        manifest.expansionSearch === settings.expansionSearch &&
        manifest.graph.startsWith(`${stem(target.namespace)}.`) &&
        !manifest.graph.includes('/');
      if (matches) {
        const path = join(this.placeDirectory(target), manifest.graph);
        const ann = AnnIndex.load(path, target.dimension, target.metric, settings);
        if (ann.size === manifest.count) return { ann, mark: manifest.mark };
      }
    } catch {
      // A damaged manifest or graph is rebuilt from SQLite below.
    }
    this.invalidate(target);
    return undefined;
  }

  /** Removes the namespace's saved graph: manifest first, then every graph file. */
  invalidate(target: MatrixPlace): void {
    // A graph an earlier release saved directly in the tenant's directory is never loaded
    // now, but it may hold a vector about to be removed: it goes too.
    for (const dir of [this.placeDirectory(target), this.tenantDirectory(target.tenantUid)]) {
      if (!existsSync(dir)) continue;
      const manifest = join(dir, manifestName(target.namespace));
      const had = existsSync(manifest);
      rmSync(manifest, { force: true });
      if (removeGraphs(dir, target.namespace) > 0 || had) fsyncDirectory(dir);
    }
  }

  /**
   * Erasure of a tenant's place: removes the graphs of every namespace held there (not those
   * of the tenant's other place while it moves), and graphs an earlier layout kept directly in
   * the tenant's directory; the tenant's directory goes once empty. Returns entries left (0).
   */
  erasePlace(target: Omit<MatrixPlace, 'namespace'>): number {
    const tenant = this.tenantDirectory(target.tenantUid);
    if (!existsSync(tenant)) return 0;
    const place = this.placeDirectory(target);
    rmSync(place, { recursive: true, force: true });
    for (const entry of readdirSync(tenant, { withFileTypes: true }))
      if (!entry.isDirectory()) rmSync(join(tenant, entry.name), { force: true });
    fsyncDirectory(tenant);
    if (readdirSync(tenant).length === 0) {
      rmdirSync(tenant);
      fsyncDirectory(join(this.root, 'ann'));
    }
    return existsSync(place) ? readdirSync(place).length + 1 : 0;
  }

  private manifestPath(target: MatrixPlace): string {
    return join(this.placeDirectory(target), manifestName(target.namespace));
  }
}

/** Removes a namespace's graph files in `dir` but `keep`; returns how many it removed. */
function removeGraphs(dir: string, namespace: string, keep?: string): number {
  const prefix = `${stem(namespace)}.`;
  let removed = 0;
  for (const name of readdirSync(dir)) {
    if (name.startsWith(prefix) && name.endsWith('.usearch') && name !== keep) {
      rmSync(join(dir, name), { force: true });
      removed++;
    }
  }
  return removed;
}

/**
 * A place's directory name: a digest of its file and table (either may be long, and a file
 * name holds a `/`). NUL, which neither holds, keeps the pair unambiguous.
 */
function placeStem(target: Omit<MatrixPlace, 'namespace'>): string {
  const digest = createHash('sha256').update(`${target.file}\u0000${target.table}`);
  return `p-${digest.digest('hex').slice(0, 24)}`;
}

/** The file name of a namespace's manifest, in its place's directory (or an earlier layout's). */
function manifestName(namespace: string): string {
  return `${stem(namespace)}.json`;
}

/** A namespace's file name stem: hex keeps any namespace (even the default, empty) file-safe. */
function stem(namespace: string): string {
  return `ns-${Buffer.from(namespace, 'utf8').toString('hex')}`;
}

function syncFile(path: string): void {
  const fd = openSync(path, 'r');
  try {
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
