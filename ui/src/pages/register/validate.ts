// Client-side checks of the register forms (unit-tested in validate.test.ts). The server
// checks everything again; its sentence is always shown too.

/** The registry's default upload limit (INGEST_MAX_UPLOAD_BYTES, 2 GiB). */
export const MAX_UPLOAD_BYTES = 2 * 1024 ** 3;
export const MAX_NAME_LENGTH = 512;

export function sourceUrlProblem(value: string): string | null {
  const text = value.trim();
  if (!text) return "Enter the URL of the model, dataset or code to register.";
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return "Enter a full URL, such as https://huggingface.co/google-bert/bert-base-uncased.";
  }
  if (url.protocol !== "https:" && url.protocol !== "http:") return "The URL must start with https:// or http://.";
  return null;
}

export function nameProblem(value: string): string | null {
  if (value.trim().length > MAX_NAME_LENGTH) return `The name is longer than ${MAX_NAME_LENGTH} characters.`;
  if (value && !value.trim()) return "The name cannot be only spaces; leave it empty to take it from the source.";
  return null;
}

export function versionProblem(value: string): string | null {
  const text = value.trim();
  if (!text) return null;
  if (/\s/.test(text)) return "A version has no spaces, e.g. 2.1.0.";
  if (text.length > 64) return "The version is longer than 64 characters.";
  return null;
}

export interface FileFacts {
  name: string;
  size: number;
  type: string;
}

const ZIP_TYPES = new Set(["application/zip", "application/x-zip-compressed", "application/x-zip", "multipart/x-zip"]);

export function zipProblem(file: FileFacts | null, maxBytes = MAX_UPLOAD_BYTES): string | null {
  if (!file) return "Choose a zip file to upload.";
  const looksZip = file.name.toLowerCase().endsWith(".zip") || ZIP_TYPES.has(file.type);
  if (!looksZip) return `${file.name} is not a zip file; choose a .zip laid out like a Hugging Face repository.`;
  if (file.size === 0) return `${file.name} is empty.`;
  if (file.size > maxBytes) return `${file.name} is larger than the registry accepts (${Math.round(maxBytes / 1024 ** 3)} GiB).`;
  return null;
}

/** The failing metrics a 424's details carry ({"rating": {"failing_metrics": [...]}}). */
export function failingMetrics(details: Record<string, unknown> | null): string[] {
  const rating = details?.rating;
  if (!rating || typeof rating !== "object") return [];
  const failing = (rating as { failing_metrics?: unknown }).failing_metrics;
  return Array.isArray(failing) ? failing.filter((m): m is string => typeof m === "string") : [];
}
