import { describe, expect, it } from "vitest";
import { archiveBackoffMs, archiveFilesOf, withArchive } from "../../src/domain/archive-plan";
import { outputsJson } from "../../src/domain/task-outputs";

describe("archiveFilesOf", () => {
  it("lists every http(s) file of every output, legacy audio fields renamed, in output order", () => {
    const data = JSON.stringify({
      task_result: {
        videos: [{ id: "v", url: "https://cdn/v.mp4", watermark_url: "https://cdn/w.mp4", duration: "5" }],
        images: [{ index: 0, url: "https://cdn/i.png", watermark_url: "" }],
        audios: [{ id: "a", url_mp3: "https://cdn/a.mp3", url_wav: "https://cdn/a.wav" }],
      },
    });
    expect(archiveFilesOf(outputsJson(data, true))).toEqual([
      { index: 0, field: "url", url: "https://cdn/v.mp4" },
      { index: 0, field: "watermark_url", url: "https://cdn/w.mp4" },
      { index: 1, field: "url", url: "https://cdn/i.png" },
      { index: 2, field: "mp3_url", url: "https://cdn/a.mp3" },
      { index: 2, field: "wav_url", url: "https://cdn/a.wav" },
    ]);
  });

  it("skips what is not a URL to copy, and anything that is not outputs", () => {
    const outputs = JSON.stringify([
      { type: "voice", id: "x", url: "ftp://h/f" },
      { type: "video", url: 5, watermark_url: null },
      "text",
      { type: "element", references: ["https://cdn/r.png"] },
    ]);
    expect(archiveFilesOf(outputs)).toEqual([]);
    expect(archiveFilesOf("not json")).toEqual([]);
    expect(archiveFilesOf("{}")).toEqual([]);
  });
});

describe("withArchive", () => {
  const outputs = '[{"type":"video","url":"u","watermark_url":"w","duration":12345678901234567890},{"type":"image","url":"i"}]';

  it("adds archived_<field> links and one archive_error per entry, keeping exact numbers", () => {
    const archive = JSON.stringify([
      { index: 0, field: "url", url: "https://relay/files/a" },
      { index: 0, field: "watermark_url", error: "upstream answered 404 (after 5 attempts)" },
      { index: 1, field: "url", error: "the file is 3 bytes, over ARCHIVE_MAX_BYTES (2)" },
    ]);
    expect(withArchive(outputs, archive)).toBe(
      '[{"type":"video","url":"u","watermark_url":"w","duration":12345678901234567890,"archived_url":"https://relay/files/a",' +
        '"archive_error":"watermark_url: upstream answered 404 (after 5 attempts)"},' +
        '{"type":"image","url":"i","archive_error":"the file is 3 bytes, over ARCHIVE_MAX_BYTES (2)"}]',
    );
  });

  it("leaves the outputs as they are without archive facts, or with unreadable ones", () => {
    expect(withArchive(outputs, null)).toBe(outputs);
    expect(withArchive(outputs, "[]")).toBe(outputs);
    expect(withArchive(outputs, "{oops")).toBe(outputs);
    expect(withArchive(outputs, JSON.stringify([{ index: 9, field: "url", url: "x" }]))).toBe(outputs.replace(/\s/g, ""));
  });
});

describe("archiveBackoffMs", () => {
  it("waits 15 s, 1, 4, 16 minutes, then at most an hour", () => {
    expect([1, 2, 3, 4, 5, 6, 30].map(archiveBackoffMs)).toEqual([15_000, 60_000, 240_000, 960_000, 3_600_000, 3_600_000, 3_600_000]);
  });
});
