import { useEffect, useRef, useState, type FormEvent, type ReactNode } from "react";
import { Link } from "react-router";
import { registerArtifact, uploadArtifact } from "../../api/endpoints";
import { asApiError, isAbort, type ApiError } from "../../api/errors";
import { ARTIFACT_TYPES, type Artifact, type ArtifactType } from "../../api/types";
import { useAnnounce } from "../../app/announcer";
import { Page } from "../../app/Page";
import { useApi } from "../../app/session";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import "../artifact/artifact.css";
import { METRIC_LABELS, formatBytes, formatProgress, percent, type ScalarMetric } from "../artifact/format";
import { failingMetrics, nameProblem, sourceUrlProblem, versionProblem, zipProblem } from "./validate";

const TYPE_WORDS: Record<ArtifactType, string> = { model: "Model", dataset: "Dataset", code: "Code" };

type Outcome =
  | { status: "idle" }
  | { status: "busy" }
  | { status: "done"; artifact: Artifact; pending: boolean }
  | { status: "error"; error: ApiError }
  | { status: "cancelled" };

type Problems = Partial<Record<"url" | "name" | "version" | "file", string>>;

/** /register: add an artifact from a URL or from a zip (needs the upload permission). */
export function RegisterPage() {
  return (
    <Page title="Register an artifact" lead="Add a model, dataset or code from a URL, or upload a zip.">
      <UrlForm />
      <UploadForm />
    </Page>
  );
}

function outcomeSentence(artifact: Artifact, pending: boolean): string {
  const { name, type } = artifact.metadata;
  if (pending) {
    return `${TYPE_WORDS[type]} ${name} was accepted; its rating is still running, and it appears in the registry when the rating finishes.`;
  }
  return type === "model"
    ? `Model ${name} is registered and rated.`
    : `${TYPE_WORDS[type]} ${name} is registered.`;
}

function metricLabel(metric: string): string {
  if (metric === "size_score") return "Size score (no device reaches 0.5)";
  return METRIC_LABELS[metric as ScalarMetric] ?? metric;
}

/** 201 / 202 / 424 / any other failure, in words. */
function OutcomeView({ outcome, idPrefix }: { outcome: Outcome; idPrefix: string }) {
  if (outcome.status === "done") {
    const { name, type, id } = outcome.artifact.metadata;
    return (
      <div className={outcome.pending ? "alert alert--info" : "alert alert--success"} id={`${idPrefix}-outcome`}>
        <p>
          <strong>{outcome.pending ? "Accepted, rating pending." : "Registered."}</strong>{" "}
          {outcomeSentence(outcome.artifact, outcome.pending)}
        </p>
        <p>
          <Link to={`/artifacts/${type}/${encodeURIComponent(id)}`}>Open {name}</Link> (id <code>{id}</code>)
        </p>
      </div>
    );
  }
  if (outcome.status === "error") {
    const failing = outcome.error.status === 424 ? failingMetrics(outcome.error.details) : [];
    const title =
      outcome.error.status === 424 ? "Refused by the quality gate; nothing was stored." : "Could not register the artifact.";
    return (
      <div id={`${idPrefix}-outcome`}>
        <ErrorMessage error={outcome.error} title={title} />
        {failing.length > 0 ? (
          <div className="alert alert--info">
            <p>Every metric must be at least 0.5. These were below:</p>
            <ul className="failing-list">
              {failing.map((metric) => (
                <li key={metric}>{metricLabel(metric)}</li>
              ))}
            </ul>
          </div>
        ) : null}
      </div>
    );
  }
  if (outcome.status === "cancelled") {
    return (
      <p className="status-line" id={`${idPrefix}-outcome`}>
        Upload cancelled; nothing was registered.
      </p>
    );
  }
  return null;
}

function announceOutcome(announce: ReturnType<typeof useAnnounce>, outcome: Outcome) {
  if (outcome.status === "done") announce(outcomeSentence(outcome.artifact, outcome.pending));
  if (outcome.status === "error") {
    const failing = failingMetrics(outcome.error.details);
    const title = outcome.error.status === 424 ? "Refused by the quality gate." : "Could not register the artifact.";
    announce(describeError(title, outcome.error) + (failing.length ? ` Below 0.5: ${failing.map(metricLabel).join(", ")}.` : ""), "assertive");
  }
}

function TypeChoice({ name, value, onChange }: { name: string; value: ArtifactType; onChange: (t: ArtifactType) => void }) {
  return (
    <fieldset className="form-row">
      <legend>Type</legend>
      <div className="checkbox-group">
        {ARTIFACT_TYPES.map((type) => (
          <label key={type}>
            <input type="radio" name={name} value={type} checked={value === type} onChange={() => onChange(type)} />
            {TYPE_WORDS[type]}
          </label>
        ))}
      </div>
    </fieldset>
  );
}

interface FieldA11y {
  id: string;
  "aria-invalid": true | undefined;
  "aria-describedby": string;
}

