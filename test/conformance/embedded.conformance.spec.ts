import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { EmbeddedBackend } from '@vecgate/isolation';
import { describeIsolationConformance } from './isolation.conformance';

describeIsolationConformance(
  'embedded',
  { strategies: ['database', 'collection', 'partition_key'], namespaces: true },
  () => {
    const directory = mkdtempSync(join(tmpdir(), 'vg-conformance-embedded-'));
    const driver = new EmbeddedBackend({ directory, cacheMb: 16, maxOpenFiles: 8 });
    return Promise.resolve({
      driver,
      cleanup: async () => {
        await driver.close();
        rmSync(directory, { recursive: true, force: true });
      },
    });
  },
);
