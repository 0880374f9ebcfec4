import { useRef, useState, type FormEvent } from "react";
import { Link } from "react-router";
import { addGroupCommand, addGroupUpload, createGroup, executeGroup, getGroup, listGroups } from "../../api/endpoints";
import { ApiError, asApiError } from "../../api/errors";
import { ARTIFACT_TYPES, type Artifact, type ArtifactType, type GroupRequest } from "../../api/types";
import { useAnnounce } from "../../app/announcer";
import { Page } from "../../app/Page";
import { useApi } from "../../app/session";
import { useAsync } from "../../app/useAsync";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { commandSentence, failureSentence, stateSentence } from "./describe";

type Op = "ingest" | "update" | "delete" | "upload";
const OP_WORDS: Record<Op, string> = {
  ingest: "Ingest from a URL",
  upload: "Upload a zip",
  update: "Update an artifact",
  delete: "Delete an artifact",
};

/** /groups: atomic groups (R25): create a request, add members, execute all at once. */
export function GroupsPage() {
  const api = useApi();
  const announce = useAnnounce();
  const [generation, setGeneration] = useState(0);
  const [selected, setSelected] = useState<string | null>(null);
  const [error, setError] = useState<ApiError | null>(null);
  const list = useAsync((signal) => listGroups(api, signal), [generation]);

  async function create() {
    setError(null);
    try {
      const group = await createGroup(api);
      setSelected(group.id);
      setGeneration((g) => g + 1);
      announce("New group request created; add its members below.");
    } catch (thrown) {
      const failure = asApiError(thrown);
      setError(failure);
      announce(describeError("Could not create a group request.", failure), "assertive");
    }
  }

  return (
    <Page
      title="Atomic groups"
      lead="Register, update and delete several artifacts as one: after execute every change is visible at once, or none is."
    >
      <section className="panel" aria-labelledby="groups-list-heading">
        <h2 id="groups-list-heading">Your group requests</h2>
        <button type="button" className="button button--primary" onClick={create}>
          New group request
        </button>
        {error ? <ErrorMessage error={error} title="Could not create a group request." /> : null}
        {list.status === "loading" ? <Loading label="Loading your group requests" /> : null}
        {list.status === "error" ? <ErrorMessage error={list.error} title="Could not load your group requests." /> : null}
        {list.status === "ok" && list.data.length === 0 ? <p>No group requests yet.</p> : null}
        {list.status === "ok" && list.data.length > 0 ? (
          <table className="data">
            <caption>Your group requests, newest first</caption>
            <thead>
              <tr>
                <th scope="col">Request</th>
                <th scope="col">State</th>
                <th scope="col">Created</th>
              </tr>
            </thead>
            <tbody>
              {list.data.map((group) => (
                <tr key={group.id}>
                  <td>
                    <button
                      type="button"
                      className="button button--link"
                      aria-pressed={selected === group.id}
                      onClick={() => setSelected(group.id)}
                    >
                      Open request {group.id.slice(0, 8)}
                    </button>
                  </td>
                  <td>{stateSentence(group)}</td>
                  <td>{group.created_at.replace("T", " ").replace("Z", " UTC")}</td>
                </tr>
              ))}
            </tbody>
          </table>
        ) : null}
      </section>
      {selected ? (
        <GroupPanel key={selected} groupId={selected} onChanged={() => setGeneration((g) => g + 1)} />
      ) : null}
    </Page>
  );
}

