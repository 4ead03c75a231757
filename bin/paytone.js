#!/usr/bin/env node
// The `paytone` command as npm links it (`npx paytone`, `npm run paytone`). It only starts the built command in
// dist/: this file is committed executable and no build rewrites it, so `npx paytone` keeps working after every
// `npm run build` (which `npm start` and `npm test` run), where a bin inside dist/ lost its executable bit.
import { existsSync } from 'node:fs';

const built = new URL('../dist/src/cli/main.js', import.meta.url);
if (!existsSync(built)) {
  process.stderr.write('paytone: the command is not built yet: run `npm run build` in the paytone folder first\n');
  process.exit(1);
}
await import(built.href);
