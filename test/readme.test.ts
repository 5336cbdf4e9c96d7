/**
 * The README is the user's manual: its quick start must run as written, it must stay short, and its links
 * (and those of docs/*.md) must lead somewhere.
 *
 * The quick start's command lines (`npx spinalnet …`, `npm start …`, `node bin/spinalnet.js …` in a code
 * block of the "Quick start" section) run in the repository root with `npx spinalnet` mapped to
 * `node bin/spinalnet.js`; every `--out` folder, and any argument inside it, is moved into a temporary
 * folder. The files the section names in backticks (`overview.png`, `model/`, …) must then exist in the
 * output folders: those named in the paragraphs that name an output folder (`outputs/demo/`).
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const README = join(ROOT, 'README.md');
const DOCS = join(ROOT, 'docs');

/** The text of a `## ` section (up to the next `## ` heading), or undefined. */
export function section(markdown: string, title: string): string | undefined {
  const lines = markdown.split('\n');
  const start = lines.findIndex((l) => l.trim() === `## ${title}`);
  if (start < 0) return undefined;
  const end = lines.findIndex((l, i) => i > start && /^## /.test(l));
  return lines.slice(start + 1, end < 0 ? undefined : end).join('\n');
}

/** For each line, whether it is code: inside a fenced block (``` or ~~~, fences included) or an indented block
 * (4 spaces or a tab after a blank line, which cannot interrupt a paragraph). */
function codeMask(lines: readonly string[]): boolean[] {
  const mask: boolean[] = [];
  let fenced = false;
  let indented = false;
  let previousBlank = true;
  for (const line of lines) {
    const blank = line.trim() === '';
    if (/^\s*(```|~~~)/.test(line)) {
      fenced = !fenced;
      mask.push(true);
    } else if (fenced) {
      mask.push(true);
    } else if (/^( {4}|\t)/.test(line) && !blank && (previousBlank || indented)) {
      indented = true;
      mask.push(true);
    } else {
      if (!blank) indented = false;
      mask.push(indented && blank);
    }
    previousBlank = blank;
  }
  return mask;
}

/** Lines of fenced and indented code blocks, without their indent. */
export function codeLines(markdown: string): string[] {
  const lines = markdown.split('\n');
  const mask = codeMask(lines);
  return lines.filter((l, i) => mask[i] && !/^\s*(```|~~~)/.test(l)).map((l) => l.replace(/^( {4}|\t)/, ''));
}

/** Splits a command line into words: whitespace-separated, with '…' and "…" quoting; a # comment ends it. */
export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word: string | undefined;
  let quote: string | undefined;
  for (const ch of line) {
    if (quote) {
      if (ch === quote) quote = undefined;
      else word = (word ?? '') + ch;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
      word = word ?? '';
    } else if (/\s/.test(ch)) {
      if (word !== undefined) words.push(word);
      word = undefined;
    } else if (ch === '#' && word === undefined) {
      break;
    } else {
      word = (word ?? '') + ch;
    }
  }
  if (word !== undefined) words.push(word);
  return words;
}

/** The spinalnet arguments of a quick-start line, or undefined when the line is not a spinalnet command. */
export function spinalnetArgs(line: string): string[] | undefined {
  const words = shellWords(line.trim());
  if (words[0] === 'npx' && words[1] === 'spinalnet') return words.slice(2);
  if (words[0] === 'node' && words[1] === 'bin/spinalnet.js') return words.slice(2);
  if (words[0] === 'npm' && (words[1] === 'start' || (words[1] === 'run' && words[2] === 'start'))) {
    const rest = words.slice(words[1] === 'start' ? 2 : 3);
    return ['run', ...(rest[0] === '--' ? rest.slice(1) : rest)];
  }
  return undefined;
}

/** GitHub's anchor for a heading's text. */
export function slug(heading: string): string {
  const text = heading
    .replace(/!?\[([^\]]*)\]\([^)]*\)/g, '$1') // links: their text
    .replace(/`/g, '')
    .trim()
    .toLowerCase();
  return text.replace(/[^\p{L}\p{M}\p{N}\p{Pc} -]/gu, '').replace(/ /g, '-');
}

/** The anchors of a Markdown file's headings (duplicates numbered as GitHub does). */
function anchors(markdown: string): Set<string> {
  const seen = new Map<string, number>();
  const out = new Set<string>();
  const lines = markdown.split('\n');
  const mask = codeMask(lines);
  for (const [i, line] of lines.entries()) {
    if (mask[i]) continue;
    const m = /^#{1,6}\s+(.*?)\s*#*\s*$/.exec(line);
    if (!m) continue;
    const base = slug(m[1]!);
    const n = seen.get(base) ?? 0;
    seen.set(base, n + 1);
    out.add(n === 0 ? base : `${base}-${n}`);
  }
  return out;
}

/** Link targets outside code (fenced, indented or inline). */
export function linkTargets(markdown: string): string[] {
  const lines = markdown.split('\n');
  const mask = codeMask(lines);
  const targets: string[] = [];
  lines.forEach((line, i) => {
    if (mask[i]) return;
    const text = line.replace(/`[^`]*`/g, '');
    for (const m of text.matchAll(/!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+"[^"]*")?\s*\)/g)) targets.push(m[1]!);
  });
  return targets;
}

