import { useCallback, useRef, useState, type FormEvent } from "react";
import { Link, useLocation, useNavigate, useSearchParams } from "react-router";
import { listArtifacts, searchByRegex } from "../../api/endpoints";
import { ARTIFACT_TYPES, type ArtifactMetadata, type ArtifactType } from "../../api/types";
import { useAnnounce } from "../../app/announcer";
import { Page } from "../../app/Page";
import { useApi } from "../../app/session";
import { useAsync, type AsyncState } from "../../app/useAsync";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import {
  REGEX_PAGE_SIZE,
  hasFilters,
  plural,
  readBrowseParams,
  slicePage,
  toQueries,
  writeBrowseParams,
  type BrowseState,
  type ListFilters,
} from "./query";

interface Results {
  items: ArtifactMetadata[];
  /** 1-based position of the first item (regex pages know it; server pages count pages). */
  first: number | null;
  total: number | null;
  hasNext: boolean;
  nextOffset: string | null;
}

/** Offsets of the pages before this one, kept in the history entry (survives reloads). */
interface PageTrail {
  trail?: (string | null)[];
}

const TYPE_LABELS: Record<ArtifactType, string> = { model: "Model", dataset: "Dataset", code: "Code" };

export function BrowsePage() {
  const api = useApi();
  const announce = useAnnounce();
  const navigate = useNavigate();
  const location = useLocation();
  const [params] = useSearchParams();
  const state = readBrowseParams(params);
  const trail = ((location.state ?? {}) as PageTrail).trail ?? [];
  const resultsHeading = useRef<HTMLHeadingElement>(null);
  const focusResults = useRef(false);
  const key = params.toString();

  const onSettled = useCallback(
    (settled: AsyncState<Results>) => {
      if (settled.status === "ok") announce(summary(state, settled.data));
      else if (settled.status === "error") announce(describeError("Could not load the artifacts.", settled.error), "assertive");
      if (focusResults.current) {
        focusResults.current = false;
        resultsHeading.current?.focus();
      }
    },
    // `state` is derived from `key`, so `key` stands for it.
    [announce, key],
  );

  const results = useAsync<Results>(
    async (signal) => {
      if (state.mode === "regex") {
        const all = await searchByRegex(api, state.regex, signal);
        const page = slicePage(all, state.page, REGEX_PAGE_SIZE);
        return { items: page.items, first: page.first, total: all.length, hasNext: page.hasNext, nextOffset: null };
      }
      const page = await listArtifacts(api, toQueries(state.filters), state.offset, signal);
      return { items: page.items, first: null, total: null, hasNext: page.nextOffset !== null, nextOffset: page.nextOffset };
    },
    [key],
    onSettled,
  );

  function go(next: BrowseState, nextTrail: (string | null)[]) {
    navigate({ search: writeBrowseParams(next).toString() }, { state: { trail: nextTrail } satisfies PageTrail });
  }

  function goToPage(direction: "next" | "previous" | "first") {
    focusResults.current = true;
    if (state.mode === "regex") {
      const page = direction === "next" ? state.page + 1 : direction === "first" ? 1 : Math.max(1, state.page - 1);
      go({ ...state, page }, []);
      return;
    }
    if (direction === "next" && results.status === "ok") {
      go({ ...state, offset: results.data.nextOffset, page: state.page + 1 }, [...trail, state.offset]);
    } else if (direction === "previous" && trail.length > 0) {
      go({ ...state, offset: trail[trail.length - 1] ?? null, page: state.page - 1 }, trail.slice(0, -1));
    } else {
      go({ ...state, offset: null, page: 1 }, []);
    }
  }

  const listFilters = state.mode === "list" ? state.filters : { name: "", types: [], version: "" };
  const filterKey = writeBrowseParams({ mode: "list", filters: listFilters, offset: null, page: 1 }).toString();

  return (
    <Page title="Browse artifacts" lead="Models, datasets and code in the registry.">
      <p>
        <Link to="/choose">Compare artifacts by score, users' stars, license, size and downloads</Link>
      </p>
      <div className="panel">
        <FilterForm
          key={filterKey}
          initial={listFilters}
          onSubmit={(filters) => go({ mode: "list", filters, offset: null, page: 1 }, [])}
        />
      </div>
      <div className="panel">
        <RegexForm
          key={state.mode === "regex" ? state.regex : ""}
          initial={state.mode === "regex" ? state.regex : ""}
          onSubmit={(regex) => go({ mode: "regex", regex, page: 1 }, [])}
        />
      </div>

      <section
        aria-labelledby="results-heading"
        aria-busy={results.status === "loading"}
        // Which query the shown results answer (tests wait for it; handy when debugging).
        data-results-for={results.status === "loading" ? undefined : key}
      >
        <h2 id="results-heading" ref={resultsHeading} tabIndex={-1}>
          {state.mode === "regex" ? "Search results" : "Artifacts"}
        </h2>
        {state.mode === "regex" || hasFilters(listFilters) ? (
          <p>
            <Link to={{ search: "" }}>Show all artifacts</Link>
          </p>
        ) : null}
        <ResultsView state={state} results={results} />
        {results.status === "ok" && (state.page > 1 || results.data.hasNext) ? (
          <nav aria-label="Pages of results" className="pagination">
            {state.page > 2 ? (
              <button type="button" className="button" onClick={() => goToPage("first")}>
                First page
              </button>
            ) : null}
            <button type="button" className="button" disabled={state.page <= 1} onClick={() => goToPage("previous")}>
              Previous page
            </button>
            <span aria-current="page">Page {state.page}</span>
            <button type="button" className="button" disabled={!results.data.hasNext} onClick={() => goToPage("next")}>
              Next page
            </button>
          </nav>
        ) : null}
      </section>
    </Page>
  );
}

