import { getMetadataStorage } from 'class-validator';
import type { ValidationMetadata } from 'class-validator/types/metadata/ValidationMetadata';

type Lookup = (
  target: object,
  schema: string | undefined,
  always: boolean,
  strictGroups: boolean,
  groups?: string[],
) => ValidationMetadata[];
type Group = (metadata: ValidationMetadata[]) => Record<string, ValidationMetadata[]>;

interface Storage {
  getTargetValidationMetadatas: Lookup;
  groupByPropertyName: Group;
  addValidationMetadata(...args: unknown[]): unknown;
  addConstraintMetadata(...args: unknown[]): unknown;
  addValidationSchema(...args: unknown[]): unknown;
}

const CACHED = Symbol.for('vecgate.validationMetadataCache');

/**
 * class-validator looks up a class's validation metadata on every `validate` call: it filters
 * the class's list and tests the class against every other validated class with `instanceof`
 * (for inherited rules), then groups the result by property, about 5 µs per request body here.
 * Metadata only changes when a class with validation decorators is defined, so this remembers
 * both answers per class and options, and forgets them all whenever metadata is added. The
 * remembered lists are only read by class-validator, never changed. Installing it twice is
 * harmless.
 */
export function installValidationMetadataCache(): void {
  const storage = getMetadataStorage() as unknown as Storage & { [CACHED]?: true };
  if (storage[CACHED]) return;
  const lookup = storage.getTargetValidationMetadatas.bind(storage);
  const group = storage.groupByPropertyName.bind(storage);
  let lists = new WeakMap<object, Map<string, ValidationMetadata[]>>();
  let groups = new WeakMap<ValidationMetadata[], Record<string, ValidationMetadata[]>>();
  const forget = (): void => {
    lists = new WeakMap();
    groups = new WeakMap();
  };
  for (const name of [
    'addValidationMetadata',
    'addConstraintMetadata',
    'addValidationSchema',
  ] as const) {
    const add = storage[name].bind(storage);
    storage[name] = (...args: unknown[]) => {
      forget();
      return add(...args);
    };
  }
  storage.getTargetValidationMetadatas = (target, schema, always, strictGroups, names) => {
    const key = `${schema ?? ''}\u0000${always}\u0000${strictGroups}\u0000${names?.join('\u0001') ?? '\u0002'}`;
    let byKey = lists.get(target);
    const known = byKey?.get(key);
    if (known) return known;
    const list = lookup(target, schema, always, strictGroups, names);
    if (!byKey) lists.set(target, (byKey = new Map<string, ValidationMetadata[]>()));
    byKey.set(key, list);
    return list;
  };
  storage.groupByPropertyName = (metadata) => {
    const known = groups.get(metadata);
    if (known) return known;
    const grouped = group(metadata);
    groups.set(metadata, grouped);
    return grouped;
  };
  Object.defineProperty(storage, CACHED, { value: true });
}
