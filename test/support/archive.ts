/** Helpers for the archive's suites: the simulator's media files, video tasks, registrations that archive. */
import { env } from "cloudflare:workers";
import type { Env } from "../../src/env";
import { API_KEY, relayRequest, unique, upstreamTask } from "./relay";

/** What archiving needs beyond the test pool's bindings (ARCHIVE, ARCHIVE_LINK_SECRET): where links point. */
export const ARCHIVING: Partial<Env> = { PUBLIC_BASE_URL: "http://relay.test" };

/** `PUT /_sim/media`: sizes and misbehaviour of the simulator's files. */
export const media = (config: Record<string, unknown>) =>
  fetch(`${env.FAKE_URL}/_sim/media`, { method: "PUT", body: JSON.stringify(config) });

/** The hex SHA-256 of a file as the simulator serves it. */
export const upstreamSha256 = async (taskId: string, file: string) =>
  ((await (await fetch(`${env.FAKE_URL}/_sim/media/${taskId}/${file}/sha256`)).json()) as { sha256: string }).sha256;

export const hexOf = (buffer: ArrayBuffer) => [...new Uint8Array(buffer)].map((b) => b.toString(16).padStart(2, "0")).join("");

/** A CometAPI video task that succeeds at its first poll with a video and its watermarked copy, served by the simulator. */
export function videoTask() {
  const id = unique("task");
  const file = (name: string) => `${env.FAKE_URL}/media/${id}/${name}`;
  const videos = [{ id: `${id}-v`, url: file("video-0.mp4"), watermark_url: file("watermark-0.mp4"), duration: "5.1" }];
  return upstreamTask([{ status: "succeed", result: { videos } }], { id });
}

/** `POST /v1/tasks` of a videos/text2video registration with env `overrides` (default ARCHIVING), waiting for its `waitUntil` work. */
export const registerTask = (body: Record<string, unknown>, overrides: Partial<Env> = ARCHIVING, key = API_KEY) =>
  relayRequest(
    "/v1/tasks",
    {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
      body: JSON.stringify({ action: "videos", action2: "text2video", ...body }),
    },
    overrides,
  );
