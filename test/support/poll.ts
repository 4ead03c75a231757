/**
 * Waiting for a state the server reaches on its own (a field accepted, a callback delivered) by asking again
 * every 20 ms, so a test never sleeps for a fixed time and fails naming what never happened.
 *
 * @example
 *   const ended = await until('the session to end', async () => {
 *     const view = await pay.session(callSid, sid);
 *     return view.status === 'completed' && view;
 *   });
 */
export async function until<T>(
  what: string | (() => string),
  probe: () => Promise<T | null | undefined | false>,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === 'string' ? what : what()}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
