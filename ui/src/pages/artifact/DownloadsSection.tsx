import { useEffect, useId, useRef, useState } from "react";
import { downloadArtifact } from "../../api/endpoints";
import { asApiError, isAbort, type ApiError } from "../../api/errors";
import { DOWNLOAD_PARTS, type ArtifactType, type DownloadPart } from "../../api/types";
import { useAnnounce } from "../../app/announcer";
import { useApi, useSession } from "../../app/session";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import { formatBytes, formatProgress, percent } from "./format";
import { Section } from "./Section";

const PARTS: Record<DownloadPart, { label: string; what: string }> = {
  full: { label: "Full bundle", what: "every file, with manifest.json (paths, sizes, sha256)" },
  weights: { label: "Weights", what: "the weight files only" },
  config: { label: "Config", what: "the config and tokenizer files" },
  card: { label: "Card", what: "the model card or README" },
};

/** Saves a blob as a file: an object URL on a temporary <a download>, then released. */
function save(blob: Blob, filename: string) {
  const url = URL.createObjectURL(blob);
  const link = document.createElement("a");
  link.href = url;
  link.download = filename;
  link.hidden = true;
  document.body.appendChild(link);
  link.click();
  link.remove();
  window.setTimeout(() => URL.revokeObjectURL(url), 60_000);
}

export function DownloadsSection({
  type,
  id,
  name,
  bundleBytes,
}: {
  type: ArtifactType;
  id: string;
  name: string;
  bundleBytes: number | null;
}) {
  const { can } = useSession();
  if (!can("download")) {
    return (
      <Section id="downloads" title="Downloads">
        <div className="alert alert--info" id="downloads-not-permitted">
          <p>Your account lacks the download permission, so the files cannot be downloaded. Ask an admin to grant it.</p>
        </div>
      </Section>
    );
  }
  return (
    <Section id="downloads" title="Downloads">
      <p className="status-line">
        Zips of the stored files; each holds <code>manifest.json</code> with every file's sha256.
      </p>
      <ul className="download-list">
        {DOWNLOAD_PARTS.map((part) => (
          <DownloadRow key={part} type={type} id={id} name={name} part={part} knownSize={part === "full" ? bundleBytes : null} />
        ))}
      </ul>
    </Section>
  );
}

type RowState =
  | { status: "idle" }
  | { status: "running"; received: number; total: number | null }
  | { status: "done"; filename: string; size: number; sha256: string | null; complete: boolean }
  | { status: "error"; error: ApiError }
  | { status: "cancelled" };

function DownloadRow(props: { type: ArtifactType; id: string; name: string; part: DownloadPart; knownSize: number | null }) {
  const { type, id, name, part, knownSize } = props;
  const api = useApi();
  const announce = useAnnounce();
  const [state, setState] = useState<RowState>({ status: "idle" });
  const controller = useRef<AbortController | null>(null);
  const startRef = useRef<HTMLButtonElement>(null);
  const labelId = useId();
  const hintId = useId();
  const { label, what } = PARTS[part];

  const refocus = useRef(false);

  useEffect(() => () => controller.current?.abort(), []);
  // After a cancel or failure the Cancel button is gone: focus the (re-enabled) start button.
  useEffect(() => {
    if (refocus.current && state.status !== "running") {
      refocus.current = false;
      startRef.current?.focus();
    }
  }, [state]);

  async function start() {
    const abort = new AbortController();
    controller.current = abort;
    setState({ status: "running", received: 0, total: null });
    announce(`Downloading the ${label.toLowerCase()} of ${name}…`);
    let last = 0;
    try {
      const file = await downloadArtifact(
        api,
        type,
        id,
        part,
        (received, total) => {
          // Re-render at most every 1 % (or 64 kB without a total).
          const step = total ? total / 100 : 65_536;
          if (received - last >= step || received === total || received === 0) {
            last = received;
            setState({ status: "running", received, total });
          }
        },
        abort.signal,
      );
      save(file.blob, file.filename);
      setState({ status: "done", filename: file.filename, size: file.blob.size, sha256: file.sha256, complete: file.complete });
      announce(`Downloaded ${file.filename} (${formatBytes(file.blob.size)}).`);
    } catch (thrown) {
      if (isAbort(thrown)) {
        setState({ status: "cancelled" });
        announce(`Download of the ${label.toLowerCase()} cancelled.`);
      } else {
        const error = asApiError(thrown);
        setState({ status: "error", error });
        announce(describeError(`Could not download the ${label.toLowerCase()}.`, error), "assertive");
      }
      refocus.current = true;
    } finally {
      controller.current = null;
    }
  }

  const running = state.status === "running";
  return (
    <li className="download-row" data-part={part}>
      <div className="download-row__head">
        <div>
          <span className="download-row__label" id={labelId}>
            {label}
          </span>
          <p className="hint" id={hintId}>
            {what}
            {knownSize !== null ? `; ${formatBytes(knownSize)}` : ""}.
          </p>
        </div>
        <div className="button-row">
          <button
            ref={startRef}
            type="button"
            className="button"
            onClick={start}
            disabled={running}
            aria-describedby={hintId}
          >
            {running ? "Downloading…" : `Download ${label.toLowerCase()}`}
          </button>
          {running ? (
            <button type="button" className="button" onClick={() => controller.current?.abort()}>
              Cancel <span className="visually-hidden">the {label.toLowerCase()} download</span>
            </button>
          ) : null}
        </div>
      </div>
      {state.status === "running" ? (
        <div className="progress-row">
          <progress
            aria-labelledby={labelId}
            aria-describedby={`${labelId}-progress`}
            max={100}
            {...(percent(state.received, state.total) !== null ? { value: percent(state.received, state.total)! } : {})}
          />
          <span id={`${labelId}-progress`} className="status-line">
            {formatProgress(state.received, state.total)}
          </span>
        </div>
      ) : null}
      {state.status === "done" ? (
        <div className="alert alert--success">
          <p>
            Saved <strong>{state.filename}</strong> ({formatBytes(state.size)}).
            {state.sha256 ? (
              <>
                {" "}
                SHA-256 <code>{state.sha256}</code>.
              </>
            ) : null}
          </p>
          {!state.complete ? (
            <p>The source's weights were too large to mirror: manifest.json lists them with their sizes.</p>
          ) : null}
        </div>
      ) : null}
      {state.status === "cancelled" ? <p className="status-line">Download cancelled; nothing was saved.</p> : null}
      {state.status === "error" ? (
        <ErrorMessage error={state.error} title={`Could not download the ${label.toLowerCase()}.`} />
      ) : null}
    </li>
  );
}
