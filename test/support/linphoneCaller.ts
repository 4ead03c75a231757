/**
 * linphone (Debian's `linphone-cli`) as a caller, driven headless through `linphone-daemon`'s command prompt on its
 * standard input: it calls a number at paytone and types keys with its `dtmf` command, which it sends as SIP INFO
 * (`use_info=1`, RFC 4733 off), as softphones and PBXs configured for INFO do. Everything on 127.0.0.1.
 *
 * @example
 *   const caller = await startLinphoneCaller({ target: paytone.sipPort, number: '+15551230001' });
 *   await caller.answered;
 *   await caller.type('4242#', 300);
 *   await caller.hangUp();
 */
import { execFileSync, spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, scratchDir } from './sipPeers.js';

/** Why linphone cannot be used here, or null; throws under CI=true, where `.ci/run` installs it. */
export function linphoneMissing(): string | null {
  try {
    execFileSync('which', ['linphone-daemon'], { stdio: 'ignore' });
    return null;
  } catch {
    const missing = 'linphone-daemon is not installed (apt-get install linphone-cli)';
    if (process.env.CI === 'true') throw new Error(`CI must have linphone: ${missing}`);
    return missing;
  }
}

export interface LinphoneCaller {
  /** Resolves once the call is answered and its audio flows; rejects when it ends first. */
  answered: Promise<void>;
  /** Types `keys`, one INFO each, `gapMs` apart. */
  type(keys: string, gapMs: number): Promise<void>;
  /** Hangs up (if the call is still up) and stops linphone; resolves with what it printed. */
  hangUp(): Promise<string>;
  output(): string;
}

export async function startLinphoneCaller(o: { target: number; number: string; seconds?: number }): Promise<LinphoneCaller> {
  const dir = scratchDir();
  const sipPort = await freePort();
  const rtpPort = await freePort();
  const config = path.join(dir, 'linphonerc');
  fs.writeFileSync(
    config,
    [
      '[sip]',
      'use_ipv6=0',
      'use_info=1',
      'use_rfc2833=0',
      `sip_port=${sipPort}`,
      // Its identity, else it names the machine's external address in From.
      'contact="Caller" <sip:caller@127.0.0.1>',
      '[rtp]',
      'bind_address=127.0.0.1',
      `audio_rtp_port=${rtpPort}`,
      '[sound]',
      'echocancellation=0',
      '',
    ].join('\n'),
  );
  const child = spawn('timeout', [String(o.seconds ?? 120), 'linphone-daemon', '--config', config], { cwd: dir, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((resolve) => child.once('close', () => resolve()));
  const command = (line: string) => child.stdin!.write(`${line}\n`);
  command(`port sip ${sipPort} udp`);
  command(`call sip:${o.number}@127.0.0.1:${o.target}`);
  const answered = (async () => {
    const deadline = Date.now() + 20_000;
    for (;;) {
      if (/LinphoneCallStreamsRunning/.test(out)) return;
      if (/LinphoneCall(End|Error|Released)/.test(out) || child.exitCode !== null) throw new Error(`linphone's call ended before it was answered:\n${out.slice(-3000)}`);
      if (Date.now() > deadline) throw new Error(`linphone's call was not answered:\n${out.slice(-3000)}`);
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
  })();
  return {
    answered,
    async type(keys, gapMs) {
      for (const key of keys) {
        command(`dtmf ${key}`);
        await new Promise((resolve) => setTimeout(resolve, gapMs));
      }
    },
    async hangUp() {
      command('terminate');
      command('quit');
      const stopped = setTimeout(() => child.kill('SIGTERM'), 5000);
      await exited;
      clearTimeout(stopped);
      return out;
    },
    output: () => out,
  };
}
