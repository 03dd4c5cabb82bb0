import { randomBytes } from 'node:crypto';
import {
  chmodSync,
  closeSync,
  existsSync,
  fsyncSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fsyncDirectory } from '../../../../core/src/fs/fsync';
import { makePrivateDirectory, PRIVATE_FILE_MODE } from '../../../../core/src/fs/private-files';
import { AnnIndex, AnnSettings } from './embedded.ann-index';
import type { EngineTarget } from './embedded.engine-protocol';
import type { RecordScope } from './embedded.record-table';

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
 * The saved HNSW graphs of one engine directory: `ann/<tenant uid>/ns-<hex namespace>.json`
 * (the manifest) names `ns-<hex>.<random>.usearch` (the graph). The manifest is written last
 * and removed first, so a graph without a manifest is never trusted.
 */
export class AnnFiles {
  constructor(private readonly root: string) {}

  tenantDirectory(tenantUid: string): string {
    return join(this.root, 'ann', tenantUid);
  }

  hasSaved(target: RecordScope): boolean {
    return existsSync(this.manifestPath(target));
  }

  /** Writes the graph, then its manifest (synced, renamed into place), then drops older graphs. */
  save(target: EngineTarget, ann: AnnIndex, mark: number, settings: AnnSettings): void {
    const dir = this.tenantDirectory(target.tenantUid);
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
    this.removeGraphs(target, graph);
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
        const path = join(this.tenantDirectory(target.tenantUid), manifest.graph);
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
  invalidate(target: RecordScope): void {
    const dir = this.tenantDirectory(target.tenantUid);
    if (!existsSync(dir)) return;
    const manifest = existsSync(this.manifestPath(target));
    rmSync(this.manifestPath(target), { force: true });
    if (this.removeGraphs(target) > 0 || manifest) fsyncDirectory(dir);
  }

  /** Erasure: removes the graphs of every namespace of a tenant; returns files left (0). */
  eraseTenant(tenantUid: string): number {
    const dir = this.tenantDirectory(tenantUid);
    rmSync(dir, { recursive: true, force: true });
    if (existsSync(join(this.root, 'ann'))) fsyncDirectory(join(this.root, 'ann'));
    return existsSync(dir) ? readdirSync(dir).length + 1 : 0;
  }

  private manifestPath(target: RecordScope): string {
    return join(this.tenantDirectory(target.tenantUid), `${stem(target.namespace)}.json`);
  }

  /** Removes the namespace's graph files but `keep`; returns how many it removed. */
  private removeGraphs(target: RecordScope, keep?: string): number {
    const dir = this.tenantDirectory(target.tenantUid);
    const prefix = `${stem(target.namespace)}.`;
    let removed = 0;
    for (const name of readdirSync(dir)) {
      if (name.startsWith(prefix) && name.endsWith('.usearch') && name !== keep) {
        rmSync(join(dir, name), { force: true });
        removed++;
      }
    }
    return removed;
  }
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
