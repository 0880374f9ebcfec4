import { describe, expect, it } from "vitest";
import { readChooseParams, scoreText, starsText, writeChooseParams } from "./choose";

describe("choose URL state", () => {
  it("defaults to the best score first", () => {
    const query = readChooseParams(new URLSearchParams(""));
    expect(query).toEqual({
      sort: "score",
      order: "desc",
      vetted: null,
      licenseFamily: null,
      type: null,
      limit: 20,
      cursor: null,
    });
    expect(writeChooseParams(query).toString()).toBe("");
  });

  it("round-trips sort, order, filters and cursor", () => {
    const params = new URLSearchParams("sort=name&order=desc&vetted=no&license=copyleft&type=dataset&cursor=40");
    const query = readChooseParams(params);
    expect(query).toMatchObject({ sort: "name", order: "desc", vetted: false, licenseFamily: "copyleft", type: "dataset", cursor: "40" });
    expect(writeChooseParams(query).toString()).toBe(params.toString());
  });

  it("ignores values it does not know", () => {
    const query = readChooseParams(new URLSearchParams("sort=colour&license=free&type=image&vetted=maybe"));
    expect(query).toMatchObject({ sort: "score", order: "desc", vetted: null, licenseFamily: null, type: null });
  });

  it("names default orders: names A to Z, counts most first", () => {
    expect(readChooseParams(new URLSearchParams("sort=name")).order).toBe("asc");
    expect(readChooseParams(new URLSearchParams("sort=downloads")).order).toBe("desc");
  });
});

describe("cell words", () => {
  it("words stars and scores", () => {
    expect(starsText(null, 0)).toBe("No reviews");
    expect(starsText(4, 1)).toBe("4 of 5 (1 review)");
    expect(starsText(3.5, 2)).toBe("3.5 of 5 (2 reviews)");
    expect(scoreText(null, null)).toBe("Not rated");
    expect(scoreText(0.8234, true)).toBe("0.82, vetted");
    expect(scoreText(0.4, false)).toBe("0.40, not vetted");
  });
});
