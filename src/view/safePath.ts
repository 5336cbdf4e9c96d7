/**
 * Maps a request path onto a file inside one folder, or refuses. Refused: `..` segments, absolute or
 * drive paths, backslashes, NUL, percent-encoded separators or dots that decode into any of those,
 * dot-files, and anything whose real path (after symlinks) leaves the folder or is not a regular file.
 */
import { realpathSync, statSync } from 'node:fs';
import { join, sep } from 'node:path';

/**
 * The real path of `requestPath` (URL-encoded, relative, '/'-separated) inside `root` (itself a real
 * path), or undefined when it must not be served.
 */
export function resolveInside(root: string, requestPath: string): string | undefined {
  let decoded: string;
  try {
    decoded = decodeURIComponent(requestPath);
  } catch {
    return undefined; // malformed %-escape
  }
  // Encoded separators are refused outright: a name never needs them, and they hide traversal.
  if (/%2f|%5c|%2e/i.test(requestPath)) return undefined;
  if (decoded === '' || decoded.includes('\0') || decoded.includes('\\') || decoded.startsWith('/') || /^[a-z]:/i.test(decoded)) return undefined;
  const parts = decoded.split('/');
  if (parts.some((p) => p === '' || p === '.' || p === '..' || p.startsWith('.'))) return undefined;
  let real: string;
  try {
    real = realpathSync(join(root, ...parts));
  } catch {
    return undefined;
  }
  if (!real.startsWith(root + sep)) return undefined;
  try {
    return statSync(real).isFile() ? real : undefined;
  } catch {
    return undefined;
  }
}
