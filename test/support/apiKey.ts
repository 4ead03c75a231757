/**
 * Makes an API key for the test account with the `paytone` command, on the database of a running server.
 *
 * @example
 *   const [keySid, secret] = await createApiKey(paytone);
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { ACCOUNT_SID, type PaytoneProcess } from './paytone.js';

const CLI = fileURLToPath(new URL('../../src/cli/main.js', import.meta.url));

export function createApiKey(paytone: Pick<PaytoneProcess, 'cliEnv'>): Promise<[string, string]> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [CLI, 'keys', 'create', '--account', ACCOUNT_SID, '--friendly-name', 'agent console', '--json'], {
      env: { PATH: process.env.PATH ?? '', ...paytone.cliEnv },
    });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`paytone keys create exited with ${code}: ${stdout}`));
      const key = JSON.parse(stdout) as { sid: string; secret: string };
      resolve([key.sid, key.secret]);
    });
  });
}
