import { useRef, useState } from "react";
import { Link, useNavigate, useParams } from "react-router";
import { deleteArtifact, getArtifact, getArtifactDetails, getAudit, getCost, getLineage } from "../../api/endpoints";
import { asApiError, type ApiError } from "../../api/errors";
import type { Artifact, ArtifactAuditEntry, ArtifactCost, ArtifactDetails, ArtifactType } from "../../api/types";
import { isArtifactType } from "../../api/types";
import { useAnnounce } from "../../app/announcer";
import { Page } from "../../app/Page";
import { useApi, useSession } from "../../app/session";
import { useAsync, type AsyncState } from "../../app/useAsync";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { NotFoundPage } from "../NotFoundPage";
import "./artifact.css";
import { DownloadsSection } from "./DownloadsSection";
import { formatBytes, formatMegabytes, formatUtc } from "./format";
import { HubSection } from "./HubSection";
import { repoId } from "./hub";
import { LicenseSection } from "./LicenseSection";
import { LineageSection, nodeInfo } from "./LineageSection";
import { RatingSection } from "./RatingSection";
import { ReviewsSection } from "./ReviewsSection";
import { Section } from "./Section";
import { DownloadHistorySection, MonitorSection } from "./SensitiveSection";
import { WeightsScanSection } from "./WeightsScanSection";

const TYPE_WORDS: Record<ArtifactType, string> = { model: "Model", dataset: "Dataset", code: "Code" };

/** /artifacts/:type/:id — everything the registry knows about one artifact, section by section. */
export function ArtifactPage() {
  const { type = "", id = "" } = useParams();
  if (!isArtifactType(type)) return <NotFoundPage />;
  return <ArtifactDetail key={`${type}/${id}`} type={type} id={id} />;
}

function ArtifactDetail({ type, id }: { type: ArtifactType; id: string }) {
  const api = useApi();
  const announce = useAnnounce();
  const artifact = useAsync(
    (signal) => getArtifact(api, type, id, signal),
    [type, id],
    (settled) => {
      if (settled.status === "error") announce(describeError("Could not load the artifact.", settled.error), "assertive");
      else if (settled.status === "ok") announce(`${TYPE_WORDS[type]} ${settled.data.metadata.name} loaded.`);
    },
  );
  const name = artifact.status === "ok" ? artifact.data.metadata.name : `${TYPE_WORDS[type]} ${id}`;
  return (
    <Page title={name} lead={artifact.status === "ok" ? `${TYPE_WORDS[type]} · id ${id}` : undefined}>
      <p>
        <Link to="/artifacts">Back to all artifacts</Link>
      </p>
      {artifact.status === "loading" ? <Loading label="Loading the artifact…" /> : null}
      {artifact.status === "error" ? <ErrorMessage error={artifact.error} title="Could not load the artifact." /> : null}
      {artifact.status === "ok" ? <Loaded artifact={artifact.data} /> : null}
    </Page>
  );
}

const SECTIONS = [
  { id: "metadata", label: "Metadata", models: false },
  { id: "weights-scan", label: "Weights scan", models: false },
  { id: "rating", label: "Rating", models: true },
  { id: "lineage", label: "Lineage", models: true },
  { id: "cost", label: "Cost", models: false },
  { id: "license", label: "License check", models: true },
  { id: "downloads", label: "Downloads", models: false },
  { id: "monitor", label: "Sensitive model", models: true },
  { id: "download-history", label: "Download history", models: true },
  { id: "reviews", label: "Reviews", models: false },
  { id: "use-from-python", label: "Use from Python", models: false },
  { id: "audit", label: "Audit trail", models: false },
  { id: "delete", label: "Delete", models: false },
];

