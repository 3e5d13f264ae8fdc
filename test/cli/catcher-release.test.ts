import { describe, expect, it } from 'vitest';
import type { HttpError } from '../../src/cli/catcher/http.js';
import { releaseRecipients } from '../../src/cli/catcher/release.js';

describe('the recipients of a release', () => {
  const original = ['bob@example.org', 'Carol@example.org'];
  const statusOf = (body: unknown, recipients: readonly string[]) => {
    try {
      releaseRecipients(body, recipients);
    } catch (error) {
      return (error as HttpError).status;
    }
    return 200;
  };

  it("are the message's own: all of them, or those named, spelled as the envelope has them", () => {
    expect(releaseRecipients({}, original)).toEqual(original);
    expect(releaseRecipients({ to: 'carol@EXAMPLE.org' }, original)).toEqual(['Carol@example.org']);
    expect(statusOf({ to: ['eve@example.com'] }, original)).toBe(400);
  });

  it('a message with no recipients at all cannot be released: 409, not a failed send', () => {
    expect(statusOf({}, [])).toBe(409);
    expect(statusOf({ to: ['bob@example.org'] }, [])).toBe(409);
  });
});
