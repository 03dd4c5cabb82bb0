/** Longest subject a token may carry, minted or verified. */
export const SUBJECT_MAX = 256;

/**
 * Printable text: no control, format (bidi overrides, zero-width), private-use, unassigned or
 * surrogate code points, no line or paragraph separators, and no space at either end. Such a
 * subject cannot hide, rewrite or fake lines of a log or an audit view.
 */
const PRINTABLE = /^[^\p{C}\p{Z}](?:[^\p{C}\p{Zl}\p{Zp}]*[^\p{C}\p{Z}])?$/u;

/** Why a subject is refused, or undefined when it is acceptable. */
export function subjectProblem(subject: unknown): string | undefined {
  if (typeof subject !== 'string' || subject.length === 0) return 'must be a non-empty string';
  if (subject.length > SUBJECT_MAX) return `must be at most ${SUBJECT_MAX} characters`;
  if (!PRINTABLE.test(subject)) {
    return 'must be printable: no control or format characters, no leading or trailing space';
  }
  return undefined;
}
