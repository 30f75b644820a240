/**
 * Generate src/generated/rest.ts from the REST contract, labcontainer/server/rest_schema.json.
 *
 *   node scripts/generate-types.mjs          write the file (jlpm gen:types)
 *   node scripts/generate-types.mjs --check  exit 1 when the committed file is stale (jlpm check:types)
 */
import { readFile, writeFile, mkdir } from 'node:fs/promises';
import { dirname, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

import { compile } from 'json-schema-to-typescript';

const here = dirname(fileURLToPath(import.meta.url));
const root = resolve(here, '..');
const schemaPath = resolve(root, '..', 'labcontainer', 'server', 'rest_schema.json');
const outputPath = resolve(root, 'src', 'generated', 'rest.ts');
const schemaName = relative(resolve(root, '..'), schemaPath).split('\\').join('/');
const outputName = relative(root, outputPath).split('\\').join('/');

async function generate() {
  const schema = JSON.parse(await readFile(schemaPath, 'utf8'));
  const definitions = schema.definitions ?? {};
  // The root schema only holds definitions: compile an empty root and let
  // unreachableDefinitions emit every definition under its own title.
  const rootless = { ...schema, type: 'object', properties: {}, additionalProperties: false };
  const body = await compile(rootless, 'LabcontainerRest', {
    bannerComment: '',
    unreachableDefinitions: true,
    additionalProperties: false,
    strictIndexSignatures: true,
    declareExternallyReferenced: true,
    format: true,
    style: { singleQuote: true, trailingComma: 'none', printWidth: 100 }
  });
  const errorKinds = definitions.ErrorKind?.enum;
  const states = definitions.ContainerState?.enum;
  if (!Array.isArray(errorKinds) || !Array.isArray(states)) {
    throw new Error(`${schemaName} lacks the ErrorKind or ContainerState enum`);
  }
  const lines = [
    `// Generated from ${schemaName} by labextension/scripts/generate-types.mjs. Do not edit: run \`jlpm gen:types\`.`,
    '/* eslint-disable */',
    '',
    dropRoot(body).trimEnd(),
    '',
    '/** Every ErrorKind of the contract, for checking answers at run time. */',
    `export const ERROR_KINDS: readonly ErrorKind[] = ${quoted(errorKinds)};`,
    '',
    '/** Every ContainerState of the contract. */',
    `export const CONTAINER_STATES: readonly ContainerState[] = ${quoted(states)};`,
    ''
  ];
  return lines.join('\n');
}

/** Remove the empty interface compiled for the root schema (with its doc comment). */
function dropRoot(body) {
  const pattern = /(\/\*\*(?:(?!\*\/)[\s\S])*\*\/\n)?export interface LabcontainerRest \{\}\n+/;
  if (!pattern.test(body)) {
    throw new Error('json-schema-to-typescript no longer emits the root as expected; update dropRoot()');
  }
  return body.replace(pattern, '');
}

function quoted(values) {
  return `[${values.map(value => `'${value}'`).join(', ')}]`;
}

const text = await generate();
if (process.argv.includes('--check')) {
  let committed = null;
  try {
    committed = await readFile(outputPath, 'utf8');
  } catch {
    committed = null;
  }
  if (committed !== text) {
    console.error(
      `${outputName} is ${committed === null ? 'missing' : 'out of date'}: it does not match ${schemaName}.\n` +
        'Run `jlpm gen:types` and commit the result.'
    );
    process.exit(1);
  }
  console.log(`${outputName} matches ${schemaName}.`);
} else {
  await mkdir(dirname(outputPath), { recursive: true });
  await writeFile(outputPath, text);
  console.log(`Wrote ${outputName} from ${schemaName}.`);
}
