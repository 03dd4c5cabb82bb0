import { existsSync, readFileSync } from 'node:fs';

/** B-tree page types: interior and leaf, of indexes (2, 10) and tables (5, 13). */
const INTERIOR = new Set([2, 5]);
const BTREE = new Set([2, 5, 10, 13]);
const WAL_HEADER = 32;
const FRAME_HEADER = 24;

/**
 * Whether `marker` occurs in an SQLite file or its WAL anywhere but in the unallocated gap of a
 * b-tree page (between its cell pointers and its cells). SQLite's secure_delete zeroes deleted
 * cells and freed pages, but a page rebuilt by a split or merge keeps, in that gap, whatever
 * its bytes held before: copies of cells that moved to another page, which SQLite never reads
 * again and overwrites when the page is next rebuilt. Every other occurrence (a live cell, a
 * freed page, a stale WAL frame of deleted content) counts.
 */
export function liveBytesHold(path: string, marker: string): boolean {
  const needle = Buffer.from(marker);
  const main = existsSync(path) ? readFileSync(path) : Buffer.alloc(0);
  const wal = existsSync(`${path}-wal`) ? readFileSync(`${path}-wal`) : Buffer.alloc(0);
  const pageSize = pageSizeOf(main);
  return (
    occurrences(main, needle).some((at) => {
      const page = Math.floor(at / pageSize);
      return !inGap(main, page * pageSize, page + 1, at, needle.length);
    }) ||
    occurrences(wal, needle).some((at) => {
      if (at < WAL_HEADER) return true;
      const frame =
        WAL_HEADER +
        Math.floor((at - WAL_HEADER) / (FRAME_HEADER + pageSize)) * (FRAME_HEADER + pageSize);
      if (at < frame + FRAME_HEADER) return true;
      return !inGap(wal, frame + FRAME_HEADER, wal.readUInt32BE(frame), at, needle.length);
    })
  );
}

function pageSizeOf(main: Buffer): number {
  if (main.length < 100) return 4096;
  const size = main.readUInt16BE(16);
  return size === 1 ? 65536 : size;
}

function occurrences(bytes: Buffer, needle: Buffer): number[] {
  const found: number[] = [];
  for (let at = bytes.indexOf(needle); at >= 0; at = bytes.indexOf(needle, at + 1)) found.push(at);
  return found;
}

/** Whether bytes [at, at + length) lie in the unallocated gap of the b-tree page at `start`. */
function inGap(bytes: Buffer, start: number, pgno: number, at: number, length: number): boolean {
  const header = start + (pgno === 1 ? 100 : 0);
  const type = bytes[header] ?? 0;
  if (!BTREE.has(type)) return false;
  const cells = bytes.readUInt16BE(header + 3);
  const content = bytes.readUInt16BE(header + 5) || 65536;
  const gapStart = header + (INTERIOR.has(type) ? 12 : 8) + 2 * cells;
  return at >= gapStart && at + length <= start + content;
}
