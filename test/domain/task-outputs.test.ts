/**
 * One output shape for Kling's two dialects: legacy `task_result` groups are renamed into the new
 * API's `outputs[]` union, new-API entries pass as they came, numbers stay exactly as written.
 * Every expectation is an exact text, so a changed key, order, spelling or number fails it.
 */
import { describe, expect, it } from "vitest";
import { failureMessage, MAX_FAILURE_MESSAGE_LENGTH, outputsJson } from "../../src/domain/task-outputs";

/** A legacy `data` object (CometAPI or Kling's own `/v1`) around the given `task_result` text. */
const legacy = (taskResult: string) =>
  `{"task_id":"878106242831892487","task_status":"succeed","task_status_msg":"","task_info":{},"task_result":${taskResult},"created_at":1777385361501,"updated_at":1777385363321}`;
/** A new-API task entry (`GET /tasks`) around the given `outputs` text. */
const entry = (outputs: string) =>
  `{"id":"861234567890123456","status":"succeeded","message":"","create_time":1777385361501,"update_time":1777385363321,"external_id":"ext-1","outputs":${outputs},"billing":[]}`;

describe("outputsJson, legacy task_result", () => {
  it.each([
    ["videos/text2video"],
    ["videos/image2video"],
    ["videos/effects"],
    ["videos/lip-sync"],
    ["videos/multi-image2video"],
    ["videos/multi-elements"],
  ])("%s: one video per entry, duration kept a string, watermark when present", () => {
    const data = legacy(
      '{"videos":[{"id":"v1","url":"https://cdn/v1.mp4","duration":"5.1","watermark_url":"https://cdn/v1-wm.mp4"},{"duration":"10","url":"https://cdn/v2.mp4","id":"v2"}]}',
    );
    expect(outputsJson(data, true)).toBe(
      '[{"type":"video","id":"v1","url":"https://cdn/v1.mp4","watermark_url":"https://cdn/v1-wm.mp4","duration":"5.1"},' +
        '{"type":"video","id":"v2","url":"https://cdn/v2.mp4","duration":"10"}]',
    );
  });

  it("images/generations: url, watermark_url when present, index, in that order", () => {
    const data = legacy(
      '{"images":[{"index":0,"url":"https://cdn/0.png","watermark_url":"https://cdn/0-wm.png"},{"index":1,"url":"https://cdn/1.png"}]}',
    );
    expect(outputsJson(data, true)).toBe(
      '[{"type":"image","url":"https://cdn/0.png","watermark_url":"https://cdn/0-wm.png","index":0},' +
        '{"type":"image","url":"https://cdn/1.png","index":1}]',
    );
  });

  it("images/kolors-virtual-try-on: index and url, no watermark", () => {
    expect(outputsJson(legacy('{"images":[{"index":0,"url":"https://cdn/tryon.png"}]}'), true)).toBe(
      '[{"type":"image","url":"https://cdn/tryon.png","index":0}]',
    );
  });

  it("an image without index is written without one", () => {
    expect(outputsJson(legacy('{"images":[{"url":"https://cdn/x.png"}]}'), true)).toBe('[{"type":"image","url":"https://cdn/x.png"}]');
  });

  it("audio/text-to-audio: url_mp3/url_wav/duration_mp3/duration_wav renamed, values as they came", () => {
    const data = legacy(
      '{"audios":[{"id":"a1","url_mp3":"https://cdn/a1.mp3","url_wav":"https://cdn/a1.wav","duration_mp3":"3.2","duration_wav":3.25}]}',
    );
    expect(outputsJson(data, true)).toBe(
      '[{"type":"audio","id":"a1","mp3_url":"https://cdn/a1.mp3","wav_url":"https://cdn/a1.wav","mp3_duration":"3.2","wav_duration":3.25}]',
    );
  });

  it("audio/video-to-audio: videos first, then audios, whatever order the groups came in", () => {
    const data =
      '{"task_id":"1","task_status":"succeed","task_info":{"parent_video":{"id":"p","url":"https://cdn/p.mp4","duration":"5"}},' +
      '"task_result":{"audios":[{"id":"a","url_mp3":"m","url_wav":"w","duration_mp3":"5","duration_wav":"5"}],"videos":[{"id":"v","url":"u","duration":"5"}]}}';
    expect(outputsJson(data, true)).toBe(
      '[{"type":"video","id":"v","url":"u","duration":"5"},' +
        '{"type":"audio","id":"a","mp3_url":"m","wav_url":"w","mp3_duration":"5","wav_duration":"5"}]',
    );
  });

  it("videos, then images, then audios", () => {
    const data = legacy('{"audios":[{"id":"a"}],"images":[{"url":"i"}],"videos":[{"id":"v"}]}');
    expect(outputsJson(data, true)).toBe('[{"type":"video","id":"v"},{"type":"image","url":"i"},{"type":"audio","id":"a"}]');
  });

  it("keeps big numbers and their spellings exactly", () => {
    const data = legacy('{"videos":[{"id":12345678901234567890123,"url":"u","duration":1e400}],"images":[{"url":"i","index":-0.0}]}');
    expect(outputsJson(data, true)).toBe(
      '[{"type":"video","id":12345678901234567890123,"url":"u","duration":1e400},{"type":"image","url":"i","index":-0.0}]',
    );
  });

  it("keeps an entry missing url or id with the fields it has, never null for an absent one", () => {
    const data = legacy('{"videos":[{"duration":"5"},{}],"audios":[{"url_wav":"w"}]}');
    expect(outputsJson(data, true)).toBe('[{"type":"video","duration":"5"},{"type":"video"},{"type":"audio","wav_url":"w"}]');
  });

  it("copies a field present as null as null", () => {
    expect(outputsJson(legacy('{"videos":[{"id":"v","url":"u","watermark_url":null,"duration":"5"}]}'), true)).toBe(
      '[{"type":"video","id":"v","url":"u","watermark_url":null,"duration":"5"}]',
    );
  });

  it("drops fields outside the normalised shape, including a stray type", () => {
    expect(outputsJson(legacy('{"videos":[{"type":"image","id":"v","url":"u","duration":"5","extra":{"x":1}}]}'), true)).toBe(
      '[{"type":"video","id":"v","url":"u","duration":"5"}]',
    );
  });

  it("skips entries that are not objects", () => {
    expect(outputsJson(legacy('{"videos":[null,"v",7,[{"id":"x"}],{"id":"v"}],"images":[true]}'), true)).toBe(
      '[{"type":"video","id":"v"}]',
    );
  });

  it("skips groups that are not arrays", () => {
    expect(outputsJson(legacy('{"videos":{"id":"v"},"images":"i","audios":null}'), true)).toBe("[]");
  });

  it("drops an own __proto__ member like any other unlisted key", () => {
    expect(outputsJson(legacy('{"videos":[{"__proto__":{"id":"evil"},"url":"u"}]}'), true)).toBe('[{"type":"video","url":"u"}]');
  });

  it("reads nothing from an empty or missing task_result", () => {
    expect(outputsJson(legacy("{}"), true)).toBe("[]");
    expect(outputsJson(legacy("null"), true)).toBe("[]");
    expect(outputsJson(legacy("[]"), true)).toBe("[]");
    expect(outputsJson('{"task_id":"1","task_status":"succeed"}', true)).toBe("[]");
  });
});

