/** createRelayClient and unwrap over a stubbed fetch (the network edge): what is sent, what is answered. */
import { describe, expect, it } from "vitest";
import { createRelayClient, RelayApiError, unwrap } from "../src/index.js";

type Answer = { status: number; body?: unknown; text?: string };

/** A client whose fetch records each request and answers `answer`. */
function stubbed(answer: Answer, options: { apiKey?: string; tenant?: string } = {}) {
  const requests: Request[] = [];
  const client = createRelayClient("https://relay.test", {
    apiKey: options.apiKey ?? "key-0123456789abcdefghijklmn",
    ...(options.tenant ? { tenant: options.tenant } : {}),
    fetch: async (request) => {
      requests.push(request);
      const body = answer.text ?? (answer.body === undefined ? null : JSON.stringify(answer.body));
      return new Response(body, { status: answer.status, headers: body ? { "content-type": "application/json" } : {} });
    },
  });
  return { client, requests };
}

describe("createRelayClient", () => {
  it("sends the key as a bearer token, the path's parameters in the URL and the body as JSON", async () => {
    const { client, requests } = stubbed({ status: 201, body: { id: "sub_1" } });
    await client.POST("/v1/tasks", {
      body: { task_id: "t/1", action: "videos", action2: "text2video", callback_url: "https://a.example/h" },
    });
    await client.GET("/v1/tasks/{task_id}", { params: { path: { task_id: "t/1" } } });
    const [post, get] = requests;
    expect(post?.method).toBe("POST");
    expect(post?.url).toBe("https://relay.test/v1/tasks");
    expect(post?.headers.get("authorization")).toBe("Bearer key-0123456789abcdefghijklmn");
    expect(post?.headers.get("relay-tenant")).toBeNull();
    expect(await post?.json()).toEqual({ task_id: "t/1", action: "videos", action2: "text2video", callback_url: "https://a.example/h" });
    expect(get?.url).toBe("https://relay.test/v1/tasks/t%2F1");
  });

  it("names the tenant the admin acts for in Relay-Tenant", async () => {
    const { client, requests } = stubbed({ status: 200, body: { data: [], next_cursor: null } }, { tenant: "tnt_abc" });
    await client.GET("/v1/endpoints");
    expect(requests[0]?.headers.get("relay-tenant")).toBe("tnt_abc");
  });
});

describe("unwrap", () => {
  it("answers the body of a 2xx, and undefined for a 204", async () => {
    const { client } = stubbed({ status: 200, body: { key: "whsec_abc" } });
    await expect(unwrap(client.GET("/v1/endpoints/{id}/secret", { params: { path: { id: "ep_1" } } }))).resolves.toEqual({
      key: "whsec_abc",
    });
    const cancelled = stubbed({ status: 204 }).client.DELETE("/v1/subscriptions/{id}", { params: { path: { id: "sub_1" } } });
    await expect(unwrap(cancelled)).resolves.toBeUndefined();
  });

  it("throws the error envelope as RelayApiError: status, code, message and the fields refused", async () => {
    const envelope = {
      error: { code: "invalid_request", message: "Invalid request", details: [{ field: "callback_url", message: "bad" }] },
    };
    const { client } = stubbed({ status: 400, body: envelope });
    const refused = unwrap(
      client.POST("/v1/tasks", { body: { task_id: "t", action: "videos", action2: "text2video", callback_url: "ftp://x" } }),
    );
    await expect(refused).rejects.toBeInstanceOf(RelayApiError);
    await expect(refused).rejects.toMatchObject({
      status: 400,
      code: "invalid_request",
      message: "Invalid request",
      details: [{ field: "callback_url", message: "bad" }],
    });
  });

  it("throws RelayApiError with code unknown for an answer that is not the envelope (a proxy's HTML page)", async () => {
    const { client } = stubbed({ status: 502, text: "<html>Bad gateway</html>" });
    await expect(unwrap(client.GET("/healthz"))).rejects.toMatchObject({
      name: "RelayApiError",
      status: 502,
      code: "unknown",
      message: "HTTP 502",
    });
  });
});
