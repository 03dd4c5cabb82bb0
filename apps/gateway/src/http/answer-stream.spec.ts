import { StreamableFile } from '@nestjs/common';
import { Writable } from 'node:stream';
import { setImmediate as nextTurn } from 'node:timers/promises';
import {
  matchesStream,
  STREAM_ANSWER_FLOATS,
  STREAM_ANSWER_METADATA_CHARS,
  STREAM_TURN_CHARS,
  streamIfLarge,
} from './answer-stream';

function answerOf(count: number, dimension: number, built = { count: 0 }) {
  return {
    matches: Array.from({ length: count }, (_, i) => {
      const match = {
        id: `m${i}`,
        score: 1 - i / 1000,
        metadata: { i, tag: 'x"\\u2028' },
        values: Array.from({ length: dimension }, (_, j) => (i + j) / 7),
      };
      // Counts the matches JSON.stringify was asked to build.
      return { ...match, toJSON: () => (built.count++, match) };
    }),
  };
}

async function text(stream: NodeJS.ReadableStream): Promise<string> {
  let out = '';
  for await (const chunk of stream) out += String(chunk);
  return out;
}

describe('matchesStream', () => {
  it.each([0, 1, 3, 40])('writes exactly the JSON of an answer of %i matches', async (count) => {
    const answer = answerOf(count, 300);
    expect(await text(matchesStream(answer))).toBe(JSON.stringify(answer));
  });

  it('keeps the fields beside the matches (a dialect answer’s namespace and usage)', async () => {
    const answer = { ...answerOf(3, 300), namespace: 'docs', usage: { readUnits: 1 } };
    const streamed = await text(matchesStream(answer));
    expect(streamed).toBe(JSON.stringify(answer));
    expect(JSON.parse(streamed)).toMatchObject({ namespace: 'docs', usage: { readUnits: 1 } });
  });

  it('builds no more than about one match ahead of a client that does not read', async () => {
    const built = { count: 0 };
    const answer = answerOf(100, 4096, built);
    // A socket whose peer never reads: the first write is never acknowledged.
    const stalled = new Writable({ highWaterMark: 16 * 1024, write: () => undefined });
    matchesStream(answer).pipe(stalled);
    for (let i = 0; i < 20; i++) await nextTurn();
    expect(built.count).toBeGreaterThan(0);
    expect(built.count).toBeLessThanOrEqual(2);
  });

  it('builds at most about STREAM_TURN_CHARS of JSON per turn for a client that takes everything', async () => {
    const built = { count: 0 };
    // About 2 KB of JSON per match, 1,000 matches: some 2 MB in all.
    const answer = answerOf(1000, 100, built);
    const perMatch = JSON.stringify(answer.matches[0]).length;
    built.count = 0;
    // A client that takes every chunk at once, as one on loopback does.
    const eager = new Writable({ write: (_chunk, _encoding, done) => done() });
    const ended = new Promise((resolve) => eager.on('finish', resolve));
    matchesStream(answer).pipe(eager);
    let finished = false;
    void ended.then(() => (finished = true));
    let most = 0;
    let turns = 0;
    while (!finished) {
      const before = built.count;
      await nextTurn();
      most = Math.max(most, built.count - before);
      turns++;
    }
    expect(built.count).toBe(1000);
    expect(most).toBeLessThanOrEqual(Math.ceil(STREAM_TURN_CHARS / perMatch) + 1);
    expect(turns).toBeGreaterThanOrEqual(Math.floor((1000 * perMatch) / STREAM_TURN_CHARS));
  });
});

describe('streamIfLarge', () => {
  it('streams an answer past the bound, as JSON', () => {
    const dimension = 512;
    const count = Math.floor(STREAM_ANSWER_FLOATS / dimension) + 1;
    const streamed = streamIfLarge(answerOf(count, dimension));
    expect(streamed).toBeInstanceOf(StreamableFile);
    expect((streamed as StreamableFile).getHeaders().type).toBe('application/json; charset=utf-8');
  });

  it('streams an answer whose metadata is past the bound, even without values', () => {
    const page = 'x'.repeat(40_000);
    const count = Math.ceil(STREAM_ANSWER_METADATA_CHARS / page.length) + 1;
    const matches = Array.from({ length: count }, (_, i) => ({
      id: `m${i}`,
      score: 1,
      metadata: { text: page },
    }));
    expect(streamIfLarge({ matches })).toBeInstanceOf(StreamableFile);
    const fewer = { matches: matches.slice(0, 5) };
    expect(streamIfLarge(fewer)).toBe(fewer);
  });

  it('leaves answers within the bound, and anything else, as they are', () => {
    const small = answerOf(Math.floor(STREAM_ANSWER_FLOATS / 512), 512);
    expect(streamIfLarge(small)).toBe(small);
    const noValues = { matches: [{ id: 'a', score: 1 }] };
    expect(streamIfLarge(noValues)).toBe(noValues);
    expect(streamIfLarge({ upserted: 3 })).toEqual({ upserted: 3 });
    expect(streamIfLarge(undefined)).toBeUndefined();
  });

  it('writes null for an item with no JSON, as JSON.stringify of the whole answer does', async () => {
    const answer = { result: [...answerOf(40, 600).matches, undefined], status: 'ok' };
    const streamed = streamIfLarge(answer) as StreamableFile;
    expect(await text(streamed.getStream())).toBe(JSON.stringify(answer));
  });

  it('fails the one answer, not the process, when an item cannot be written', async () => {
    const cyclic: Record<string, unknown> = { id: 'c' };
    cyclic.self = cyclic;
    const answer = { matches: [...answerOf(40, 600).matches, cyclic] };
    const stream = (streamIfLarge(answer) as StreamableFile).getStream();
    await expect(text(stream)).rejects.toThrow(/circular/);
    expect(stream.destroyed).toBe(true);
  });

  describe("Qdrant's answers", () => {
    const points = (count: number) =>
      Array.from({ length: count }, (_, i) => ({
        id: i,
        version: 0,
        score: 1 - i / 1000,
        payload: { text: 'x'.repeat(4000), n: i },
        vector: [0.25, -0.5],
      }));
    const streamedText = (answer: unknown): Promise<string> => {
      const streamed = streamIfLarge(answer);
      expect(streamed).toBeInstanceOf(StreamableFile);
      return text((streamed as StreamableFile).getStream());
    };

    it('streams a large list in `result` (search, retrieve), as JSON', async () => {
      const answer = { result: points(100), status: 'ok', time: 0.002 };
      expect(await streamedText(answer)).toBe(JSON.stringify(answer));
    });

    it('streams a large list in `result.points` (query, scroll), as JSON', async () => {
      const answer = {
        result: { points: points(100), next_page_offset: 100 },
        status: 'ok',
        time: 0.002,
      };
      expect(await streamedText(answer)).toBe(JSON.stringify(answer));
    });

    it('leaves small lists and answers without a list as they are', () => {
      const small = { result: points(10), status: 'ok', time: 0.001 };
      expect(streamIfLarge(small)).toBe(small);
      const count = { result: { count: 3 }, status: 'ok', time: 0.001 };
      expect(streamIfLarge(count)).toBe(count);
    });
  });
});
