import { BadRequestError, elided, ERROR_FIELD_MAX, ERROR_MESSAGE_MAX } from './vecgate.error';

describe('VecgateError', () => {
  it('keeps a message and field of ordinary length as they are', () => {
    const error = new BadRequestError('topK must be an integer number', 'topK', 'why');
    expect(error.message).toBe('topK must be an integer number');
    expect(error.extras).toEqual({ field: 'topK', reason: 'why' });
  });

  it("bounds a message or field that names a caller's key of megabytes, keeping both ends", () => {
    const key = 'k'.repeat(5_000_000);
    const error = new BadRequestError(`property ${key} should not exist`, key);
    expect(error.message.length).toBeLessThan(ERROR_MESSAGE_MAX + 40);
    expect(error.message.startsWith('property kkk')).toBe(true);
    expect(error.message.endsWith('kkk should not exist')).toBe(true);
    expect(error.message).toMatch(/…\(\d+ characters\)…/);
    expect(error.extras.field?.length).toBeLessThan(ERROR_FIELD_MAX + 40);
  });

  it('counts what it leaves out', () => {
    expect(elided('abcdefghij', 8)).toBe('abcdef…(2 characters)…ij');
    expect(elided('abcdefgh', 8)).toBe('abcdefgh');
  });
});
