import { describe, expect, it } from "vitest";
import { hubLinks, repoId } from "./hub";

describe("repository ids (docs/hub-api.md mapping rule)", () => {
  it("uses the Hub id for artifacts from the Hub", () => {
    expect(repoId("model", "bert-base-uncased", "https://huggingface.co/google-bert/bert-base-uncased")).toBe(
      "google-bert/bert-base-uncased",
    );
    expect(repoId("dataset", "imdb", "https://huggingface.co/datasets/stanfordnlp/imdb")).toBe("stanfordnlp/imdb");
  });

  it("uses the name otherwise, and serves no code", () => {
    expect(repoId("model", "tiny-bert", "upload://tiny-bert.zip")).toBe("tiny-bert");
    expect(repoId("model", "whisper", "https://github.com/openai/whisper")).toBe("whisper");
    expect(repoId("code", "whisper", "https://github.com/openai/whisper")).toBeNull();
  });
});

describe("snippets", () => {
  it("points at the registry's /hf endpoint", () => {
    const links = hubLinks("model", "google-bert/bert-base-uncased", "http://127.0.0.1:8000");
    expect(links.info).toBe("http://127.0.0.1:8000/hf/api/models/google-bert/bert-base-uncased");
    expect(links.snippets[0]?.code).toBe(
      'from huggingface_hub import snapshot_download; snapshot_download("google-bert/bert-base-uncased", endpoint="http://127.0.0.1:8000/hf")',
    );
    expect(links.snippets[1]?.code).toContain('AutoModel.from_pretrained("google-bert/bert-base-uncased")');
    const data = hubLinks("dataset", "stanfordnlp/imdb", "http://h");
    expect(data.snippets).toHaveLength(1);
    expect(data.snippets[0]?.code).toContain('repo_type="dataset"');
  });
});
