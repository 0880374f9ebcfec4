import { describe, expect, it } from "vitest";
import { errorFromResponse } from "./errors";

describe("error bodies", () => {
  it("shows the registry's sentence and its trace id", () => {
    const error = errorFromResponse(400, { detail: "Version 'latest' is not a range.", code: "bad_request", trace_id: "abc" }, "hdr");
    expect(error.message).toBe("Version 'latest' is not a range.");
    expect(error.traceId).toBe("abc");
    expect(error.code).toBe("bad_request");
    expect(error.sessionEnded).toBe(false);
  });

  it("falls back to the header's trace id and a sentence per status", () => {
    const error = errorFromResponse(502, null, "t-1");
    expect(error.message).toMatch(/external service/);
    expect(error.traceId).toBe("t-1");
    expect(errorFromResponse(418, "teapot", null).message).toBe("The registry answered 418.");
  });

  it("403 means the session ended", () => {
    expect(errorFromResponse(403, { detail: "Token expired." }, null).sessionEnded).toBe(true);
    expect(errorFromResponse(403, { detail: "Expired.", code: "authentication_failed" }, null).sessionEnded).toBe(true);
  });

  it("a 403 refusing one request (a download monitor, a history) keeps the session", () => {
    const refused = errorFromResponse(403, { detail: "The monitor refused.", code: "monitor_refused" }, null);
    expect(refused.sessionEnded).toBe(false);
    expect(errorFromResponse(403, { detail: "Uploader only.", code: "forbidden" }, null).sessionEnded).toBe(false);
  });
});
