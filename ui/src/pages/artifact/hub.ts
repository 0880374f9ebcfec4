// How Python code reaches an artifact through the registry's Hub API (/hf): the repository id
// (docs/hub-api.md, "Mapping rule") and the one-line snippets the model page offers to copy.
import type { ArtifactType } from "../../api/types";

const HUB_URL = /^https?:\/\/(?:www\.)?huggingface\.co\/(datasets\/)?([\w.-]+\/[\w.-]+?)(?:\.git)?\/?(?:[?#].*)?$/i;

/** The Hub id for artifacts registered from the Hub, else the name; null: not served (code). */
export function repoId(type: ArtifactType, name: string, sourceUrl: string | null | undefined): string | null {
  if (type === "code") return null;
  const match = HUB_URL.exec(sourceUrl ?? "");
  if (match && Boolean(match[1]) === (type === "dataset")) return match[2] ?? name;
  return name;
}

export interface HubLinks {
  endpoint: string;
  info: string;
  snippets: { label: string; code: string }[];
}

export function hubLinks(type: ArtifactType, repo: string, origin: string): HubLinks {
  const endpoint = `${origin}/hf`;
  const plural = type === "dataset" ? "datasets" : "models";
  const quoted = JSON.stringify(repo);
  const snapshot =
    type === "dataset"
      ? `from huggingface_hub import snapshot_download; snapshot_download(${quoted}, repo_type="dataset", endpoint="${endpoint}")`
      : `from huggingface_hub import snapshot_download; snapshot_download(${quoted}, endpoint="${endpoint}")`;
  const snippets = [{ label: "snapshot_download", code: snapshot }];
  if (type === "model") {
    snippets.push({
      label: "from_pretrained (with HF_ENDPOINT and HF_TOKEN set)",
      code: `from transformers import AutoModel; model = AutoModel.from_pretrained(${quoted})`,
    });
  }
  return { endpoint, info: `${endpoint}/api/${plural}/${repo}`, snippets };
}