function Loaded({ artifact }: { artifact: Artifact }) {
  const api = useApi();
  const { can } = useSession();
  const { type, id, name } = artifact.metadata;
  const isModel = type === "model";
  const announce = useAnnounce();
  const details = useAsync(
    (signal) => getArtifactDetails(api, type, id, signal),
    [type, id],
    (settled) => {
      if (settled.status === "error") {
        announce(describeError("Could not load the version, license and sizes.", settled.error), "assertive");
      }
    },
  );
  const lineage = useAsync(
    (signal) => (isModel ? getLineage(api, id, signal) : Promise.resolve({ nodes: [], edges: [] })),
    [type, id],
    (settled) => {
      if (settled.status === "error") announce(describeError("Could not load the lineage.", settled.error), "assertive");
    },
  );
  // Names for the cost table: the lineage knows every dependency's name.
  const names = new Map<string, string>([[id, name]]);
  if (lineage.status === "ok") for (const node of lineage.data.nodes) names.set(node.artifact_id, nodeInfo(node, id).name);
  const hubRepo = repoId(type, name, artifact.data.url);
  const sections = SECTIONS.filter(
    (s) => (isModel || !s.models) && (s.id !== "delete" || can("upload")) && (s.id !== "use-from-python" || hubRepo),
  );
  return (
    <>
      <nav aria-label="Sections of this page" className="toc">
        <ul>
          {sections.map((s) => (
            <li key={s.id}>
              <a href={`#${s.id}`}>{s.label}</a>
            </li>
          ))}
        </ul>
      </nav>
      <MetadataSection artifact={artifact} details={details} />
      <WeightsScanSection details={details} />
      {isModel ? <RatingSection id={id} name={name} /> : null}
      {isModel ? <LineageSection state={lineage} id={id} /> : null}
      <CostSection type={type} id={id} names={names} />
      {isModel ? <LicenseSection id={id} name={name} /> : null}
      <DownloadsSection
        type={type}
        id={id}
        name={name}
        bundleBytes={details.status === "ok" ? details.data.bundle_bytes : null}
      />
      {isModel ? <MonitorSection id={id} name={name} /> : null}
      {isModel ? (
        <DownloadHistorySection
          id={id}
          name={name}
          uploader={details.status === "ok" ? details.data.uploader : details.status === "error" ? null : undefined}
        />
      ) : null}
      <ReviewsSection type={type} id={id} name={name} />
      {hubRepo ? <HubSection type={type} repo={hubRepo} /> : null}
      <AuditSection type={type} id={id} name={name} />
      {can("upload") ? <DeleteSection type={type} id={id} name={name} /> : null}
    </>
  );
}

function sourceView(url: string) {
  if (url.startsWith("upload://")) return <>Uploaded zip ({url.slice("upload://".length)})</>;
  if (/^https?:\/\//i.test(url)) {
    return (
      <a href={url} rel="noreferrer noopener">
        {url}
      </a>
    );
  }
  return <code>{url}</code>;
}

const SOURCE_KINDS: Record<string, string> = {
  huggingface_model: "Hugging Face model",
  huggingface_dataset: "Hugging Face dataset",
  github: "GitHub repository",
  kaggle: "Kaggle dataset",
  upload: "Uploaded zip",
  url: "Web page",
};

function MetadataSection({ artifact, details }: { artifact: Artifact; details: AsyncState<ArtifactDetails> }) {
  const meta = artifact.metadata;
  const d = details.status === "ok" ? details.data : null;
  return (
    <Section id="metadata" title="Metadata" busy={details.status === "loading"}>
      <dl className="facts">
        <dt>Name</dt>
        <dd>{meta.name}</dd>
        <dt>Type</dt>
        <dd>{TYPE_WORDS[meta.type]}</dd>
        <dt>ID</dt>
        <dd>
          <code>{meta.id}</code>
        </dd>
        <dt>Source</dt>
        <dd>{sourceView(artifact.data.url)}</dd>
        {d ? (
          <>
            <dt>Version</dt>
            <dd>{d.version ?? "none (the source has no version tags)"}</dd>
            {d.versions.length > 1 ? (
              <>
                <dt>Tagged versions</dt>
                <dd>{d.versions.join(", ")}</dd>
              </>
            ) : null}
            <dt>Source kind</dt>
            <dd>{d.source_kind ? (SOURCE_KINDS[d.source_kind] ?? d.source_kind) : "unknown"}</dd>
            <dt>License</dt>
            <dd>{d.license ?? "not declared"}</dd>
            <dt>Stored size</dt>
            <dd>{d.content_bytes !== null ? formatBytes(d.content_bytes) : "unknown"}</dd>
            <dt>Full download</dt>
            <dd>
              {d.bundle_bytes !== null ? `${formatBytes(d.bundle_bytes)} (zip)` : "unknown"}
              {d.complete === false ? "; the weights were too large to mirror" : ""}
            </dd>
            <dt>Registered by</dt>
            <dd>{d.uploader ?? "unknown"}</dd>
            <dt>Registered</dt>
            <dd>{d.created_at ? <time dateTime={d.created_at}>{formatUtc(d.created_at)}</time> : "unknown"}</dd>
            <dt>Last updated</dt>
            <dd>
              {d.updated_at ? <time dateTime={d.updated_at}>{formatUtc(d.updated_at)}</time> : "unknown"}
              {d.revision !== null && d.revision > 1 ? ` (revision ${d.revision})` : ""}
            </dd>
            {meta.type === "model" && d.rating ? (
              <>
                <dt>Vetted</dt>
                <dd>
                  {d.rating.vetted
                    ? "Yes: every metric is at least 0.5"
                    : d.rating.error
                      ? `No: the rating failed (${d.rating.error})`
                      : `No: below 0.5 on ${d.rating.failing_metrics.join(", ") || "some metric"}`}
                </dd>
              </>
            ) : null}
          </>
        ) : null}
      </dl>
      {details.status === "loading" ? <Loading label="Loading version, license and sizes…" /> : null}
      {details.status === "error" ? (
        <ErrorMessage error={details.error} title="Could not load the version, license and sizes." />
      ) : null}
      {d && d.notes.length > 0 ? (
        <>
          <h3>Notes from ingest</h3>
          <ul>
            {d.notes.map((note, i) => (
              <li key={i}>{note}</li>
            ))}
          </ul>
        </>
      ) : null}
    </Section>
  );
}

