import { Link, useParams } from "react-router";
import { getArtifact } from "../api/endpoints";
import { isArtifactType } from "../api/types";
import { useAnnounce } from "../app/announcer";
import { Page } from "../app/Page";
import { useApi } from "../app/session";
import { useAsync } from "../app/useAsync";
import { ErrorMessage, describeError } from "../components/ErrorMessage";
import { Loading } from "../components/Loading";
import { NotFoundPage } from "./NotFoundPage";

/**
 * Artifact detail, phase 1: the artifact's metadata and source. Phase 2 (issue #8) adds the
 * rating chart, lineage graph, cost, license check, downloads and audit trail here.
 */
export function ArtifactPage() {
  const { type = "", id = "" } = useParams();
  if (!isArtifactType(type)) return <NotFoundPage />;
  return <ArtifactDetail type={type} id={id} />;
}

function ArtifactDetail({ type, id }: { type: "model" | "dataset" | "code"; id: string }) {
  const api = useApi();
  const announce = useAnnounce();
  const artifact = useAsync(
    (signal) => getArtifact(api, type, id, signal),
    [type, id],
    (settled) => {
      if (settled.status === "error") announce(describeError("Could not load the artifact.", settled.error), "assertive");
    },
  );
  const name = artifact.status === "ok" ? artifact.data.metadata.name : `${type} ${id}`;
  return (
    <Page title={name}>
      <p>
        <Link to="/artifacts">Back to all artifacts</Link>
      </p>
      {artifact.status === "loading" ? <Loading label="Loading the artifact…" /> : null}
      {artifact.status === "error" ? <ErrorMessage error={artifact.error} title="Could not load the artifact." /> : null}
      {artifact.status === "ok" ? (
        <section className="panel" aria-labelledby="metadata-heading">
          <h2 id="metadata-heading">Metadata</h2>
          <dl className="facts">
            <dt>Name</dt>
            <dd>{artifact.data.metadata.name}</dd>
            <dt>Type</dt>
            <dd>{artifact.data.metadata.type}</dd>
            <dt>ID</dt>
            <dd>
              <code>{artifact.data.metadata.id}</code>
            </dd>
            <dt>Source</dt>
            <dd>
              <a href={artifact.data.data.url} rel="noreferrer noopener">
                {artifact.data.data.url}
              </a>
            </dd>
          </dl>
        </section>
      ) : null}
    </Page>
  );
}