/** Broken relative links of one Markdown file: missing files, and missing headings in Markdown targets. */
function brokenLinks(file: string): string[] {
  const broken: string[] = [];
  for (const target of linkTargets(readFileSync(file, 'utf8'))) {
    if (/^[a-z][a-z0-9+.-]*:/i.test(target)) continue; // https:, mailto:, …
    const [path, anchor] = target.split('#', 2) as [string, string | undefined];
    const resolved = path === '' ? file : resolve(dirname(file), decodeURI(path));
    if (!existsSync(resolved)) {
      broken.push(`${target} (no such file)`);
      continue;
    }
    if (anchor && resolved.endsWith('.md') && statSync(resolved).isFile()) {
      if (!anchors(readFileSync(resolved, 'utf8')).has(decodeURIComponent(anchor))) broken.push(`${target} (no such heading)`);
    }
  }
  return broken;
}

/** Runs bin/spinalnet.js in the repository root without blocking this worker (vitest talks to it meanwhile). */
function runCli(args: readonly string[]): Promise<{ status: number | null; stderr: string }> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(ROOT, 'bin/spinalnet.js'), ...args], {
      cwd: ROOT,
      env: { ...process.env, NO_COLOR: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
      timeout: 280_000,
    });
    let stderr = '';
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    child.on('error', fail);
    child.on('close', (status) => done({ status, stderr }));
  });
}

describe('README.md', () => {
  const readme = readFileSync(README, 'utf8');
  const temp = mkdtempSync(join(tmpdir(), 'spinalnet-readme-'));
  afterAll(() => rmSync(temp, { recursive: true, force: true }));

  it('is at most 300 lines', () => {
    expect(readme.split('\n').length - (readme.endsWith('\n') ? 1 : 0)).toBeLessThanOrEqual(300);
  });

  it('has every relative link of README.md and docs/*.md resolve', () => {
    const files = [README, ...readdirSync(DOCS).filter((f) => f.endsWith('.md')).map((f) => join(DOCS, f))];
    const broken = files.flatMap((f) => brokenLinks(f).map((b) => `${f.slice(ROOT.length + 1)}: ${b}`));
    expect(broken).toEqual([]);
  });

  it('runs the quick start as written and leaves the outputs it names', async () => {
    const quick = section(readme, 'Quick start');
    expect(quick, 'README.md has a "## Quick start" section').toBeDefined();
    const commands = codeLines(quick!).map(spinalnetArgs).filter((a): a is string[] => a !== undefined);
    expect(commands.length).toBeGreaterThan(0);

    // Every --out folder (and anything under it, e.g. --model outputs/demo/model) goes into the temp folder.
    const outs = commands.flatMap((args) => args.flatMap((a, i) => (args[i - 1] === '--out' ? [a] : [])));
    const moved = (arg: string): string => {
      const out = outs.find((o) => arg === o || arg.startsWith(`${o.replace(/\/$/, '')}/`));
      return out === undefined ? arg : join(temp, arg);
    };

    for (const args of commands) {
      const argv = args.map(moved);
      const result = await runCli(argv);
      expect(result.status, `spinalnet ${args.join(' ')}\n${result.stderr}`).toBe(0);
    }

    // The files named (`overview.png`, `model/`…) in the paragraphs that name an output folder appear there.
    const mentionsOut = (p: string): boolean => outs.some((o) => p.includes(`\`${o}\``) || p.includes(`\`${o.replace(/\/$/, '')}/\``));
    const paragraphs = quick!.split(/\n\s*\n/).filter(mentionsOut);
    const named = paragraphs
      .flatMap((p) => [...p.matchAll(/`([^`\s]+)`/g)])
      .map((m) => m[1]!)
      .filter((n) => /^[\w.-]+(\.(png|tif|json|md|html|mat|hdr|dat|xml)|\/)$/.test(n));
    expect(named.length).toBeGreaterThan(0);
    const folders = outs.map((o) => join(temp, o));
    for (const name of named) {
      const found = folders.some((f) => existsSync(join(f, name)) && (!name.endsWith('/') || statSync(join(f, name)).isDirectory()));
      expect(found, `${name} in ${outs.join(', ')}`).toBe(true);
    }
  }, 300_000);
});
