/**
 * Renders one utterance with eSpeak NG compiled to WebAssembly (the `espeak-ng` package), as a program of its own:
 * the text and the voices to try arrive as JSON on stdin, the WAV file (22 050 Hz, 16-bit mono) leaves on stdout.
 * It runs in a child process so that synthesis (about 0.7 s of CPU) never holds up the media clock of the
 * calls in progress, and so that eSpeak NG (GPL-3.0) stays a separate program, as Debian's `espeak-ng` command
 * would be. Exit 0: rendered; 2: none of the voices exists; 1: anything else.
 *
 * @example
 *   echo '{"text":"Welcome","voices":["en-us+f3","en+f3"]}' | node dist/src/telephony/prompts/espeakRender.js > welcome.wav
 */
import ESpeakNG from 'espeak-ng';

interface RenderRequest {
  text: string;
  /** eSpeak voice names, best first (`fr-fr+f3`, then `fr+f3`). */
  voices: string[];
}

async function render(request: RenderRequest): Promise<Uint8Array | null> {
  for (const voice of request.voices) {
    const errors: string[] = [];
    const engine = await ESpeakNG({ arguments: ['-v', voice, '-w', 'prompt.wav', '--', request.text], print: () => undefined, printErr: (line: string) => errors.push(line) });
    if (errors.some((line) => /does not exist/.test(line))) continue;
    return engine.FS.readFile('prompt.wav') as Uint8Array;
  }
  return null;
}

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const request = JSON.parse(Buffer.concat(chunks).toString('utf8')) as RenderRequest;
  const wav = await render(request);
  if (wav === null) process.exit(2);
  process.stdout.write(wav, () => process.exit(0));
}

main().catch(() => process.exit(1));
