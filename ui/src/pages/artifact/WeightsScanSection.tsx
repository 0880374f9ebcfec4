import type { ArtifactDetails, ScanStatus, ScannedFile, WeightsScan } from "../../api/types";
import type { AsyncState } from "../../app/useAsync";
import { ErrorMessage } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { formatUtc } from "./format";
import { SCAN_WORDS, verdictSentence } from "./scan";
import { Section } from "./Section";

const ALERT: Record<ScanStatus, string> = { safe: "alert--success", unsafe: "alert--error", not_scanned: "alert--info" };

/** The unsafe-weights scan from the details extension: verdict, the files and their imports. */
export function WeightsScanSection({ details }: { details: AsyncState<ArtifactDetails> }) {
  return (
    <Section id="weights-scan" title="Weights scan" busy={details.status === "loading"}>
      {details.status === "loading" ? <Loading label="Loading the weights scan…" /> : null}
      {details.status === "error" ? <ErrorMessage error={details.error} title="Could not load the weights scan." /> : null}
      {details.status === "ok" ? <ScanView scan={details.data.weights_scan} /> : null}
    </Section>
  );
}

function ScanView({ scan }: { scan: WeightsScan | null }) {
  if (scan === null) {
    return (
      <div className="alert alert--info" id="weights-scan-verdict">
        <p>
          <strong>Not scanned:</strong> this artifact was stored before the registry scanned weights. Updating it scans
          the new content.
        </p>
      </div>
    );
  }
  return (
    <>
      <div className={`alert ${ALERT[scan.verdict]}`} id="weights-scan-verdict">
        <p>
          <strong>{SCAN_WORDS[scan.verdict]}:</strong> {verdictSentence(scan)}
        </p>
      </div>
      {scan.files.length > 0 ? <ScanTable files={scan.files} /> : null}
      <p className="status-line">
        Scanned by {scan.scanner.name} {scan.scanner.version}
        {scan.scanned_at ? (
          <>
            {" on "}
            <time dateTime={scan.scanned_at}>{formatUtc(scan.scanned_at)}</time>
          </>
        ) : null}
        . The scanner reads pickle opcodes without loading them and flags every import outside its allow-list.
      </p>
    </>
  );
}

function ScanTable({ files }: { files: ScannedFile[] }) {
  return (
    <div className="table-wrap">
      <table className="data">
        <caption>Pickle-based files in the bundle and what each imports outside the allow-list</caption>
        <thead>
          <tr>
            <th scope="col">File</th>
            <th scope="col">Verdict</th>
            <th scope="col">Imports outside the allow-list</th>
          </tr>
        </thead>
        <tbody>
          {files.map((file) => (
            <tr key={file.path}>
              <th scope="row">
                <code>{file.path}</code>
              </th>
              <td>{SCAN_WORDS[file.status]}</td>
              <td>
                {file.status === "not_scanned" ? (file.reason ?? "not scanned") : null}
                {file.status === "safe" ? "none" : null}
                {file.imports.length > 0 ? (
                  <ul className="scan-imports">
                    {file.imports.map((name) => (
                      <li key={name}>
                        <code>{name}</code>
                        {file.dangerous.includes(name) ? " (dangerous: runs commands or code)" : ""}
                      </li>
                    ))}
                  </ul>
                ) : null}
              </td>
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
