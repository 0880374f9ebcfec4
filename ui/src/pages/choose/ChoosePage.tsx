import { useCallback, useRef, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";
import { browseCatalog, type BrowseQuery } from "../../api/endpoints";
import {
  ARTIFACT_TYPES,
  BROWSE_SORTS,
  LICENSE_FAMILIES,
  type ArtifactType,
  type BrowsePage,
  type BrowseSort,
  type LicenseFamily,
} from "../../api/types";
import { useAnnounce } from "../../app/announcer";
import { Page } from "../../app/Page";
import { useApi } from "../../app/session";
import { useAsync, type AsyncState } from "../../app/useAsync";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { formatBytes, formatUtc } from "../artifact/format";
import { FAMILY_LABELS, SORT_LABELS, defaultOrder, readChooseParams, scoreText, starsText, writeChooseParams } from "./choose";

const TYPE_LABELS: Record<ArtifactType, string> = { model: "Model", dataset: "Dataset", code: "Code" };

/** Cursors of the pages before this one, kept in the history entry (survives reloads). */
interface CursorTrail {
  trail?: (string | null)[];
}

/** Issue 18.4: the catalog with what helps choose, sorted and filtered on the server. */
export function ChoosePage() {
  const api = useApi();
  const announce = useAnnounce();
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const query = readChooseParams(params);
  const trail = ((location.state ?? {}) as CursorTrail).trail ?? [];
  const key = params.toString();
  const heading = useRef<HTMLHeadingElement>(null);
  const focusResults = useRef(false);

  const onSettled = useCallback(
    (settled: AsyncState<BrowsePage>) => {
      if (settled.status === "ok") {
        const { items, total } = settled.data;
        announce(total === 0 ? "No artifacts match these filters." : `Showing ${items.length} of ${total} artifacts.`);
      } else if (settled.status === "error") {
        announce(describeError("Could not load the artifacts.", settled.error), "assertive");
      }
      if (focusResults.current) {
        focusResults.current = false;
        heading.current?.focus();
      }
    },
    [announce, key],
  );
  const page = useAsync<BrowsePage>((signal) => browseCatalog(api, query, signal), [key], onSettled);

  function go(next: BrowseQuery, nextTrail: (string | null)[]) {
    navigate({ search: writeChooseParams(next).toString() }, { state: { trail: nextTrail } satisfies CursorTrail });
  }

  function sortBy(sort: BrowseSort) {
    const order = query.sort === sort ? (query.order === "asc" ? "desc" : "asc") : defaultOrder(sort);
    go({ ...query, sort, order, cursor: null }, []);
  }

  const pageNumber = trail.length + 1;
  const filterKey = writeChooseParams({ ...query, cursor: null }).toString();

  return (
    <Page title="Choose an artifact" lead="Compare artifacts by score, users' stars, license, size, last update and downloads.">
      <div className="panel">
        <ChooseFilters key={filterKey} query={query} onSubmit={(next) => go({ ...next, cursor: null }, [])} />
      </div>
      <section aria-labelledby="choose-results-heading" aria-busy={page.status === "loading"} data-results-for={page.status === "loading" ? undefined : key}>
        <h2 id="choose-results-heading" ref={heading} tabIndex={-1}>
          Artifacts by {SORT_LABELS[query.sort].toLowerCase()}
        </h2>
        {page.status === "loading" ? <Loading label="Loading artifacts…" /> : null}
        {page.status === "error" ? <ErrorMessage error={page.error} title="Could not load the artifacts." /> : null}
        {page.status === "ok" && page.data.items.length === 0 ? (
          <div className="alert alert--info">
            <p>No artifacts match these filters.</p>
          </div>
        ) : null}
        {page.status === "ok" && page.data.items.length > 0 ? (
          <>
            <p className="status-line" id="choose-summary">
              Page {pageNumber}: {page.data.items.length} of {page.data.total} artifacts.
            </p>
            <div className="table-wrap">
              <table className="data" aria-describedby="choose-summary">
                <caption className="visually-hidden">
                  Artifacts sorted by {SORT_LABELS[query.sort]}, {query.order === "asc" ? "ascending" : "descending"}; page{" "}
                  {pageNumber}
                </caption>
                <thead>
                  <tr>
                    <SortHeader sort="name" query={query} onSort={sortBy} />
                    <th scope="col">Type</th>
                    <SortHeader sort="score" query={query} onSort={sortBy} />
                    <SortHeader sort="stars" query={query} onSort={sortBy} />
                    <SortHeader sort="license" query={query} onSort={sortBy} />
                    <SortHeader sort="size" query={query} onSort={sortBy} />
                    <SortHeader sort="updated" query={query} onSort={sortBy} />
                    <SortHeader sort="downloads" query={query} onSort={sortBy} />
                  </tr>
                </thead>
                <tbody>
                  {page.data.items.map((entry) => (
                    <tr key={`${entry.type}/${entry.id}`}>
                      <th scope="row">
                        <Link to={`/artifacts/${entry.type}/${encodeURIComponent(entry.id)}`}>{entry.name}</Link>
                      </th>
                      <td>{TYPE_LABELS[entry.type] ?? entry.type}</td>
                      <td>
                        {entry.vetted ? (
                          <span className="vetted-mark" aria-hidden="true">
                            ✓{" "}
                          </span>
                        ) : null}
                        {scoreText(entry.net_score, entry.vetted)}
                      </td>
                      <td>{starsText(entry.average_stars, entry.review_count)}</td>
                      <td>{entry.license ? `${entry.license} (${entry.license_family})` : "None found"}</td>
                      <td>{formatBytes(entry.size_bytes)}</td>
                      <td>{formatUtc(entry.updated_at)}</td>
                      <td>{entry.downloads}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          </>
        ) : null}
        {page.status === "ok" && (trail.length > 0 || page.data.next_cursor) ? (
          <nav aria-label="Pages of artifacts" className="pagination">
            <button
              type="button"
              className="button"
              disabled={trail.length === 0}
              onClick={() => {
                focusResults.current = true;
                go({ ...query, cursor: trail[trail.length - 1] ?? null }, trail.slice(0, -1));
              }}
            >
              Previous page
            </button>
            <span aria-current="page">Page {pageNumber}</span>
            <button
              type="button"
              className="button"
              disabled={!page.data.next_cursor}
              onClick={() => {
                focusResults.current = true;
                go({ ...query, cursor: page.data.next_cursor }, [...trail, query.cursor]);
              }}
            >
              Next page
            </button>
          </nav>
        ) : null}
      </section>
    </Page>
  );
}

function SortHeader({ sort, query, onSort }: { sort: BrowseSort; query: BrowseQuery; onSort: (sort: BrowseSort) => void }) {
  const active = query.sort === sort;
  const direction = active ? (query.order === "asc" ? "ascending" : "descending") : undefined;
  return (
    <th scope="col" aria-sort={direction ?? "none"}>
      <button type="button" className="link-button" onClick={() => onSort(sort)}>
        {SORT_LABELS[sort]}
        {active ? <span aria-hidden="true">{query.order === "asc" ? " ▲" : " ▼"}</span> : null}
        <span className="visually-hidden">{active ? `, sorted ${direction}; reverse` : ", sort by this"}</span>
      </button>
    </th>
  );
}

function ChooseFilters({ query, onSubmit }: { query: BrowseQuery; onSubmit: (query: BrowseQuery) => void }) {
  const [sort, setSort] = useState<BrowseSort>(query.sort);
  const [vetted, setVetted] = useState(query.vetted === null ? "" : query.vetted ? "yes" : "no");
  const [family, setFamily] = useState<string>(query.licenseFamily ?? "");
  const [type, setType] = useState<string>(query.type ?? "");

  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit({
      ...query,
      sort,
      order: sort === query.sort ? query.order : defaultOrder(sort),
      vetted: vetted === "" ? null : vetted === "yes",
      licenseFamily: family === "" ? null : (family as LicenseFamily),
      type: type === "" ? null : (type as ArtifactType),
    });
  }

  return (
    <form onSubmit={submit} aria-labelledby="choose-filter-heading">
      <h2 id="choose-filter-heading">Sort and filter</h2>
      <div className="form-inline">
        <div className="form-row">
          <label htmlFor="choose-sort">Sort by</label>
          <select id="choose-sort" value={sort} onChange={(event) => setSort(event.target.value as BrowseSort)}>
            {BROWSE_SORTS.map((s) => (
              <option key={s} value={s}>
                {SORT_LABELS[s]}
              </option>
            ))}
          </select>
        </div>
        <div className="form-row">
          <label htmlFor="choose-vetted">Vetted</label>
          <select id="choose-vetted" value={vetted} onChange={(event) => setVetted(event.target.value)}>
            <option value="">Any</option>
            <option value="yes">Vetted only</option>
            <option value="no">Not vetted</option>
          </select>
        </div>
        <div className="form-row">
          <label htmlFor="choose-license">License family</label>
          <select id="choose-license" value={family} onChange={(event) => setFamily(event.target.value)}>
            <option value="">Any</option>
            {LICENSE_FAMILIES.map((f) => (
              <option key={f} value={f}>
                {FAMILY_LABELS[f]}
              </option>
            ))}
          </select>
        </div>
        <div className="form-row">
          <label htmlFor="choose-type">Type</label>
          <select id="choose-type" value={type} onChange={(event) => setType(event.target.value)}>
            <option value="">Any</option>
            {ARTIFACT_TYPES.map((t) => (
              <option key={t} value={t}>
                {TYPE_LABELS[t]}
              </option>
            ))}
          </select>
        </div>
        <div className="form-row">
          <button type="submit" className="button button--primary">
            Apply
          </button>
        </div>
      </div>
    </form>
  );
}
