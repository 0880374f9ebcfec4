import type { ScanStatus, WeightsScan } from "../../api/types";

/** The verdict in words first; the alert's colour only repeats what the words say. */
export const SCAN_WORDS: Record<ScanStatus, string> = { safe: "Safe", unsafe: "Unsafe", not_scanned: "Not scanned" };

export function verdictSentence(scan: WeightsScan): string {
  const unsafe = scan.files.filter((f) => f.status === "unsafe");
  switch (scan.verdict) {
    case "unsafe":
      return (
        `${unsafe.length} pickle-based ${unsafe.length === 1 ? "file imports" : "files import"} code outside the ` +
        "allow-list; loading them (torch.load, pickle.load, joblib.load) would run it. Do not load them."
      );
    case "safe":
      return "Every pickle-based file imports only allow-listed names (tensors, storages, ordered dicts, arrays).";
    default:
      return `${scan.reason ?? "The files could not be scanned"}. Not scanned is not the same as safe.`;
  }
}
