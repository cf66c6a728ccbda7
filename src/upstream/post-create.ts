import type { UpstreamExchange } from "../domain/poll-outcome";
import { fetchExchange } from "./fetch-exchange";

/** Kling's answer to a create is a few hundred bytes, but the request can take a while: one upstream timeout. */
export interface CreateCall {
  url: string;
  /** The whole Authorization header value. */
  authorization: string;
  /** The JSON text to POST (`createBody`). */
  body: string;
  timeoutMs: number;
}

/**
 * `POST` a create body upstream; never throws, never follows redirects (see `fetchExchange`).
 * @example await postCreate({ url: "https://api.cometapi.com/kling/v1/videos/text2video", authorization: "Bearer k", body, timeoutMs: 15_000 })
 */
export const postCreate = (call: CreateCall): Promise<UpstreamExchange> =>
  fetchExchange(call.url, call.authorization, call.timeoutMs, call.body);

/** `{base}/tasks?external_task_ids={id}`: the new API's lookup by external id. */
export const klingExternalLookupUrl = (baseUrl: string, externalId: string) =>
  `${baseUrl.replace(/\/+$/, "")}/tasks?external_task_ids=${encodeURIComponent(externalId)}`;

/** `GET` a lookup URL (the legacy query with the external id in place of the task id, or the new API's). */
export const getLookup = (url: string, authorization: string, timeoutMs: number): Promise<UpstreamExchange> =>
  fetchExchange(url, authorization, timeoutMs);
