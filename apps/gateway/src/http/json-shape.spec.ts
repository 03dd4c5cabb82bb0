import { BadRequestError, PayloadTooLargeError } from '@vecgate/core';
import { jsonShapeExcess, jsonShapeRefusal, JsonShapeBounds } from './json-shape';

const roomy: JsonShapeBounds = { maxNodes: 1_000_000, maxDepth: 1_000, maxKeyLength: 1_000 };

/** The nodes and depth a text has: the smallest bounds it passes within. */
function shapeOf(text: string): { nodes: number; depth: number } {
  let nodes = 0;
  while (jsonShapeExcess(text, { maxNodes: nodes, maxDepth: 1_000, maxKeyLength: 1_000 })) nodes++;
  let depth = 0;
  while (jsonShapeExcess(text, { maxNodes: 1_000_000, maxDepth: depth, maxKeyLength: 1_000 }))
    depth++;
  return { nodes, depth };
}

describe('the shape of a JSON body before it is parsed', () => {
  it('counts objects, arrays and keys, and how deep they nest', () => {
    expect(shapeOf('{"vectors":[{"id":"a","values":[1,2,3]}]}')).toEqual({ nodes: 7, depth: 4 });
    expect(shapeOf('[[],[[]],{}]')).toEqual({ nodes: 5, depth: 3 });
    expect(shapeOf('{"a":{"b":{"c":{}}}}')).toEqual({ nodes: 7, depth: 4 });
  });

  it('counts nothing for numbers, literals and whitespace', () => {
    expect(shapeOf('[1, -2.5e-3, 0.25E+7, true, false, null]\n')).toEqual({ nodes: 1, depth: 1 });
    expect(shapeOf('42')).toEqual({ nodes: 0, depth: 0 });
  });

  it('skips a list of numbers whole and counts what follows it', () => {
    expect(shapeOf('[1, 2e5, -3.5E-2 ,\n4,[5],{"a":[6,7,{"b":8}]}]')).toEqual({
      nodes: 7,
      depth: 4,
    });
    expect(shapeOf('{"v":[0.1,0.2],"w":[3,"{:",[]]}')).toEqual({ nodes: 6, depth: 3 });
  });

  it('counts no brace, bracket or colon inside a string', () => {
    expect(shapeOf('{"k":"{[:]}{{{:::"}')).toEqual({ nodes: 2, depth: 1 });
    expect(shapeOf('["{", "[", ":", "}", "]"]')).toEqual({ nodes: 1, depth: 1 });
    expect(shapeOf('{"a{b:c":1}')).toEqual({ nodes: 2, depth: 1 });
  });

  it('keeps a string open past an escaped quote', () => {
    expect(shapeOf('{"k":"say \\"{[:]}\\" twice"}')).toEqual({ nodes: 2, depth: 1 });
    expect(shapeOf('["\\"", "{"]')).toEqual({ nodes: 1, depth: 1 });
  });

  it('closes a string at a quote after an even run of backslashes', () => {
    // "a\\" is the string a\ ; what follows is structure again.
    expect(shapeOf('["a\\\\", {"b":[]}]')).toEqual({ nodes: 4, depth: 3 });
    expect(shapeOf('["a\\\\\\"{", {}]')).toEqual({ nodes: 2, depth: 2 });
  });

  it('skips unicode escapes like any other character of a string', () => {
    expect(shapeOf('{"\\u007b\\u005b":"\\u0022{\\u005c"}')).toEqual({ nodes: 2, depth: 1 });
    expect(shapeOf('{"ｔｅｎａｎｔ":"{😀[:"}')).toEqual({ nodes: 2, depth: 1 });
  });

  it('passes a body exactly at its bounds and refuses one node or level more', () => {
    const flat = `[${'{},'.repeat(9)}{}]`; // 11 nodes
    expect(
      jsonShapeExcess(flat, { maxNodes: 11, maxDepth: 2, maxKeyLength: 1_000 }),
    ).toBeUndefined();
    expect(jsonShapeExcess(flat, { maxNodes: 10, maxDepth: 2, maxKeyLength: 1_000 })).toEqual({
      bound: 'nodes',
      limit: 10,
      at: flat.length - 3,
    });
    const deep = `${'['.repeat(32)}${']'.repeat(32)}`;
    expect(
      jsonShapeExcess(deep, { maxNodes: 100, maxDepth: 32, maxKeyLength: 1_000 }),
    ).toBeUndefined();
    expect(
      jsonShapeExcess(`[${deep}]`, { maxNodes: 100, maxDepth: 32, maxKeyLength: 1_000 }),
    ).toEqual({
      bound: 'depth',
      limit: 32,
      at: 32,
    });
  });

  it('counts keys as nodes: an object of many keys passes the bound like many objects', () => {
    const keys = `{${Array.from({ length: 100 }, (_, i) => `"k${i}":${i}`).join(',')}}`;
    expect(
      jsonShapeExcess(keys, { maxNodes: 101, maxDepth: 1, maxKeyLength: 1_000 }),
    ).toBeUndefined();
    expect(jsonShapeExcess(keys, { maxNodes: 100, maxDepth: 1, maxKeyLength: 1_000 })?.bound).toBe(
      'nodes',
    );
  });

  it('stops at the first bound passed, not at the end of the text', () => {
    const hostile = `{"vectors":[${'{},'.repeat(100_000)}{}]}`;
    expect(jsonShapeExcess(hostile, { maxNodes: 1000, maxDepth: 32, maxKeyLength: 1_000 })).toEqual(
      {
        bound: 'nodes',
        limit: 1000,
        at: 12 + 3 * 997,
      },
    );
  });

  it('gives malformed text no verdict of its own: an unclosed string ends the scan', () => {
    expect(
      jsonShapeExcess('{"a": "{{{{', { maxNodes: 2, maxDepth: 1, maxKeyLength: 1_000 }),
    ).toBeUndefined();
    expect(
      jsonShapeExcess('}}}]]][', { maxNodes: 1, maxDepth: 1, maxKeyLength: 1_000 }),
    ).toBeUndefined();
    expect(jsonShapeExcess('"\\', roomy)).toBeUndefined();
  });

  it('stops at a key longer than its bound, counting a key as sent and never a value', () => {
    const bounds = { maxNodes: 100, maxDepth: 8, maxKeyLength: 8 };
    expect(jsonShapeExcess('{"12345678":"a value longer than eight"}', bounds)).toBeUndefined();
    expect(jsonShapeExcess('{"a":{"123456789":1}}', bounds)).toEqual({
      bound: 'key',
      limit: 8,
      at: 17,
    });
    // Escapes count as written: six characters for one \u00e9.
    expect(jsonShapeExcess('{"\\u00e9\\u00e9":1}', bounds)?.bound).toBe('key');
    expect(jsonShapeExcess('["123456789", "x"]', bounds)).toBeUndefined();
    const refusal = jsonShapeRefusal('{"123456789":1}', bounds);
    expect(refusal).toBeInstanceOf(BadRequestError);
    expect(refusal?.extras).toEqual({ field: 'body', reason: 'limit:key_length' });
  });

  it('refuses too many nodes with 413 and too deep a body with 400, each naming its bound', () => {
    const nodes = jsonShapeRefusal('[[],[]]', { maxNodes: 2, maxDepth: 32, maxKeyLength: 1_000 });
    expect(nodes).toBeInstanceOf(PayloadTooLargeError);
    expect(nodes?.message).toContain('MAX_BODY_NODES');
    expect(nodes?.extras).toEqual({ field: 'body', reason: 'limit:body_nodes' });
    const depth = jsonShapeRefusal('[[[]]]', { maxNodes: 100, maxDepth: 2, maxKeyLength: 1_000 });
    expect(depth).toBeInstanceOf(BadRequestError);
    expect(depth?.message).toContain('nested deeper than 2 levels');
    expect(depth?.extras).toEqual({ field: 'body', reason: 'limit:body_depth' });
    expect(
      jsonShapeRefusal('[[],[]]', { maxNodes: 3, maxDepth: 2, maxKeyLength: 1_000 }),
    ).toBeUndefined();
  });
});
