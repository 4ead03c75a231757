/**
 * Prompt audio: the files `<Play>` accepts (read into 8 kHz samples), fetched once under the callback policy; `<Say>`
 * rendered by eSpeak NG (the npm WebAssembly build, in a child process) or by a text-to-speech service over HTTP,
 * each prompt rendered once, with eSpeak standing in when the service fails.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import alawmulaw from 'alawmulaw';
import { readAudioFile } from '../../src/telephony/prompts/audioFiles.js';
import { decodeMp3, looksLikeMp3 } from '../../src/telephony/prompts/mp3Audio.js';
import { beepsAt } from '../support/dtmfSignals.js';
import { PlayFiles } from '../../src/telephony/prompts/playFiles.js';
import { EspeakSynthesizer, espeakVoices } from '../../src/telephony/prompts/espeakSynthesizer.js';
import { ServiceSynthesizer } from '../../src/telephony/prompts/serviceSynthesizer.js';
import { RenderedPrompts } from '../../src/telephony/prompts/renderedPrompts.js';
import { ANY_CALLBACK, parseCallbackPolicy } from '../../src/domain/callbackPolicy.js';
import { createLogger } from '../../src/log.js';

/** A WAV file of `samples` at `rate` with `channels` (interleaved). */
function wav(samples: Int16Array, rate: number, channels = 1): Buffer {
  const header = Buffer.alloc(44);
  header.write('RIFF', 0);
  header.writeUInt32LE(36 + samples.byteLength, 4);
  header.write('WAVEfmt ', 8);
  header.writeUInt32LE(16, 16);
  header.writeUInt16LE(1, 20);
  header.writeUInt16LE(channels, 22);
  header.writeUInt32LE(rate, 24);
  header.writeUInt32LE(rate * 2 * channels, 28);
  header.writeUInt16LE(2 * channels, 32);
  header.writeUInt16LE(16, 34);
  header.write('data', 36);
  header.writeUInt32LE(samples.byteLength, 40);
  return Buffer.concat([header, Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength)]);
}

/**
 * Half a second of 440 Hz, then half a second of 1 kHz, made with
 * `sox -n -r 22050 -c 2 -b 16 two.wav synth 0.5 sine 440 vol 0.5 : synth 0.5 sine 1000 vol 0.5` and
 * `lame --silent -b 32 -m j two.wav two-tones.mp3` (LAME 3.100).
 */
const TWO_TONES_MP3 = fs.readFileSync(new URL('../../../test/telephony/fixtures/two-tones.mp3', import.meta.url));

const tone = (n: number) => Int16Array.from({ length: n }, (_, i) => Math.round(8000 * Math.sin(i / 5)));

interface Served {
  requests: Array<{ path: string; headers: http.IncomingHttpHeaders; body: string }>;
  url: string;
}

let server: http.Server;
const served: Served = { requests: [], url: '' };
let answers: Record<string, { status?: number; type: string; body: Buffer | string }> = {};