/** A labelled form row: the hint always describes the control, the error (when any) first. */
function Field(props: {
  id: string;
  label: string;
  hint: ReactNode;
  problem: string | undefined;
  children: (a11y: FieldA11y) => ReactNode;
}) {
  const { id, label, hint, problem, children } = props;
  const hintId = `${id}-hint`;
  const errorId = `${id}-error`;
  return (
    <div className="form-row">
      <label htmlFor={id}>{label}</label>
      {children({
        id,
        "aria-invalid": problem ? true : undefined,
        "aria-describedby": problem ? `${errorId} ${hintId}` : hintId,
      })}
      <p className="hint" id={hintId}>
        {hint}
      </p>
      {problem ? (
        <p className="field-error" id={errorId}>
          {problem}
        </p>
      ) : null}
    </div>
  );
}

function UrlForm() {
  const api = useApi();
  const announce = useAnnounce();
  const [type, setType] = useState<ArtifactType>("model");
  const [url, setUrl] = useState("");
  const [name, setName] = useState("");
  const [version, setVersion] = useState("");
  const [problems, setProblems] = useState<Problems>({});
  const [outcome, setOutcome] = useState<Outcome>({ status: "idle" });
  const refs = { url: useRef<HTMLInputElement>(null), name: useRef<HTMLInputElement>(null), version: useRef<HTMLInputElement>(null) };

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found: Problems = {};
    const u = sourceUrlProblem(url);
    const n = nameProblem(name);
    const v = versionProblem(version);
    if (u) found.url = u;
    if (n) found.name = n;
    if (v) found.version = v;
    setProblems(found);
    const first = (["url", "name", "version"] as const).find((k) => found[k]);
    if (first) {
      announce(`Check the form: ${found[first]}`, "assertive");
      refs[first].current?.focus();
      return;
    }
    setOutcome({ status: "busy" });
    announce(`Registering ${url.trim()}… Models are rated first; this can take a minute.`);
    try {
      const body: { url: string; name?: string; version?: string } = { url: url.trim() };
      if (name.trim()) body.name = name.trim();
      if (version.trim()) body.version = version.trim();
      const result = await registerArtifact(api, type, body);
      const next: Outcome = { status: "done", artifact: result.artifact, pending: result.pending };
      setOutcome(next);
      announceOutcome(announce, next);
    } catch (thrown) {
      const next: Outcome = { status: "error", error: asApiError(thrown) };
      setOutcome(next);
      announceOutcome(announce, next);
    }
  }

  const busy = outcome.status === "busy";
  return (
    <section className="panel" aria-labelledby="url-heading" aria-busy={busy || undefined}>
      <h2 id="url-heading">From a URL</h2>
      <form onSubmit={submit} noValidate className="form form--wide">
        <TypeChoice name="url-type" value={type} onChange={setType} />
        <Field id="register-url" label="Source URL (required)" problem={problems.url} hint="A Hugging Face model or dataset, a GitHub repository, a Kaggle dataset or any web page.">
          {(a11y) => (
            <input
              {...a11y}
              ref={refs.url}
              type="url"
              value={url}
              required
              autoComplete="url"
              spellCheck={false}
              onChange={(e) => setUrl(e.target.value)}
            />
          )}
        </Field>
        <Field id="register-name" label="Name (optional)" problem={problems.name} hint="Empty: taken from the URL (bert-base-uncased for …/google-bert/bert-base-uncased).">
          {(a11y) => (
            <input
              {...a11y}
              ref={refs.name}
              type="text"
              value={name}
              autoComplete="off"
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </Field>
        <Field id="register-version" label="Version (optional)" problem={problems.version} hint="For sources without version tags, e.g. 1.0.0.">
          {(a11y) => (
            <input
              {...a11y}
              ref={refs.version}
              type="text"
              value={version}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => setVersion(e.target.value)}
            />
          )}
        </Field>
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? "Registering…" : "Register"}
        </button>
        {busy ? (
          <p className="status-line">
            <span className="spinner" aria-hidden="true" /> Fetching and rating; this can take up to a minute.
          </p>
        ) : null}
      </form>
      <OutcomeView outcome={outcome} idPrefix="url" />
    </section>
  );
}

type UploadState = Outcome | { status: "uploading"; sent: number; total: number | null };

