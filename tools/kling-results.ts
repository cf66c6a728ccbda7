/** What a finished Kling task returns, per action pair, shaped as docs/upstream.md describes. */

const cdn = (id: string, file: string) => `https://cdn.sim.invalid/${id}/${file}`;

export function taskResultFor(action: string, action2: string, id: string): Record<string, unknown> {
  if (action === "images") {
    const count = action2 === "generations" ? 2 : 1;
    return {
      images: Array.from({ length: count }, (_, index) =>
        action2 === "generations"
          ? { index, url: cdn(id, `${index}.png`), watermark_url: cdn(id, `${index}-wm.png`) }
          : { index, url: cdn(id, `${index}.png`) },
      ),
    };
  }
  if (action === "audio" && action2 === "text-to-audio") {
    return { audios: [{ id: `${id}-a`, url_mp3: cdn(id, "a.mp3"), url_wav: cdn(id, "a.wav"), duration_mp3: "4.2", duration_wav: "4.2" }] };
  }
  if (action === "audio") {
    return {
      videos: [{ id: `${id}-v`, url: cdn(id, "v.mp4"), duration: "5.0" }],
      audios: [{ id: `${id}-a`, url_mp3: cdn(id, "a.mp3"), url_wav: cdn(id, "a.wav"), duration_mp3: "5.0", duration_wav: "5.0" }],
    };
  }
  return { videos: [{ id: `${id}-v`, url: cdn(id, "v.mp4"), duration: "5.1", watermark_url: cdn(id, "v-wm.mp4") }] };
}

/** `task_info` while and after running: video-to-audio names the video it started from. */
export function taskInfoFor(action: string, action2: string, id: string): Record<string, unknown> {
  if (action === "audio" && action2 === "video-to-audio")
    return { parent_video: { id: `${id}-parent`, url: cdn(id, "parent.mp4"), duration: "5.0" } };
  return {};
}

/**
 * Typical durations in ms (third-party observations, docs/upstream.md): time in `submitted`, then in
 * `processing`. Real values; the simulator scales them for demos.
 */
export function typicalDurations(action: string, pro: boolean): { submitted: [number, number]; processing: [number, number] } {
  if (action === "images") return { submitted: [0, 5_000], processing: [10_000, 30_000] };
  if (action === "audio") return { submitted: [0, 5_000], processing: [10_000, 40_000] };
  return { submitted: [0, 30_000], processing: pro ? [60_000, 300_000] : [30_000, 120_000] };
}
