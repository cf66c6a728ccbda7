/**
 * What a finished Kling task returns, per action pair, shaped as docs/upstream.md describes. Its
 * files' URLs point at the simulator itself (`{base}/media/{task id}/{file}`, kling-media.ts).
 */
import { KLING_PRODUCT_PATHS } from "../src/domain/product-paths.ts";
import { mediaUrl } from "./kling-media.ts";

/** Kling's own legacy product paths (`/v1/{product path}/{id}`): the relay's one list, so the simulator serves exactly what the relay polls. */
export const LEGACY_PRODUCTS: readonly string[] = KLING_PRODUCT_PATHS;

/**
 * The new API's create routes (`POST /{product}/{model}`, video only so far) and the legacy
 * product path each one's results are shaped after.
 */
export const NEW_API_PRODUCTS: Record<string, string> = {
  "text-to-video": "videos/text2video",
  "image-to-video": "videos/image2video",
  "omni-video": "videos/omni-video",
  "motion-control": "videos/motion-control",
};

/** A product path as the simulator's (action, action2): the first segment and the rest. */
export function splitProduct(product: string): { action: string; action2: string } {
  const slash = product.indexOf("/");
  return slash < 0 ? { action: product, action2: "" } : { action: product.slice(0, slash), action2: product.slice(slash + 1) };
}

/**
 * A finished task's `task_result`. `base` is the simulator's own URL: every file is served at
 * `{base}/media/{id}/{file}`, named `video-{i}.mp4` / `watermark-{i}.mp4`, `image-{i}.png` /
 * `watermark-{i}.png`, `audio-{i}.mp3` / `audio-{i}.wav`.
 */
export function taskResultFor(action: string, action2: string, id: string, base: string): Record<string, unknown> {
  const file = (name: string) => mediaUrl(base, id, name);
  if (action === "images") {
    // generations and Kling's own image products (omni-image, multi-image2image, editing/expand)
    // carry a watermarked copy; the virtual try-on does not.
    const count = action2 === "generations" ? 2 : 1;
    return {
      images: Array.from({ length: count }, (_, index) =>
        action2 === "kolors-virtual-try-on"
          ? { index, url: file(`image-${index}.png`) }
          : { index, url: file(`image-${index}.png`), watermark_url: file(`watermark-${index}.png`) },
      ),
    };
  }
  if (action === "audio" && action2 === "text-to-audio") {
    return {
      audios: [{ id: `${id}-a`, url_mp3: file("audio-0.mp3"), url_wav: file("audio-0.wav"), duration_mp3: "4.2", duration_wav: "4.2" }],
    };
  }
  if (action === "audio") {
    return {
      videos: [{ id: `${id}-v`, url: file("video-0.mp4"), duration: "5.0" }],
      audios: [{ id: `${id}-a`, url_mp3: file("audio-0.mp3"), url_wav: file("audio-0.wav"), duration_mp3: "5.0", duration_wav: "5.0" }],
    };
  }
  // Every video product, and general/ai-multi-shot (a multi-shot video).
  return { videos: [{ id: `${id}-v`, url: file("video-0.mp4"), duration: "5.1", watermark_url: file("watermark-0.mp4") }] };
}

/**
 * The new API's `outputs[]` for a legacy `task_result`: `video` `{ id, url, watermark_url,
 * duration }`, `image` `{ url, watermark_url }`, `audio` `{ id, mp3_url, wav_url, mp3_duration,
 * wav_duration }`.
 */
export function outputsFor(result: Record<string, unknown>): Record<string, unknown>[] {
  const list = (key: string) => (Array.isArray(result[key]) ? (result[key] as Record<string, unknown>[]) : []);
  return [
    ...list("videos").map((v) => ({ type: "video", id: v.id, url: v.url, watermark_url: v.watermark_url ?? "", duration: v.duration })),
    ...list("images").map((i) => ({ type: "image", url: i.url, watermark_url: i.watermark_url ?? "" })),
    ...list("audios").map((a) => ({
      type: "audio",
      id: a.id,
      mp3_url: a.url_mp3,
      wav_url: a.url_wav,
      mp3_duration: a.duration_mp3,
      wav_duration: a.duration_wav,
    })),
  ];
}

/** `task_info` while and after running: video-to-audio names the video it started from (served as `parent-0.mp4`). */
export function taskInfoFor(action: string, action2: string, id: string, base: string): Record<string, unknown> {
  if (action === "audio" && action2 === "video-to-audio")
    return { parent_video: { id: `${id}-parent`, url: mediaUrl(base, id, "parent-0.mp4"), duration: "5.0" } };
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
