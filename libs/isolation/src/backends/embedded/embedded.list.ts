// Relative imports only: this file runs inside the engine threads.
import { LIST_SCAN_ROWS, Metadata } from '../../ports/vector.types';
import type { EngineFiles } from './embedded.engine-files';
import type { EngineListed, EngineListPage, EngineTarget } from './embedded.engine-protocol';
import type { Job, SliceClock } from './embedded.engine-scheduler';
import { toRecords } from './embedded.record-jobs';
import type { RecordRow } from './embedded.record-table';
import { compileRowFilter, RowPredicate } from './embedded.row-filter';

/** Rows read per statement while a filter narrows a page. */
const FILTERED_BATCH = 500;

/**
 * One page of a namespace's records in id order, by key (`id > after`), so no statement stays
 * open between pages or slices. A prefix starts the scan at the prefix and ends the walk at the
 * first id past it (ids sharing a prefix are contiguous in that order). A filter is evaluated
 * here, over at most `LIST_SCAN_ROWS` rows per page read `FILTERED_BATCH` at a time, pausing
 * whenever the slice is spent, so a selective filter answers a short page rather than scanning
 * on, and other tenants' jobs on the worker wait at most a slice.
 */
export function* listJob(
  files: EngineFiles,
  target: EngineTarget,
  page: EngineListPage,
  clock: SliceClock,
): Job<EngineListed> {
  const test = page.filter ? compileRowFilter(page.filter) : undefined;
  const budget = test ? LIST_SCAN_ROWS : page.limit;
  const kept: RecordRow[] = [];
  // The page's records are made at the end, when its metadata's size decides how it travels.
  const listed = (last?: string): EngineListed => {
    const records = toRecords(kept, page);
    return last === undefined ? { records } : { records, last };
  };
  let after = page.after;
  let examined = 0;
  while (examined < budget) {
    const want = test ? Math.min(FILTERED_BATCH, budget - examined) : page.limit - kept.length;
    const rows = files.records(target).scan(target, after, page.prefix, want, page.includeValues);
    for (const row of rows) {
      if (!row.id.startsWith(page.prefix)) return listed();
      examined++;
      after = row.id;
      if (passes(test, row.metadata)) kept.push(row);
      if (kept.length === page.limit) return listed(after);
      // The batch is an array, no statement is open: the job may pause between rows.
      if (test && clock.over()) yield;
    }
    if (rows.length < want) return listed();
    if (clock.over()) yield;
  }
  return listed(after);
}

function passes(test: RowPredicate | undefined, metadata: string | null | undefined): boolean {
  if (!test) return true;
  return test(metadata ? (JSON.parse(metadata) as Metadata) : undefined);
}