before(async () => {
  server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      served.requests.push({ path: req.url ?? '', headers: req.headers, body });
      const answer = answers[req.url ?? ''];
      res.writeHead(answer?.status ?? (answer ? 200 : 404), { 'content-type': answer?.type ?? 'text/plain' });
      res.end(answer?.body ?? 'not found');
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  served.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

after(() => server.close());

describe('prompt audio files', () => {
  it('reads WAV at any rate and channel count, and raw µ-law, into 8 kHz mono; names what it cannot play', () => {
    const stereo = readAudioFile(wav(tone(2 * 22_050), 22_050, 2), 'audio/wav');
    assert.ok(stereo.ok);
    assert.equal(stereo.samples.length, Math.floor(22_050 / (22_050 / 8000)), 'one second of stereo 22.05 kHz is 8000 samples');
    const mulaw = readAudioFile(alawmulaw.mulaw.encode(tone(1600)), 'audio/basic');
    assert.ok(mulaw.ok && mulaw.samples.length === 1600);
    const byName = readAudioFile(alawmulaw.mulaw.encode(tone(160)), 'application/octet-stream', 'https://app.example/prompts/hello.ulaw');
    assert.ok(byName.ok);
    const ogg = readAudioFile(Buffer.from('OggS\x00\x02'), 'audio/ogg');
    assert.ok(!ogg.ok && /audio\/ogg; paytone plays MP3 \(audio\/mpeg\), WAV/.test(ogg.problem));
  });

  it('decodes MP3 (here MPEG-2 layer III, 22.05 kHz joint stereo) into 8 kHz mono, in order', async () => {
    const read = await decodeMp3(TWO_TONES_MP3);
    assert.ok(read.ok, read.ok ? '' : read.problem);
    assert.ok(Math.abs(read.samples.length - 8000) < 800, `one second of audio, not ${read.samples.length} samples`);
    const first = read.samples.subarray(400, 3600);
    const second = read.samples.subarray(5200, 8000);
    assert.ok(beepsAt(first, 440) >= 1 && beepsAt(first, 1000) === 0, 'the first half is the 440 Hz tone');
    assert.ok(beepsAt(second, 1000) >= 1 && beepsAt(second, 440) === 0, 'the second half is the 1 kHz tone');
    const notMp3 = await decodeMp3(Buffer.from('<html><body>not found</body></html>'));
    assert.ok(!notMp3.ok && /no MPEG audio frame/.test(notMp3.problem));
    assert.ok(looksLikeMp3(TWO_TONES_MP3, 'application/octet-stream'), 'an MPEG frame header at the start');
    assert.ok(looksLikeMp3(Buffer.from('ID3\x04\x00'), ''), 'an ID3 tag at the start');
    assert.ok(!looksLikeMp3(wav(tone(80), 8000), 'audio/mpeg'), 'a WAV file labelled audio/mpeg is read as WAV');
  });

  it('fetches a file once for every call that plays it; a missing or non-audio file is a notification-ready problem', async () => {
    answers = {
      '/welcome.wav': { type: 'audio/wav', body: wav(tone(8000), 8000) },
      '/page': { type: 'text/html', body: '<html>' },
      '/hold-music': { type: 'audio/mpeg', body: TWO_TONES_MP3 },
      '/prompts/thanks.mp3': { type: 'application/octet-stream', body: TWO_TONES_MP3 },
      '/broken': { type: 'audio/mpeg', body: '<html>an error page served as audio</html>' },
    };
    served.requests.length = 0;
    const files = new PlayFiles({ policy: ANY_CALLBACK, timeoutMs: 5000 });
    const [a, b] = await Promise.all([files.get(`${served.url}/welcome.wav`), files.get(`${served.url}/welcome.wav`)]);
    const c = await files.get(`${served.url}/welcome.wav`);
    assert.ok(a.ok && b.ok && c.ok && c.samples.length === 8000);
    assert.equal(served.requests.length, 1, 'one request for three plays');
    assert.equal(served.requests[0]!.headers['user-agent'], 'TwilioProxy/1.1');
    const missing = await files.get(`${served.url}/gone.wav`);
    assert.ok(!missing.ok && missing.problem.code === 11200 && /HTTP 404/.test(missing.problem.message));
    const page = await files.get(`${served.url}/page`);
    assert.ok(!page.ok && page.problem.code === 13617);
    for (const mp3 of ['/hold-music', '/prompts/thanks.mp3']) {
      const played = await files.get(`${served.url}${mp3}`);
      assert.ok(played.ok && Math.abs(played.samples.length - 8000) < 800, `${mp3} is played as a second of audio`);
    }
    const broken = await files.get(`${served.url}/broken`);
    assert.ok(!broken.ok && broken.problem.code === 13617 && /no MPEG audio frame/.test(broken.problem.message));
    const strict = new PlayFiles({ policy: parseCallbackPolicy('public', undefined).policy!, timeoutMs: 5000 });
    const refused = await strict.get(`${served.url}/welcome.wav`);
    assert.ok(!refused.ok && refused.problem.code === 11205 && /PAYTONE_CALLBACK_POLICY/.test(refused.problem.message));
    await Promise.all([files.close(), strict.close()]);
  });
});

describe('rendering <Say>', () => {
  it('eSpeak NG (npm, WebAssembly) speaks offline: about a second of speech for a short sentence', async () => {
    const samples = await new EspeakSynthesizer().render({ text: 'Please enter your card number.', voice: 'woman', language: 'en-GB' });
    assert.ok(samples.length > 8000 && samples.length < 8000 * 5, `${samples.length / 8000} s`);
    const loud = samples.filter((s) => Math.abs(s) > 1000).length;
    assert.ok(loud > samples.length / 10, 'it is speech, not silence');
    assert.deepEqual(espeakVoices('alice', 'es-MX'), ['es-419+f3', 'es+f3', 'en-us+f3']);
    assert.deepEqual(espeakVoices('Polly.Matthew', 'en-US'), ['en-us', 'en']);
  });

  it('a text-to-speech service renders each prompt once; when it fails, eSpeak NG says the prompt', async () => {
    answers = { '/speech': { type: 'audio/wav', body: wav(tone(16_000), 16_000) } };
    served.requests.length = 0;
    const service = new ServiceSynthesizer({ url: `${served.url}/speech`, token: 'tts-secret', model: 'tts-1' }, 5000);
    const prompts = new RenderedPrompts({ primary: service, fallback: new EspeakSynthesizer(), log: createLogger({ level: 'silent' }) });
    const utterance = { text: 'Welcome to Example Utilities.', voice: 'Polly.Joanna', language: 'en-US' };
    const [first, again] = await Promise.all([prompts.render(utterance), prompts.render(utterance)]);
    assert.equal(first, again);
    assert.equal((await prompts.render(utterance)).length, 8000, 'one second at 16 kHz, played at 8 kHz');
    assert.equal(served.requests.length, 1, 'rendered once, kept');
    assert.equal(served.requests[0]!.headers.authorization, 'Bearer tts-secret');
    assert.deepEqual(JSON.parse(served.requests[0]!.body), { input: utterance.text, voice: 'Polly.Joanna', language: 'en-US', response_format: 'wav', model: 'tts-1' });
    answers = { '/speech': { status: 503, type: 'text/plain', body: 'busy' } };
    const spoken = await prompts.render({ ...utterance, text: 'Goodbye.' });
    assert.ok(spoken.length > 2000, 'eSpeak NG said it');
  });
});