function CostSection({ type, id, names }: { type: ArtifactType; id: string; names: Map<string, string> }) {
  const api = useApi();
  const announce = useAnnounce();
  const onError = (what: string) => (settled: AsyncState<ArtifactCost>) => {
    if (settled.status === "error") announce(describeError(what, settled.error), "assertive");
  };
  const alone = useAsync((signal) => getCost(api, type, id, false, signal), [type, id], onError("Could not load the cost."));
  const withDeps = useAsync(
    (signal) => getCost(api, type, id, true, signal),
    [type, id],
    onError("Could not load the cost with dependencies."),
  );
  const busy = alone.status === "loading" || withDeps.status === "loading";
  const own = alone.status === "ok" ? alone.data[id] : undefined;
  const total = withDeps.status === "ok" ? withDeps.data[id] : undefined;
  const deps = withDeps.status === "ok" ? Object.entries(withDeps.data).filter(([depId]) => depId !== id) : [];
  return (
    <Section id="cost" title="Cost" busy={busy}>
      <p className="status-line">What a full download costs, in decimal megabytes, as the registry reports it.</p>
      <dl className="facts">
        <dt>Without dependencies</dt>
        <dd id="cost-alone">
          {alone.status === "loading" ? "Loading…" : null}
          {alone.status === "error" ? "Not available (see below)" : null}
          {alone.status === "ok" ? (own ? `${own.total_cost} MB (${formatMegabytes(own.total_cost)})` : "not reported") : null}
        </dd>
        <dt>With dependencies</dt>
        <dd id="cost-total">
          {withDeps.status === "loading" ? "Loading…" : null}
          {withDeps.status === "error" ? "Not available (see below)" : null}
          {withDeps.status === "ok"
            ? total
              ? `${total.total_cost} MB (${formatMegabytes(total.total_cost)}), ${deps.length === 0 ? "no registered dependencies" : `${deps.length} registered ${deps.length === 1 ? "dependency" : "dependencies"}`}`
              : "not reported"
            : null}
        </dd>
      </dl>
      {alone.status === "error" ? <ErrorMessage error={alone.error} title="Could not load the cost." /> : null}
      {withDeps.status === "error" ? (
        <ErrorMessage error={withDeps.error} title="Could not load the cost with dependencies." />
      ) : null}
      {withDeps.status === "ok" && deps.length > 0 ? (
        <div className="table-wrap">
          <table className="data" id="cost-table">
            <caption>Cost of each registered artifact it depends on</caption>
            <thead>
              <tr>
                <th scope="col">Artifact</th>
                <th scope="col">Own size</th>
                <th scope="col">With its dependencies</th>
              </tr>
            </thead>
            <tbody>
              {[[id, withDeps.data[id]] as const, ...deps].map(([depId, cost]) =>
                cost ? (
                  <tr key={depId}>
                    <th scope="row">{names.get(depId) ?? <code>{depId}</code>}</th>
                    <td>{cost.standalone_cost !== undefined ? formatMegabytes(cost.standalone_cost) : "not reported"}</td>
                    <td>{formatMegabytes(cost.total_cost)}</td>
                  </tr>
                ) : null,
              )}
            </tbody>
          </table>
        </div>
      ) : null}
    </Section>
  );
}

