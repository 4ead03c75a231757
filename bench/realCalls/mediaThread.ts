/**
 * A worker thread running one side of the bench's RTP (`Streams`): the main thread's façade (media.ts) sends it
 * requests and it answers those that wait for something (typing, the frame timing's summary, closing).
 *
 * The agents' thread is the bench's instrument: it reads and timestamps paytone's frames, so it asks the kernel for
 * a higher scheduling priority (nice -15, this thread only) when the bench may have one. Then the machine's other
 * work waking it late does not show as paytone's lateness. (The callers' thread stays as it is: it is the load.)
 */
import os from 'node:os';
import { parentPort, workerData } from 'node:worker_threads';
import { INSTRUMENT_NICE, Streams, type KeyWay, type Side } from './streams.js';

export type ToStreams =
  | { op: 'attach'; index: number; port: number }
  | { op: 'type'; id: number; index: number; keys: string; ways: KeyWay[] }
  | { op: 'start' | 'stop' | 'timing-start' | 'timing-stop' }
  | { op: 'summary' | 'close'; id: number };

export type FromStreams = { op: 'ready'; port: number; raised: boolean } | { op: 'reply'; id: number; value: unknown };

const port = parentPort!;
const { side, size } = workerData as { side: Side; size: number };
const streams = await Streams.open(side, size);
let raised = false;
if (side === 'agents') {
  try {
    // 0: this thread alone (Linux priorities are per thread).
    os.setPriority(0, INSTRUMENT_NICE);
    raised = true;
  } catch {
    // Not allowed (no CAP_SYS_NICE): measured at the usual priority, which the figures say.
  }
}
const reply = (id: number, value: unknown) => port.postMessage({ op: 'reply', id, value } satisfies FromStreams);

port.on('message', (message: ToStreams) => {
  switch (message.op) {
    case 'attach':
      return streams.attach(message.index, message.port);
    case 'type':
      return void streams.type(message.index, message.keys, message.ways).then((sentAt) => reply(message.id, sentAt));
    case 'start':
      return streams.start();
    case 'stop':
      return streams.stop();
    case 'timing-start':
      return streams.timing.start();
    case 'timing-stop':
      return streams.timing.stop();
    case 'summary':
      return reply(message.id, streams.timing.summary());
    case 'close':
      streams.close();
      reply(message.id, streams.counts);
      return port.close();
  }
});
port.postMessage({ op: 'ready', port: streams.port, raised } satisfies FromStreams);