describe("outputsJson, new API outputs[]", () => {
  const video = '{"type":"video","id":"v1","url":"https://cdn/v1.mp4","watermark_url":"https://cdn/v1-wm.mp4","duration":"5"}';
  const image = '{"type":"image","url":"https://cdn/i.png","watermark_url":"https://cdn/i-wm.png","group_id":"g1"}';
  const imageNoGroup = '{"type":"image","url":"https://cdn/j.png","watermark_url":"https://cdn/j-wm.png"}';
  const audio =
    '{"type":"audio","id":"a1","mp3_url":"https://cdn/a.mp3","wav_url":"https://cdn/a.wav","mp3_duration":3.2,"wav_duration":"3.2"}';
  const voice = '{"type":"voice","id":"vo1","name":"Narrator","url":"https://cdn/vo1.mp3","owned_by":"me","status":"ready"}';
  const element =
    '{"type":"element","id":"e1","name":"Cat","element_type":"subject","references":[{"url":"https://cdn/cat.png"}],"extra":{"k":1}}';
  const unknown = '{"type":"hologram","id":"h1","layers":[1,2,3]}';

  it("keeps all five types and an unknown one, each as it came and in order", () => {
    const all = [video, image, imageNoGroup, audio, voice, element, unknown];
    expect(outputsJson(entry(`[${all.join(",")}]`), true)).toBe(`[${all.join(",")}]`);
  });

  it("keeps key order and big numbers exactly as they came", () => {
    const odd = '{"url":"u","type":"video","duration":12345678901234567890123,"id":1e400,"size":1E-400}';
    expect(outputsJson(entry(`[${odd}]`), true)).toBe(`[${odd}]`);
  });

  it("skips entries that are not objects", () => {
    expect(outputsJson(entry(`[null,1,"x",[${video}],${voice}]`), true)).toBe(`[${voice}]`);
  });

  it("an empty outputs array gives []", () => {
    expect(outputsJson(entry("[]"), true)).toBe("[]");
  });

  it("outputs win over a task_result that came along", () => {
    const data = `{"id":"1","status":"succeeded","outputs":[${voice}],"task_result":{"videos":[{"id":"v"}]}}`;
    expect(outputsJson(data, true)).toBe(`[${voice}]`);
  });

  it("outputs that are not an array fall back to task_result", () => {
    expect(outputsJson('{"outputs":{"type":"video"},"task_result":{"videos":[{"id":"v"}]}}', true)).toBe('[{"type":"video","id":"v"}]');
  });
});

