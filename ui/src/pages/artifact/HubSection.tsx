import { useState } from "react";
import type { ArtifactType } from "../../api/types";
import { useAnnounce } from "../../app/announcer";
import { hubLinks } from "./hub";
import { Section } from "./Section";

/** Issue 18.4: the artifact's Hub endpoint and one-line snippets to copy (docs/hub-api.md). */
export function HubSection({ type, repo }: { type: ArtifactType; repo: string }) {
  const announce = useAnnounce();
  const links = hubLinks(type, repo, window.location.origin);
  const [copied, setCopied] = useState<string | null>(null);

  async function copy(label: string, code: string) {
    try {
      await navigator.clipboard.writeText(code);
      setCopied(label);
      announce(`Copied the ${label} line.`);
    } catch {
      announce("Could not copy: select the line and copy it yourself.", "assertive");
    }
  }

  return (
    <Section id="use-from-python" title="Use from Python">
      <p>
        Repository id <code>{repo}</code> on the registry's Hub endpoint{" "}
        <a href={links.info}>
          <code>{links.endpoint}</code>
        </a>
        . Set <code>HF_ENDPOINT={links.endpoint}</code> and <code>HF_TOKEN</code> to a registry token.
      </p>
      {links.snippets.map((snippet) => (
        <div key={snippet.label} className="form-row">
          <p id={`snippet-${snippet.label.split(" ")[0]}`}>{snippet.label}</p>
          <div className="snippet">
            <code aria-labelledby={`snippet-${snippet.label.split(" ")[0]}`}>{snippet.code}</code>
            <button type="button" className="button" onClick={() => void copy(snippet.label, snippet.code)}>
              Copy {snippet.label.split(" ")[0]}
              {copied === snippet.label ? <span aria-hidden="true"> ✓</span> : null}
            </button>
          </div>
        </div>
      ))}
    </Section>
  );
}
