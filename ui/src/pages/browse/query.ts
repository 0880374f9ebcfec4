// The browse page's state lives in the URL (shareable, and back/forward work); these pure
// functions translate between the URL, the form and the API's queries.
import { isArtifactType, type ArtifactQuery, type ArtifactType } from "../../api/types";

/** Regex search answers every match at once; the page shows them this many at a time. */
export const REGEX_PAGE_SIZE = 25;

export interface ListFilters {
  name: string;
  types: ArtifactType[];
  version: string;
}

export type BrowseState =
  | { mode: "list"; filters: ListFilters; offset: string | null; page: number }
  | { mode: "regex"; regex: string; page: number };

function pageOf(params: URLSearchParams): number {
  const page = Number.parseInt(params.get("page") ?? "1", 10);
  return Number.isFinite(page) && page >= 1 ? page : 1;
}

export function readBrowseParams(params: URLSearchParams): BrowseState {
  const regex = params.get("regex");
  if (regex !== null && regex !== "") return { mode: "regex", regex, page: pageOf(params) };
  const types = params.getAll("type").filter(isArtifactType);
  return {
    mode: "list",
    filters: {
      name: params.get("name") ?? "",
      types: [...new Set(types)],
      version: params.get("version") ?? "",
    },
    offset: params.get("offset") || null,
    page: pageOf(params),
  };
}

export function writeBrowseParams(state: BrowseState): URLSearchParams {
  const params = new URLSearchParams();
  if (state.mode === "regex") {
    params.set("regex", state.regex);
  } else {
    const { name, types, version } = state.filters;
    if (name.trim() && name.trim() !== "*") params.set("name", name.trim());
    for (const type of types) params.append("type", type);
    if (version.trim()) params.set("version", version.trim());
    if (state.offset) params.set("offset", state.offset);
  }
  if (state.page > 1) params.set("page", String(state.page));
  return params;
}

/** POST /artifacts body: one query; an empty name (or "*") lists every artifact. */
export function toQueries(filters: ListFilters): ArtifactQuery[] {
  const query: ArtifactQuery = { name: filters.name.trim() || "*" };
  if (filters.types.length) query.types = [...filters.types];
  if (filters.version.trim()) query.version = filters.version.trim();
  return [query];
}

export function hasFilters(filters: ListFilters): boolean {
  const name = filters.name.trim();
  return (name !== "" && name !== "*") || filters.types.length > 0 || filters.version.trim() !== "";
}

/** One page of an in-memory list (1-based page numbers). */
export function slicePage<T>(items: T[], page: number, size: number): { items: T[]; first: number; hasNext: boolean } {
  const start = (page - 1) * size;
  return { items: items.slice(start, start + size), first: start + 1, hasNext: start + size < items.length };
}

export function plural(count: number, one: string, many = `${one}s`): string {
  return `${count} ${count === 1 ? one : many}`;
}
