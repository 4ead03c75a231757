/**
 * Runs a compiled entry point (the server or the `paytone` command), or any command, to its end with only the
 * environment given (and PATH), and returns its exit code and everything it printed.
 *
 * @example
 *   const { code, stderr } = await runNode(CLI, ['migrate'], { DATABASE_URL: url });
 *   const built = await runCommand('npm', ['run', 'build'], { cwd: checkout });
 */
import { spawn } from 'node:child_process';

export interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

export function runNode(file: string, args: string[], env: Record<string, string>): Promise<Run> {
  return runCommand(process.execPath, [file, ...args], { env });
}

export function runCommand(command: string, args: string[], options: { cwd?: string; env?: Record<string, string> } = {}): Promise<Run> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: options.cwd, env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...options.env } });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}
