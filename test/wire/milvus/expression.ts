/**
 * A model of how Milvus evaluates the expressions vecgate emits, used by the filter unit spec
 * and by the wire stub's row model. The rules are those of segcore as read in the Milvus
 * sources: `json_contains` reads the array at the path and compares elements of the template
 * value's type (an int64 value only matches integer elements, a double value any number); a
 * comparison reads the value at the path (an int64 value falls back to a double read; VarChar
 * compares as bytes); a
 * missing path, or a null field, is false; `in` compares a scalar field with a list.
 */
type Token = { kind: 'op' | 'ident' | 'string' | 'placeholder'; text: string };

function tokenize(expr: string): Token[] {
  const tokens: Token[] = [];
  const pattern =
    /\s*(?:(&&|\|\||==|>=|<=|[()[\],!<>])|([A-Za-z_][A-Za-z0-9_]*)|"((?:[^"\\]|\\.)*)"|\{([A-Za-z_][A-Za-z0-9_]*)\})/y;
  let at = 0;
  while (at < expr.length) {
    pattern.lastIndex = at;
    const m = pattern.exec(expr);
    if (!m) throw new Error(`cannot tokenize at ${at}: ${expr.slice(at)}`);
    if (m[1] !== undefined) tokens.push({ kind: 'op', text: m[1] });
    else if (m[2] !== undefined) tokens.push({ kind: 'ident', text: m[2] });
    else if (m[3] !== undefined) tokens.push({ kind: 'string', text: m[3] });
    else if (m[4] !== undefined) tokens.push({ kind: 'placeholder', text: m[4] });
    at = pattern.lastIndex;
  }
  return tokens;
}

/** The fields an expression reads (its identifiers other than functions and `in`). */
export function fieldNames(expr: string): string[] {
  const words = new Set(['json_contains', 'json_contains_any', 'in']);
  const names = tokenize(expr).filter((t) => t.kind === 'ident' && !words.has(t.text));
  return [...new Set(names.map((t) => t.text))];
}

export type Row = Record<string, unknown>;
export type Predicate = (row: Row) => boolean;

function isNumber(v: unknown): v is number {
  return typeof v === 'number';
}

function typedEquals(element: unknown, value: unknown): boolean {
  if (typeof value === 'number') {
    return Number.isInteger(value)
      ? isNumber(element) && Number.isInteger(element) && element === value
      : isNumber(element) && element === value;
  }
  return typeof element === typeof value && element === value;
}

/**
 * The order of a field value and a template value: numbers by value, strings (VarChar) as
 * bytes, as segcore compares `std::string`s; anything else does not compare.
 */
function compared(x: unknown, v: unknown): number | undefined {
  if (isNumber(x) && isNumber(v)) return x - v;
  if (typeof x === 'string' && typeof v === 'string')
    return Buffer.compare(Buffer.from(x, 'utf8'), Buffer.from(v, 'utf8'));
  return undefined;
}

/** The predicate an expression and its template values select rows with. */
export function parse(expr: string, values: Readonly<Record<string, unknown>>): Predicate {
  const tokens = tokenize(expr);
  let i = 0;
  const peek = () => tokens[i];
  const take = (text?: string): Token => {
    const t = tokens[i++];
    if (!t || (text !== undefined && t.text !== text)) throw new Error(`expected ${text} at ${i}`);
    return t;
  };
  const value = (): unknown => {
    const t = take();
    if (t.kind !== 'placeholder') throw new Error('values must be placeholders');
    if (!(t.text in values)) throw new Error(`unbound placeholder ${t.text}`);
    return values[t.text];
  };
  const path = (): ((row: Row) => unknown) => {
    const field = take();
    if (field.kind !== 'ident') throw new Error('expected a field');
    const keys: string[] = [];
    while (peek()?.text === '[') {
      take('[');
      const key = take();
      if (key.kind !== 'string') throw new Error('expected a JSON key');
      keys.push(key.text);
      take(']');
    }
    return (row) =>
      keys.reduce<unknown>(
        (node, key) =>
          node !== null && typeof node === 'object' && Object.hasOwn(node, key)
            ? (node as Record<string, unknown>)[key]
            : undefined,
        row[field.text],
      );
  };
  const atom = (): Predicate => {
    const t = peek();
    if (t?.text === '(') {
      take('(');
      const inner = or();
      take(')');
      return inner;
    }
    if (t?.text === 'json_contains' || t?.text === 'json_contains_any') {
      take();
      take('(');
      const at = path();
      take(',');
      const v = value();
      take(')');
      const wanted = t.text === 'json_contains' ? [v] : (v as unknown[]);
      return (row) => {
        const list = at(row);
        return Array.isArray(list) && list.some((e) => wanted.some((w) => typedEquals(e, w)));
      };
    }
    const at = path();
    const op = take().text;
    if (op === 'in') {
      const v = value() as unknown[];
      return (row) => v.includes(at(row));
    }
    const v = value();
    return (row) => {
      const x = at(row);
      if (op === '==') return typedEquals(x, v);
      const order = compared(x, v);
      if (order === undefined) return false;
      return op === '>'
        ? order > 0
        : op === '>='
          ? order >= 0
          : op === '<'
            ? order < 0
            : order <= 0;
    };
  };
  const not = (): Predicate => {
    if (peek()?.text === '!') {
      take('!');
      const inner = not();
      return (row) => !inner(row);
    }
    return atom();
  };
  /** Operands joined by one operator: all of them must hold for `&&`, one for `||`. */
  const joined = (op: '&&' | '||', operand: () => Predicate): Predicate => {
    const parts = [operand()];
    while (peek()?.text === op) {
      take(op);
      parts.push(operand());
    }
    return op === '&&' ? (row) => parts.every((p) => p(row)) : (row) => parts.some((p) => p(row));
  };
  const and = (): Predicate => joined('&&', not);
  const or = (): Predicate => joined('||', and);
  const predicate = or();
  if (i !== tokens.length) throw new Error(`trailing tokens in ${expr}`);
  return predicate;
}
