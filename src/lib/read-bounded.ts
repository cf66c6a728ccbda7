/**
 * Reads at most `limit` bytes of a body as UTF-8 text. Bodies from outside (upstream answers,
 * API requests) are stored and re-sent, so none may be read unbounded.
 */
export async function readBoundedText(
  body: ReadableStream<Uint8Array> | null,
  limit: number,
): Promise<{ text: string; truncated: boolean }> {
  if (!body) return { text: "", truncated: false };
  const reader = body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > limit) {
      await reader.cancel().catch(() => undefined);
      return { text: "", truncated: true };
    }
    chunks.push(value);
  }
  const all = new Uint8Array(size);
  let offset = 0;
  for (const chunk of chunks) {
    all.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { text: new TextDecoder().decode(all), truncated: false };
}

/**
 * The first `limit` bytes of a body as UTF-8 text, the rest cancelled unread: a receiver's answer
 * is kept only to show what it said, and may be endless. A character cut at the limit is dropped
 * (no U+FFFD at the end). Never throws: a stream that fails, or `signal` aborting (the attempt's
 * timeout), ends the read with what came so far.
 * @example await readTextPrefix(response.body, 1024, AbortSignal.timeout(15_000)) // "ok"
 */
export async function readTextPrefix(body: ReadableStream<Uint8Array> | null, limit: number, signal?: AbortSignal): Promise<string> {
  if (!body) return "";
  const reader = body.getReader();
  // Cancelling resolves a pending read as done: the loop below ends at once.
  const stop = () => void reader.cancel().catch(() => undefined);
  signal?.addEventListener("abort", stop, { once: true });
  const bytes = new Uint8Array(limit);
  let size = 0;
  try {
    if (signal?.aborted) stop();
    while (size < limit) {
      const { done, value } = await reader.read();
      if (done) break;
      const take = Math.min(value.byteLength, limit - size);
      bytes.set(value.subarray(0, take), size);
      size += take;
    }
  } catch {
    // The stream failed (reset, aborted): what came so far is the answer.
  } finally {
    signal?.removeEventListener("abort", stop);
    await reader.cancel().catch(() => undefined);
  }
  // `stream: true` holds back a sequence cut short at the limit instead of decoding it as U+FFFD.
  return new TextDecoder().decode(bytes.subarray(0, size), { stream: true });
}
