import { join, resolve } from 'node:path';
import { main } from '../../package.json';

/** The repository root. */
export const ROOT = resolve(__dirname, '../..');

/**
 * The built gateway entry point. Its one definition is the `main` field of package.json, which
 * the npm scripts, the image (`node .`) and every tool here read, so a change of build layout is
 * a change of one line.
 */
export const MAIN = join(ROOT, main);

/**
 * The root of the build output: Nest mirrors the source tree under it (`apps/gateway/src/...`,
 * `libs/<lib>/src/...`), so it sits three folders above the entry point's folder.
 */
export const BUILD_ROOT = resolve(MAIN, '../../../..');

/** A library's built entry point, e.g. `builtLibrary('isolation')`. */
export function builtLibrary(name: 'core' | 'tenancy' | 'isolation' | 'search' | 'audit'): string {
  return join(BUILD_ROOT, 'libs', name, 'src/index.js');
}