function UploadForm() {
  const api = useApi();
  const announce = useAnnounce();
  const [type, setType] = useState<ArtifactType>("model");
  const [file, setFile] = useState<File | null>(null);
  const [name, setName] = useState("");
  const [version, setVersion] = useState("");
  const [problems, setProblems] = useState<Problems>({});
  const [state, setState] = useState<UploadState>({ status: "idle" });
  const controller = useRef<AbortController | null>(null);
  const refs = { file: useRef<HTMLInputElement>(null), name: useRef<HTMLInputElement>(null), version: useRef<HTMLInputElement>(null) };
  const submitRef = useRef<HTMLButtonElement>(null);

  const refocus = useRef(false);

  useEffect(() => () => controller.current?.abort(), []);
  // After a cancel the Cancel button is gone: focus the (re-enabled) submit button.
  useEffect(() => {
    if (refocus.current && state.status !== "uploading") {
      refocus.current = false;
      submitRef.current?.focus();
    }
  }, [state]);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const found: Problems = {};
    const f = zipProblem(file);
    const n = nameProblem(name);
    const v = versionProblem(version);
    if (f) found.file = f;
    if (n) found.name = n;
    if (v) found.version = v;
    setProblems(found);
    const first = (["file", "name", "version"] as const).find((k) => found[k]);
    if (first || !file) {
      if (first) announce(`Check the form: ${found[first]}`, "assertive");
      if (first) refs[first].current?.focus();
      return;
    }
    const abort = new AbortController();
    controller.current = abort;
    setState({ status: "uploading", sent: 0, total: file.size });
    announce(`Uploading ${file.name} (${formatBytes(file.size)})…`);
    let last = -1;
    try {
      const fields: { file: File; name?: string; version?: string } = { file };
      if (name.trim()) fields.name = name.trim();
      if (version.trim()) fields.version = version.trim();
      const result = await uploadArtifact(
        api,
        type,
        fields,
        (sent, total) => {
          const p = percent(sent, total) ?? -1;
          if (p !== last) {
            last = p;
            setState({ status: "uploading", sent, total });
          }
        },
        abort.signal,
      );
      const next: Outcome = { status: "done", artifact: result.artifact, pending: result.pending };
      setState(next);
      announceOutcome(announce, next);
    } catch (thrown) {
      if (isAbort(thrown)) {
        setState({ status: "cancelled" });
        announce("Upload cancelled; nothing was registered.");
        refocus.current = true;
      } else {
        const next: Outcome = { status: "error", error: asApiError(thrown) };
        setState(next);
        announceOutcome(announce, next);
      }
    } finally {
      controller.current = null;
    }
  }

  const uploading = state.status === "uploading";
  const sentAll = uploading && state.total !== null && state.sent >= state.total;
  return (
    <section className="panel" aria-labelledby="upload-heading" aria-busy={uploading || undefined}>
      <h2 id="upload-heading">Upload a zip</h2>
      <form onSubmit={submit} noValidate className="form form--wide">
        <TypeChoice name="upload-type" value={type} onChange={setType} />
        <Field
          id="upload-file"
          label="Zip file (required)"
          problem={problems.file}
          hint={
            <>
              Laid out like a Hugging Face repository (README.md, config.json, weights); one top-level folder is fine. Up
              to 2 GiB; no symlinks, encryption, or absolute or .. paths.
              {file ? ` Chosen: ${file.name}, ${formatBytes(file.size)}.` : ""}
            </>
          }
        >
          {(a11y) => (
            <input
              {...a11y}
              ref={refs.file}
              type="file"
              accept=".zip,application/zip"
              onChange={(e) => setFile(e.target.files?.[0] ?? null)}
            />
          )}
        </Field>
        <Field id="upload-name" label="Name (optional)" problem={problems.name} hint="Empty: taken from the zip's name.">
          {(a11y) => (
            <input
              {...a11y}
              ref={refs.name}
              type="text"
              value={name}
              autoComplete="off"
              onChange={(e) => setName(e.target.value)}
            />
          )}
        </Field>
        <Field id="upload-version" label="Version (optional)" problem={problems.version} hint="e.g. 2.1.0; version ranges in the browse page match it.">
          {(a11y) => (
            <input
              {...a11y}
              ref={refs.version}
              type="text"
              value={version}
              autoComplete="off"
              spellCheck={false}
              onChange={(e) => setVersion(e.target.value)}
            />
          )}
        </Field>
        <div className="button-row">
          <button ref={submitRef} type="submit" className="button button--primary" disabled={uploading}>
            {uploading ? "Uploading…" : "Upload and register"}
          </button>
          {uploading ? (
            <button type="button" className="button" onClick={() => controller.current?.abort()}>
              Cancel upload
            </button>
          ) : null}
        </div>
      </form>
      {uploading ? (
        <div className="progress-row" id="upload-progress">
          <label htmlFor="upload-progress-bar">Upload progress</label>
          <progress
            id="upload-progress-bar"
            max={100}
            aria-describedby="upload-progress-text"
            {...(percent(state.sent, state.total) !== null ? { value: percent(state.sent, state.total)! } : {})}
          />
          <span className="status-line" id="upload-progress-text">
            {sentAll
              ? "Uploaded; the registry is unpacking and rating it (up to a minute)."
              : formatProgress(state.sent, state.total)}
          </span>
        </div>
      ) : null}
      {state.status !== "uploading" ? <OutcomeView outcome={state} idPrefix="upload" /> : null}
    </section>
  );
}