describe("outputsJson, nothing to read", () => {
  it("is [] unless succeeded", () => {
    expect(outputsJson(legacy('{"videos":[{"id":"v","url":"u","duration":"5"}]}'), false)).toBe("[]");
    expect(outputsJson(entry('[{"type":"video","id":"v"}]'), false)).toBe("[]");
  });

  it.each([
    ["null data", null],
    ["empty text", ""],
    ["malformed JSON", '{"task_result":{"videos":[{"id":"v"}]'],
    ["trailing garbage", '{"task_result":{"videos":[{"id":"v"}]}} x'],
    ["a repeated key", '{"task_result":{"videos":[{"id":"v"}]},"task_result":{}}'],
    ["a top-level array", '[{"type":"video","id":"v"}]'],
    ["a top-level null", "null"],
    ["a top-level string", '"outputs"'],
    ["a top-level number", "12345678901234567890123"],
    ["an object with neither", '{"task_id":"1","task_status":"succeed"}'],
    ["outputs null", '{"outputs":null}'],
    ["task_result a string", '{"task_result":"videos"}'],
    ["nesting too deep to parse", `{"outputs":[${"[".repeat(200_000)}${"]".repeat(200_000)}]}`],
  ])("%s gives []", (_name, data) => {
    expect(outputsJson(data, true)).toBe("[]");
  });
});

describe("failureMessage", () => {
  it("reads legacy task_status_msg, trimmed", () => {
    const data = '{"task_id":"1","task_status":"failed","task_status_msg":"  Failure to pass the risk control system\\n","task_result":{}}';
    expect(failureMessage(data)).toBe("Failure to pass the risk control system");
  });

  it("reads a new API entry's message, trimmed", () => {
    expect(failureMessage('{"id":"1","status":"failed","message":"\\tcontent moderation ","outputs":[],"billing":[]}')).toBe(
      "content moderation",
    );
  });

  it("prefers task_status_msg, falls back to message when it is blank or not a string", () => {
    expect(failureMessage('{"task_status_msg":"legacy","message":"new"}')).toBe("legacy");
    expect(failureMessage('{"task_status_msg":"   ","message":"new"}')).toBe("new");
    expect(failureMessage('{"task_status_msg":null,"message":"new"}')).toBe("new");
  });

  it.each([
    ["null data", null],
    ["malformed JSON", '{"task_status_msg":"x"'],
    ["a top-level array", '[{"task_status_msg":"x"}]'],
    ["no message at all", '{"task_status":"failed"}'],
    ["empty strings", '{"task_status_msg":"","message":""}'],
    ["blank strings", '{"task_status_msg":" \\n ","message":"\\t"}'],
    ["non-strings", '{"task_status_msg":12345678901234567890123,"message":{"text":"x"}}'],
  ])("%s gives null", (_name, data) => {
    expect(failureMessage(data)).toBeNull();
  });

  it("cuts a too-long message to the limit", () => {
    const long = "x".repeat(MAX_FAILURE_MESSAGE_LENGTH + 100);
    const message = failureMessage(JSON.stringify({ task_status_msg: `  ${long}  ` }));
    expect(MAX_FAILURE_MESSAGE_LENGTH).toBe(500);
    expect(message).toBe("x".repeat(500));
  });

  it("keeps a message of exactly the limit whole", () => {
    const exact = `${"y".repeat(499)}z`;
    expect(failureMessage(JSON.stringify({ message: exact }))).toBe(exact);
  });

  it("never cuts a character in half", () => {
    const text = `${"x".repeat(499)}🚀🚀`;
    const message = failureMessage(JSON.stringify({ message: text }));
    // Length first: a lone surrogate in a failing diff would break the test runner's own channel.
    expect(message?.length).toBe(499);
    expect(message).toBe("x".repeat(499));
  });
});
