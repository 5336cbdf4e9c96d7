/** Queue URLs: what is accepted, and the password never shown. (No Redis needed.) */
import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../src/core/errors.ts';
import { parseQueueUrl, redact } from '../../src/queue/connection.ts';

describe('queue URLs', () => {
  it('accepts redis:// and rediss:// with password and database, and hides the password', () => {
    const q = parseQueueUrl('rediss://:p%40ss-w0rd@lab.example:6380/2');
    expect(q.shown).toBe('rediss://:***@lab.example:6380/2');
    expect(q.password).toBe('p@ss-w0rd');
    expect(redact(q, 'AUTH p@ss-w0rd failed for rediss://:p%40ss-w0rd@lab.example:6380')).toBe('AUTH *** failed for rediss://:***@lab.example:6380');
    expect(parseQueueUrl('redis://127.0.0.1:6379').shown).toBe('redis://127.0.0.1:6379');
  });
  it('refuses other schemes and paths with a ConfigError that does not print the password', () => {
    for (const bad of ['http://:secret1@host:6379', 'redis://:secret1@host:6379/queue', 'not a url :secret1@']) {
      let err: unknown;
      try {
        parseQueueUrl(bad);
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(ConfigError);
      expect((err as Error).message).not.toContain('secret1');
    }
  });
});
