import { useRef, useState, type FormEvent } from "react";
import { checkLicense } from "../../api/endpoints";
import { asApiError, type ApiError } from "../../api/errors";
import { useAnnounce } from "../../app/announcer";
import { useApi } from "../../app/session";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import { Section } from "./Section";

/** A GitHub repository URL, as the license check wants it; the message for a bad one. */
export function githubUrlProblem(value: string): string | null {
  const text = value.trim();
  if (!text) return "Enter the GitHub repository's URL.";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "Enter a full URL, such as https://github.com/owner/repository.";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "The URL must start with https://.";
  if (url.hostname !== "github.com" && url.hostname !== "www.github.com") {
    return "The URL must be on github.com, such as https://github.com/owner/repository.";
  }
  if (url.pathname.split("/").filter(Boolean).length < 2) return "Name the repository: https://github.com/owner/repository.";
  return null;
}

type Result = { status: "idle" } | { status: "busy" } | { status: "ok"; compatible: boolean; url: string } | { status: "error"; error: ApiError };

/** POST /artifact/model/{id}/license-check: may this model be fine-tuned and run with that code? */
export function LicenseSection({ id, name }: { id: string; name: string }) {
  const api = useApi();
  const announce = useAnnounce();
  const [url, setUrl] = useState("");
  const [problem, setProblem] = useState<string | null>(null);
  const [result, setResult] = useState<Result>({ status: "idle" });
  const input = useRef<HTMLInputElement>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const bad = githubUrlProblem(url);
    setProblem(bad);
    if (bad) {
      announce(bad, "assertive");
      input.current?.focus();
      return;
    }
    setResult({ status: "busy" });
    try {
      const compatible = await checkLicense(api, id, url.trim());
      setResult({ status: "ok", compatible, url: url.trim() });
      announce(compatible ? `Compatible: ${verdict(true, name)}` : `Not compatible: ${verdict(false, name)}`);
    } catch (thrown) {
      const error = asApiError(thrown);
      setResult({ status: "error", error });
      announce(describeError("Could not check the licenses.", error), "assertive");
    }
  }

  return (
    <Section id="license" title="License check" busy={result.status === "busy"}>
      <p className="status-line">
        Can {name} be fine-tuned and used for inference together with the code in a GitHub repository? The registry
        compares the model's license with the repository's.
      </p>
      <form onSubmit={submit} noValidate aria-labelledby="license-heading">
        <div className="form-inline">
          <div className="form-row form-row--wide">
            <label htmlFor="license-url">GitHub repository URL</label>
            <input
              ref={input}
              id="license-url"
              type="url"
              name="github_url"
              value={url}
              autoComplete="url"
              spellCheck={false}
              aria-invalid={problem ? true : undefined}
              aria-describedby={problem ? "license-url-error license-url-hint" : "license-url-hint"}
              onChange={(event) => setUrl(event.target.value)}
            />
            <p className="hint" id="license-url-hint">
              For example https://github.com/google-research/bert.
            </p>
            {problem ? (
              <p className="field-error" id="license-url-error">
                {problem}
              </p>
            ) : null}
          </div>
          <div className="form-row">
            <button type="submit" className="button button--primary" disabled={result.status === "busy"}>
              {result.status === "busy" ? "Checking…" : "Check licenses"}
            </button>
          </div>
        </div>
      </form>
      {result.status === "ok" ? (
        <div className={result.compatible ? "alert alert--success" : "alert alert--error"} id="license-result">
          <p>
            <strong>{result.compatible ? "Compatible." : "Not compatible."}</strong> {verdict(result.compatible, name)}{" "}
            (checked against <code>{result.url}</code>)
          </p>
        </div>
      ) : null}
      {result.status === "error" ? <ErrorMessage error={result.error} title="Could not check the licenses." id="license-error" /> : null}
    </Section>
  );
}

function verdict(compatible: boolean, name: string): string {
  return compatible
    ? `${name}'s license allows fine-tuning and inference with this repository's code.`
    : `${name}'s license and this repository's license do not allow using them together for fine-tuning and inference (see docs/licenses.md).`;
}
