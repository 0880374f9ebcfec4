import { describe, expect, it } from "vitest";
import { hasFilters, plural, readBrowseParams, slicePage, toQueries, writeBrowseParams } from "./query";

describe("browse URL state", () => {
  it("round-trips list filters, offset and page", () => {
    const params = new URLSearchParams("name=bert&type=model&type=code&version=%5E1.0.0&offset=abc&page=3");
    const state = readBrowseParams(params);
    expect(state).toEqual({
      mode: "list",
      filters: { name: "bert", types: ["model", "code"], version: "^1.0.0" },
      offset: "abc",
      page: 3,
    });
    expect(writeBrowseParams(state).toString()).toBe(params.toString());
  });

  it("drops unknown types, bad pages and the '*' name", () => {
    const state = readBrowseParams(new URLSearchParams("type=model&type=weights&type=model&page=-2&name=*"));
    expect(state).toMatchObject({ mode: "list", filters: { types: ["model"] }, page: 1 });
    expect(writeBrowseParams(state).toString()).toBe("type=model");
  });

  it("a regex wins over list filters", () => {
    expect(readBrowseParams(new URLSearchParams("regex=b.*t&name=x&page=2"))).toEqual({
      mode: "regex",
      regex: "b.*t",
      page: 2,
    });
  });
});

describe("queries", () => {
  it("an empty name lists everything; types and version only when given", () => {
    expect(toQueries({ name: " ", types: [], version: "" })).toEqual([{ name: "*" }]);
    expect(toQueries({ name: "bert", types: ["model"], version: " ~1.2.0 " })).toEqual([
      { name: "bert", types: ["model"], version: "~1.2.0" },
    ]);
    expect(hasFilters({ name: "*", types: [], version: "" })).toBe(false);
    expect(hasFilters({ name: "", types: ["code"], version: "" })).toBe(true);
  });
});

describe("client-side pages", () => {
  it("slices 1-based pages and says whether more follow", () => {
    const items = Array.from({ length: 7 }, (_, i) => i);
    expect(slicePage(items, 1, 3)).toEqual({ items: [0, 1, 2], first: 1, hasNext: true });
    expect(slicePage(items, 3, 3)).toEqual({ items: [6], first: 7, hasNext: false });
  });

  it("words counts", () => {
    expect(plural(1, "artifact")).toBe("1 artifact");
    expect(plural(0, "match", "matches")).toBe("0 matches");
  });
});
