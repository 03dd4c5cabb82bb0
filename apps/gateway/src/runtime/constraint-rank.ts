import {
  ARRAY_MAX_SIZE,
  ARRAY_MIN_SIZE,
  ARRAY_NOT_EMPTY,
  IS_ARRAY,
  IS_BOOLEAN,
  IS_BYTE_LENGTH,
  IS_DATE,
  IS_DEFINED,
  IS_ENUM,
  IS_IN,
  IS_INT,
  IS_LENGTH,
  IS_NEGATIVE,
  IS_NOT_EMPTY,
  IS_NUMBER,
  IS_OBJECT,
  IS_POSITIVE,
  IS_STRING,
  MAX,
  MAX_DATE,
  MAX_LENGTH,
  MIN,
  MIN_DATE,
  MIN_LENGTH,
  ValidationTypes,
} from 'class-validator';
import { NOT_NULL } from '../dto/rules';

/**
 * How basic a failed rule is, lowest first: a field that is absent or of the wrong type is
 * named as such before the range it would also miss. class-validator lists a field's failed
 * rules in the order their decorators apply (bottom-up), which says nothing about that.
 */
const PRESENCE = 0;
const TYPE = 1;
const FORMAT = 2;
const SIZE = 3;

/** What class-validator names its refusal of a value that is not an instance of a known class. */
export const UNKNOWN_VALUE = 'unknownValue';

const RANKS: Readonly<Record<string, number>> = {
  [ValidationTypes.WHITELIST]: PRESENCE,
  [UNKNOWN_VALUE]: PRESENCE,
  [IS_DEFINED]: PRESENCE,
  [IS_NOT_EMPTY]: PRESENCE,
  [NOT_NULL]: PRESENCE,
  [IS_ARRAY]: TYPE,
  [IS_BOOLEAN]: TYPE,
  [IS_DATE]: TYPE,
  [IS_ENUM]: TYPE,
  [IS_IN]: TYPE,
  [IS_INT]: TYPE,
  [IS_NUMBER]: TYPE,
  [IS_OBJECT]: TYPE,
  [IS_STRING]: TYPE,
  [ARRAY_MAX_SIZE]: SIZE,
  [ARRAY_MIN_SIZE]: SIZE,
  [ARRAY_NOT_EMPTY]: SIZE,
  [IS_BYTE_LENGTH]: SIZE,
  [IS_LENGTH]: SIZE,
  [IS_NEGATIVE]: SIZE,
  [IS_POSITIVE]: SIZE,
  [MAX]: SIZE,
  [MAX_DATE]: SIZE,
  [MAX_LENGTH]: SIZE,
  [MIN]: SIZE,
  [MIN_DATE]: SIZE,
  [MIN_LENGTH]: SIZE,
};

const rankOf = (constraint: string): number => RANKS[constraint] ?? FORMAT;

/**
 * The message of the most basic of a value's failed rules (the first class-validator lists
 * among equals): "must be an integer number" rather than the range an "abc" also misses.
 */
export function mostBasicFault(constraints: Readonly<Record<string, string>>): string | undefined {
  let first: string | undefined;
  for (const name of Object.keys(constraints)) {
    if (first === undefined || rankOf(name) < rankOf(first)) first = name;
  }
  return first === undefined ? undefined : constraints[first];
}