const ACTION_WORDS: Record<ArtifactAuditEntry["action"], string> = {
  CREATE: "Registered",
  UPDATE: "Updated",
  DOWNLOAD: "Downloaded",
  RATE: "Rating read",
  AUDIT: "Audit trail read",
};

function AuditSection({ type, id, name }: { type: ArtifactType; id: string; name: string }) {
  const api = useApi();
  const announce = useAnnounce();
  const audit = useAsync(
    (signal) => getAudit(api, type, id, signal),
    [type, id],
    (settled) => {
      if (settled.status === "error") announce(describeError("Could not load the audit trail.", settled.error), "assertive");
    },
  );
  return (
    <Section id="audit" title="Audit trail" busy={audit.status === "loading"}>
      {audit.status === "loading" ? <Loading label="Loading the audit trail…" /> : null}
      {audit.status === "error" ? <ErrorMessage error={audit.error} title="Could not load the audit trail." /> : null}
      {audit.status === "ok" && audit.data.length === 0 ? (
        <div className="alert alert--info" id="audit-empty">
          <p>No one has registered, updated, rated or downloaded {name} yet.</p>
        </div>
      ) : null}
      {audit.status === "ok" && audit.data.length > 0 ? (
        <>
          <p className="status-line">Oldest first; times in UTC. Reading this trail is recorded in it too.</p>
          <div className="table-wrap">
            <table className="data" id="audit-table">
              <caption className="visually-hidden">Audit trail of {name}</caption>
              <thead>
                <tr>
                  <th scope="col">When (UTC)</th>
                  <th scope="col">Action</th>
                  <th scope="col">User</th>
                </tr>
              </thead>
              <tbody>
                {audit.data.map((entry, i) => (
                  <tr key={i}>
                    <th scope="row">
                      <time dateTime={entry.date}>{formatUtc(entry.date)}</time>
                    </th>
                    <td>
                      {ACTION_WORDS[entry.action] ?? entry.action} <span className="tag">{entry.action}</span>
                    </td>
                    <td>
                      {entry.user.name}
                      {entry.user.is_admin ? " (admin)" : ""}
                    </td>
                  </tr>
                ))}
              </tbody>
            </table>
          </div>
        </>
      ) : null}
    </Section>
  );
}

function DeleteSection({ type, id, name }: { type: ArtifactType; id: string; name: string }) {
  const api = useApi();
  const announce = useAnnounce();
  const navigate = useNavigate();
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const trigger = useRef<HTMLButtonElement>(null);

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      await deleteArtifact(api, type, id);
      announce(`Deleted ${name}.`);
      navigate("/artifacts", { state: { deleted: name } });
    } catch (thrown) {
      const failure = asApiError(thrown);
      setError(failure);
      setBusy(false);
      announce(describeError(`Could not delete ${name}.`, failure), "assertive");
    }
  }

  return (
    <Section id="delete" title="Delete">
      <p>Deleting removes {name} and its files from the registry for everyone. It cannot be undone.</p>
      <button
        ref={trigger}
        type="button"
        className="button button--danger"
        aria-haspopup="dialog"
        onClick={() => {
          setError(null);
          setOpen(true);
        }}
      >
        Delete {name}…
      </button>
      <ConfirmDialog
        open={open}
        title={`Delete ${name}?`}
        confirmLabel="Delete permanently"
        busyLabel="Deleting…"
        busy={busy}
        onConfirm={confirm}
        onClose={() => setOpen(false)}
        returnFocusTo={trigger}
        footer={error ? <ErrorMessage error={error} title={`Could not delete ${name}.`} /> : null}
      >
        <p>
          {TYPE_WORDS[type]} <strong>{name}</strong> (id <code>{id}</code>) and its stored files will be removed for
          everyone. Its audit trail goes with it. This cannot be undone.
        </p>
      </ConfirmDialog>
    </Section>
  );
}