function summary(state: BrowseState, results: Results): string {
  if (state.mode === "regex") {
    if (results.total === 0) return `No artifact matches the regular expression ${state.regex}.`;
    const last = (results.first ?? 1) + results.items.length - 1;
    return `${plural(results.total ?? 0, "match", "matches")} for ${state.regex}; showing ${results.first}–${last}.`;
  }
  if (results.items.length === 0 && state.page === 1) return "No artifacts match these filters.";
  return `Page ${state.page}: ${plural(results.items.length, "artifact")}${results.hasNext ? ", more on the next page" : ""}.`;
}

function ResultsView({ state, results }: { state: BrowseState; results: AsyncState<Results> }) {
  if (results.status === "loading") return <Loading label="Loading artifacts…" />;
  if (results.status === "error") return <ErrorMessage error={results.error} title="Could not load the artifacts." />;
  const { items } = results.data;
  if (items.length === 0) {
    const empty =
      state.mode === "regex"
        ? `No artifact's name or README matches ${state.regex}.`
        : hasFilters(state.filters)
          ? "No artifacts match these filters."
          : "The registry has no artifacts yet.";
    return (
      <div className="alert alert--info" id="results-empty">
        <p>{empty}</p>
      </div>
    );
  }
  return (
    <>
      <p className="status-line" id="results-summary">
        {summary(state, results.data)}
      </p>
      <div className="table-wrap">
        <table className="data" aria-describedby="results-summary">
          <caption className="visually-hidden">
            {state.mode === "regex" ? `Artifacts matching ${state.regex}` : "Artifacts"}, page {state.page}
          </caption>
          <thead>
            <tr>
              <th scope="col">Name</th>
              <th scope="col">Type</th>
              <th scope="col">ID</th>
            </tr>
          </thead>
          <tbody>
            {items.map((artifact) => (
              <tr key={`${artifact.type}/${artifact.id}`}>
                <th scope="row">
                  <Link to={`/artifacts/${artifact.type}/${encodeURIComponent(artifact.id)}`}>{artifact.name}</Link>
                </th>
                <td>{TYPE_LABELS[artifact.type] ?? artifact.type}</td>
                <td>
                  <code>{artifact.id}</code>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
    </>
  );
}

function FilterForm({ initial, onSubmit }: { initial: ListFilters; onSubmit: (filters: ListFilters) => void }) {
  const [name, setName] = useState(initial.name);
  const [types, setTypes] = useState<ArtifactType[]>(initial.types);
  const [version, setVersion] = useState(initial.version);

  function submit(event: FormEvent) {
    event.preventDefault();
    onSubmit({ name, types, version });
  }

  function toggle(type: ArtifactType, checked: boolean) {
    setTypes((current) =>
      checked ? ARTIFACT_TYPES.filter((t) => t === type || current.includes(t)) : current.filter((t) => t !== type),
    );
  }

  return (
    <form onSubmit={submit} aria-labelledby="filter-heading">
      <h2 id="filter-heading">Filter</h2>
      <div className="form-inline">
        <div className="form-row">
          <label htmlFor="filter-name">Name</label>
          <input
            id="filter-name"
            type="text"
            name="name"
            value={name}
            autoComplete="off"
            spellCheck={false}
            aria-describedby="filter-name-hint"
            onChange={(event) => setName(event.target.value)}
          />
          <p className="hint" id="filter-name-hint">
            The exact name; empty or * for all.
          </p>
        </div>
        <div className="form-row">
          <label htmlFor="filter-version">Version range</label>
          <input
            id="filter-version"
            type="text"
            name="version"
            value={version}
            autoComplete="off"
            spellCheck={false}
            aria-describedby="filter-version-hint"
            onChange={(event) => setVersion(event.target.value)}
          />
          <p className="hint" id="filter-version-hint">
            1.2.3, 1.2.3-2.1.0, ~1.2.0 or ^1.2.0.
          </p>
        </div>
        <fieldset className="form-row">
          <legend>Types</legend>
          <div className="checkbox-group">
            {ARTIFACT_TYPES.map((type) => (
              <label key={type}>
                <input
                  type="checkbox"
                  name="type"
                  value={type}
                  checked={types.includes(type)}
                  onChange={(event) => toggle(type, event.target.checked)}
                />
                {TYPE_LABELS[type]}
              </label>
            ))}
          </div>
          <p className="hint">None checked: every type.</p>
        </fieldset>
        <div className="form-row">
          <button type="submit" className="button button--primary">
            Apply filters
          </button>
        </div>
      </div>
    </form>
  );
}

function RegexForm({ initial, onSubmit }: { initial: string; onSubmit: (regex: string) => void }) {
  const announce = useAnnounce();
  const [regex, setRegex] = useState(initial);
  const [missing, setMissing] = useState(false);
  const input = useRef<HTMLInputElement>(null);

  function submit(event: FormEvent) {
    event.preventDefault();
    if (!regex.trim()) {
      setMissing(true);
      announce("Enter a regular expression to search for.", "assertive");
      input.current?.focus();
      return;
    }
    setMissing(false);
    onSubmit(regex);
  }

  return (
    <form onSubmit={submit} aria-labelledby="regex-heading" noValidate>
      <h2 id="regex-heading">Search by regular expression</h2>
      <div className="form-inline">
        <div className="form-row">
          <label htmlFor="regex-input">Regular expression</label>
          <input
            ref={input}
            id="regex-input"
            type="search"
            name="regex"
            value={regex}
            autoComplete="off"
            spellCheck={false}
            aria-invalid={missing || undefined}
            aria-describedby={missing ? "regex-error regex-hint" : "regex-hint"}
            onChange={(event) => setRegex(event.target.value)}
          />
          <p className="hint" id="regex-hint">
            Matches names and READMEs, e.g. <code>bert|whisper</code> or <code>(?i)sentiment</code>. No backreferences or
            lookaround.
          </p>
          {missing ? (
            <p className="field-error" id="regex-error">
              Enter a regular expression to search for.
            </p>
          ) : null}
        </div>
        <div className="form-row">
          <button type="submit" className="button button--primary">
            Search
          </button>
        </div>
      </div>
    </form>
  );
}
