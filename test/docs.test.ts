/**
 * The documentation a newcomer reads: a README short enough to read first, every page under docs/ reachable from
 * it, and no link in any of them pointing at a file or a heading that is not there.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DOCS = path.join(ROOT, 'docs');

function read(file: string): string {
  return fs.readFileSync(path.join(ROOT, file), 'utf8');
}

/** The Markdown files of the repository a reader follows links between. */
function markdownFiles(): string[] {
  const pages = fs.readdirSync(DOCS).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`);
  return ['README.md', 'SECURITY.md', 'BENCHMARKS.md', 'CHANGELOG.md', 'vendor/twilio-oai/README.md', ...pages];
}

/** Markdown outside fenced code blocks. */
function prose(text: string): string {
  return text.replace(/^```[\s\S]*?^```/gm, '');
}

/** The anchors GitHub makes of a page's headings. */
function anchors(text: string): Set<string> {
  const seen = new Map<string, number>();
  const found = new Set<string>();
  for (const [, heading] of prose(text).matchAll(/^#{1,6}\s+(.+)$/gm)) {
    const slug = heading!.trim().toLowerCase().replace(/[^\p{L}\p{N} _-]/gu, '').replace(/ /g, '-');
    const count = seen.get(slug) ?? 0;
    seen.set(slug, count + 1);
    found.add(count === 0 ? slug : `${slug}-${count}`);
  }
  return found;
}

function links(text: string): string[] {
  return [...prose(text).matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1]!).filter((target) => !/^[a-z]+:/.test(target));
}

test('the README is at most 250 lines and opens with the two quick-start commands', () => {
  const readme = read('README.md');
  assert.ok(readme.split('\n').length <= 250, `README.md has ${readme.split('\n').length} lines`);
  const quickStart = /## Quick start\s+```sh\n(.*)\n(.*)\n```/.exec(readme);
  assert.ok(quickStart, 'a Quick start section with one sh block');
  assert.match(quickStart[1]!, /^npm ci && npm start\s/);
  assert.match(quickStart[2]!, /^npm ci && npm test\s/);
});

test('every page under docs/ is linked from the README', () => {
  const linked = new Set(links(read('README.md')).map((target) => target.split('#')[0]));
  const pages = fs.readdirSync(DOCS).filter((name) => name.endsWith('.md')).map((name) => `docs/${name}`);
  assert.deepEqual(pages.filter((page) => !linked.has(page)), []);
  for (const page of ['SECURITY.md', 'BENCHMARKS.md', 'CHANGELOG.md']) assert.ok(linked.has(page), `the README links ${page}`);
});

test('every relative link in the docs names a file that exists, and a heading that exists in it', () => {
  const broken: string[] = [];
  for (const file of markdownFiles()) {
    for (const target of links(read(file))) {
      const [targetFile, anchor] = target.split('#') as [string, string | undefined];
      const resolved = targetFile === '' ? file : path.posix.normalize(path.posix.join(path.posix.dirname(file), targetFile));
      if (!fs.existsSync(path.join(ROOT, resolved))) broken.push(`${file}: ${target} (no such file)`);
      else if (anchor !== undefined && resolved.endsWith('.md') && !anchors(read(resolved)).has(anchor)) broken.push(`${file}: ${target} (no such heading)`);
    }
  }
  assert.deepEqual(broken, []);
});

test('paytone is under the Apache License 2.0 and its NOTICE names what it bundles under another licence', () => {
  const licence = read('LICENSE');
  assert.match(licence, /^\s*Apache License\s+Version 2\.0, January 2004/);
  assert.match(licence, /END OF TERMS AND CONDITIONS/);
  const manifest = JSON.parse(read('package.json')) as { license?: string };
  assert.equal(manifest.license, 'Apache-2.0');
  const notice = read('NOTICE');
  for (const bundled of ['vendor/twilio-oai/twilio_api_v2010.excerpt.json', 'src/ops/twilio-operations.json']) {
    assert.ok(fs.existsSync(path.join(ROOT, bundled)), `${bundled} exists`);
    assert.ok(notice.includes(bundled), `NOTICE names ${bundled}`);
  }
  assert.match(notice, /MIT License/);
  assert.match(notice, /https:\/\/github\.com\/twilio\/twilio-oai/);
});