function GroupPanel({ groupId, onChanged }: { groupId: string; onChanged: () => void }) {
  const api = useApi();
  const announce = useAnnounce();
  const [generation, setGeneration] = useState(0);
  const [executing, setExecuting] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [artifacts, setArtifacts] = useState<Artifact[]>([]);
  const state = useAsync((signal) => getGroup(api, groupId, signal), [groupId, generation]);

  function refresh() {
    setGeneration((g) => g + 1);
    onChanged();
  }

  async function execute() {
    setExecuting(true);
    setFailure(null);
    announce("Executing the group: every member is fetched and checked first; this can take a minute.");
    try {
      const outcome = await executeGroup(api, groupId);
      setArtifacts(outcome.artifacts);
      announce(`Committed: all ${outcome.commands.length} members applied at once.`);
    } catch (thrown) {
      const error = asApiError(thrown);
      setFailure(error);
      announce(describeError("The group was rolled back.", error), "assertive");
    } finally {
      setExecuting(false);
      refresh();
    }
  }

  if (state.status === "loading") return <Loading label="Loading the group request" />;
  if (state.status === "error") return <ErrorMessage error={state.error} title="Could not load the group request." />;
  const group: GroupRequest = state.data;
  const failed = failureSentence(group);
  return (
    <section className="panel" aria-labelledby="group-heading" aria-busy={executing || undefined}>
      <h2 id="group-heading">Request {group.id.slice(0, 8)}</h2>
      <p className="status-line" id="group-state">
        {stateSentence(group)}
      </p>
      {group.commands.length > 0 ? (
        <table className="data">
          <caption>Members, in the order they apply</caption>
          <thead>
            <tr>
              <th scope="col">Position</th>
              <th scope="col">Command</th>
            </tr>
          </thead>
          <tbody>
            {group.commands.map((command) => (
              <tr key={command.position}>
                <td>{command.position}</td>
                <td>
                  {commandSentence(command)}
                  {group.state === "committed" && command.id && command.op !== "delete" ? (
                    <>
                      {" "}
                      <Link to={`/artifacts/${command.type}/${encodeURIComponent(command.id)}`}>
                        Open {command.name ?? `the ${command.type}`}
                      </Link>
                    </>
                  ) : null}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      ) : (
        <p>No members yet.</p>
      )}
      {failure ? <ErrorMessage error={failure} title="The group was rolled back; nothing was applied." /> : null}
      {!failure && failed ? (
        <div className="alert alert--error">
          <p>
            <strong>Rolled back; nothing was applied.</strong> {failed} {group.failure?.reason}
          </p>
        </div>
      ) : null}
      {artifacts.length > 0 ? (
        <div className="alert alert--success">
          <p>
            <strong>Committed.</strong> {artifacts.length} {artifacts.length === 1 ? "artifact is" : "artifacts are"} now
            visible.
          </p>
        </div>
      ) : null}
      {group.state === "open" ? (
        <>
          <AddMember groupId={group.id} onAdded={refresh} />
          <button
            type="button"
            className="button button--primary"
            onClick={execute}
            disabled={executing || group.commands.length === 0}
          >
            {executing ? "Executing…" : "Execute the group"}
          </button>
        </>
      ) : null}
    </section>
  );
}

function AddMember({ groupId, onAdded }: { groupId: string; onAdded: () => void }) {
  const api = useApi();
  const announce = useAnnounce();
  const [op, setOp] = useState<Op>("ingest");
  const [type, setType] = useState<ArtifactType>("model");
  const [url, setUrl] = useState("");
  const [name, setName] = useState("");
  const [artifactId, setArtifactId] = useState("");
  const [error, setError] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const file = useRef<HTMLInputElement>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    setError(null);
    setBusy(true);
    try {
      if (op === "upload") {
        const chosen = file.current?.files?.[0];
        if (!chosen) throw new ApiError(-1, "Choose a zip file to upload.", "client_error", null);
        const fields: { file: File; type: ArtifactType; name?: string } = { file: chosen, type };
        if (name.trim()) fields.name = name.trim();
        await addGroupUpload(api, groupId, fields);
      } else {
        const command: Parameters<typeof addGroupCommand>[2] = { op, type };
        if (url.trim() && op !== "delete") command.url = url.trim();
        if (name.trim() && op !== "delete") command.name = name.trim();
        if (artifactId.trim() && op !== "ingest") command.id = artifactId.trim();
        await addGroupCommand(api, groupId, command);
      }
      announce("Member added.");
      setUrl("");
      setName("");
      setArtifactId("");
      onAdded();
    } catch (thrown) {
      const failure = asApiError(thrown);
      setError(failure);
      announce(describeError("Could not add the member.", failure), "assertive");
    } finally {
      setBusy(false);
    }
  }

  return (
    <form onSubmit={submit} noValidate className="form form--wide" aria-labelledby="add-member-heading">
      <h3 id="add-member-heading">Add a member</h3>
      <div className="form-row">
        <label htmlFor="member-op">Command</label>
        <select id="member-op" value={op} onChange={(e) => setOp(e.target.value as Op)}>
          {(Object.keys(OP_WORDS) as Op[]).map((value) => (
            <option key={value} value={value}>
              {OP_WORDS[value]}
            </option>
          ))}
        </select>
      </div>
      <div className="form-row">
        <label htmlFor="member-type">Artifact type</label>
        <select id="member-type" value={type} onChange={(e) => setType(e.target.value as ArtifactType)}>
          {ARTIFACT_TYPES.map((value) => (
            <option key={value} value={value}>
              {value}
            </option>
          ))}
        </select>
      </div>
      {op === "update" || op === "delete" ? (
        <div className="form-row">
          <label htmlFor="member-id">Artifact id</label>
          <input id="member-id" type="text" value={artifactId} autoComplete="off" onChange={(e) => setArtifactId(e.target.value)} />
        </div>
      ) : null}
      {op === "ingest" || op === "update" ? (
        <div className="form-row">
          <label htmlFor="member-url">Source URL</label>
          <input id="member-url" type="url" value={url} autoComplete="url" spellCheck={false} onChange={(e) => setUrl(e.target.value)} />
        </div>
      ) : null}
      {op === "upload" ? (
        <div className="form-row">
          <label htmlFor="member-file">Zip file</label>
          <input id="member-file" type="file" accept=".zip,application/zip" ref={file} />
        </div>
      ) : null}
      {op !== "delete" ? (
        <div className="form-row">
          <label htmlFor="member-name">{op === "update" ? "Name (must match the artifact)" : "Name (optional)"}</label>
          <input id="member-name" type="text" value={name} autoComplete="off" onChange={(e) => setName(e.target.value)} />
        </div>
      ) : null}
      <button type="submit" className="button" disabled={busy}>
        Add member
      </button>
      {error ? <ErrorMessage error={error} title="Could not add the member." /> : null}
    </form>
  );
}
