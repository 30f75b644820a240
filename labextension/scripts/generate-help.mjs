/**
 * Generate src/generated/help.ts from the README's "Using it" section, which the Help menu's
 * "Labcontainer Help" shows: one text for both, and it travels inside the extension (the
 * README is not installed with the package).
 *
 *   node scripts/generate-help.mjs          write the file (jlpm gen:help)
 *   node scripts/generate-help.mjs --check  exit 1 when the committed file is stale (jlpm check:help)
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const readmePath = resolve(root, '..', 'README.md');
const outputPath = resolve(root, 'src', 'generated', 'help.ts');
const HEADING = '## Using it';

async function generate() {
  const readme = await readFile(readmePath, 'utf8');
  const start = readme.indexOf(`\n${HEADING}\n`);
  if (start < 0) {
    throw new Error(`README.md has no "${HEADING}" section; update scripts/generate-help.mjs`);
  }
  const rest = readme.slice(start + 1);
  const end = rest.indexOf('\n## ', HEADING.length);
  const section = (end < 0 ? rest : rest.slice(0, end)).trim();
  return [
    '// Generated from README.md ("Using it") by labextension/scripts/generate-help.mjs. Do not edit: run `jlpm gen:help`.',
    '/* eslint-disable */',
    '',
    '/** The README\'s "Using it" section (Markdown), shown by Help > Labcontainer Help. */',
    `export const USAGE_MARKDOWN = ${JSON.stringify(section)};`,
    ''
  ].join('\n');
}

const text = await generate();
if (process.argv.includes('--check')) {
  const committed = await readFile(outputPath, 'utf8').catch(() => null);
  if (committed !== text) {
    console.error(
      `src/generated/help.ts is ${committed === null ? 'missing' : 'out of date'}: it does not match README.md.\n` +
        'Run `jlpm gen:help` and commit the result.'
    );
    process.exit(1);
  }
  console.log('src/generated/help.ts matches README.md.');
} else {
  await mkdir(dirname(outputPath), { recursive: true });
  await writeFile(outputPath, text);
  console.log('Wrote src/generated/help.ts from README.md.');
}
