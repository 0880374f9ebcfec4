import { describe, expect, it } from "vitest";
import type { GroupRequest } from "../../api/types";
import { commandSentence, failureSentence, stateSentence } from "./describe";

const group: GroupRequest = {
  id: "g1",
  owner: "ada",
  state: "failed",
  created_at: "2026-12-07T10:00:00Z",
  expires_at: "2026-12-07T11:00:00Z",
  executed_at: "2026-12-07T10:05:00Z",
  commands: [
    { position: 0, op: "ingest", type: "dataset", id: null, name: "imdb", url: "https://h/d", version: null, filename: null },
    { position: 1, op: "upload", type: "code", id: null, name: null, url: null, version: null, filename: "c.zip" },
  ],
  failure: { position: 1, status: 400, reason: "The zip is not a zip." },
};

describe("group sentences", () => {
  it("says what a command does", () => {
    expect(commandSentence(group.commands[0]!)).toBe("Ingest dataset https://h/d, named imdb");
    expect(commandSentence(group.commands[1]!)).toBe("Upload code c.zip");
    expect(
      commandSentence({ position: 2, op: "update", type: "model", id: "42", name: "m", url: "https://u", version: null, filename: null }),
    ).toBe("Update model https://u (id 42), named m");
  });

  it("names the failed member by its position", () => {
    expect(failureSentence(group)).toBe("The member at position 1 (Upload code c.zip) failed.");
    expect(stateSentence(group)).toBe("Failed: nothing applied. The member at position 1 (Upload code c.zip) failed.");
    expect(failureSentence({ ...group, failure: null })).toBeNull();
  });

  it("says an open request's expiry", () => {
    expect(stateSentence({ ...group, state: "open", failure: null })).toBe("Open, 2 commands; expires 2026-12-07 11:00:00 UTC.");
  });
});
