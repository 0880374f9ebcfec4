// The choose page's state lives in the URL (shareable; back and forward work): these pure
// functions translate between the URL and GET /browse's query, and word its cells.
import type { BrowseQuery } from "../../api/endpoints";
import { BROWSE_SORTS, LICENSE_FAMILIES, isArtifactType, type BrowseSort, type LicenseFamily } from "../../api/types";

export const CHOOSE_PAGE_SIZE = 20;

export const SORT_LABELS: Record<BrowseSort, string> = {
  score: "Net score",
  stars: "Users' stars",
  downloads: "Downloads",
  size: "Size",
  updated: "Last update",
  license: "License",
  name: "Name",
};

export const FAMILY_LABELS: Record<LicenseFamily, string> = {
  permissive: "Permissive",
  copyleft: "Copyleft",
  restricted: "Restricted (non-commercial, no derivatives, use clauses)",
  unknown: "No license found",
};

/** Each sort's natural first order: best, most, biggest and newest first; names A to Z. */
export function defaultOrder(sort: BrowseSort): "asc" | "desc" {
  return sort === "name" || sort === "license" ? "asc" : "desc";
}

export function readChooseParams(params: URLSearchParams): BrowseQuery {
  const sortParam = params.get("sort");
  const sort = (BROWSE_SORTS as readonly string[]).includes(sortParam ?? "") ? (sortParam as BrowseSort) : "score";
  const orderParam = params.get("order");
  const order = orderParam === "asc" || orderParam === "desc" ? orderParam : defaultOrder(sort);
  const vettedParam = params.get("vetted");
  const family = params.get("license");
  const type = params.get("type");
  return {
    sort,
    order,
    vetted: vettedParam === "yes" ? true : vettedParam === "no" ? false : null,
    licenseFamily: (LICENSE_FAMILIES as readonly string[]).includes(family ?? "") ? (family as LicenseFamily) : null,
    type: type !== null && isArtifactType(type) ? type : null,
    limit: CHOOSE_PAGE_SIZE,
    cursor: params.get("cursor") || null,
  };
}

export function writeChooseParams(query: BrowseQuery): URLSearchParams {
  const params = new URLSearchParams();
  if (query.sort !== "score") params.set("sort", query.sort);
  if (query.order !== defaultOrder(query.sort)) params.set("order", query.order);
  if (query.vetted !== null) params.set("vetted", query.vetted ? "yes" : "no");
  if (query.licenseFamily) params.set("license", query.licenseFamily);
  if (query.type) params.set("type", query.type);
  if (query.cursor) params.set("cursor", query.cursor);
  return params;
}

/** "3.5 of 5 (2 reviews)", or "No reviews". */
export function starsText(average: number | null, count: number): string {
  if (average === null || count === 0) return "No reviews";
  const shown = Number.isInteger(average) ? String(average) : average.toFixed(1);
  return `${shown} of 5 (${count} ${count === 1 ? "review" : "reviews"})`;
}

/** "0.82, vetted" / "0.41, not vetted" / "Not rated". */
export function scoreText(score: number | null, vetted: boolean | null): string {
  if (score === null) return "Not rated";
  return `${score.toFixed(2)}, ${vetted ? "vetted" : "not vetted"}`;
}
