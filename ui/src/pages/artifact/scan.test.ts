import { describe, expect, it } from "vitest";
import type { ScannedFile, WeightsScan } from "../../api/types";
import { SCAN_WORDS, verdictSentence } from "./scan";

function scan(verdict: WeightsScan["verdict"], files: ScannedFile[], reason: string | null = null): WeightsScan {
  return { verdict, reason, files, scanner: { name: "registry-pickle-opcodes", version: "1.0" }, scanned_at: null };
}

function file(path: string, status: ScannedFile["status"], imports: string[] = []): ScannedFile {
  return { path, status, imports, dangerous: [], reason: null };
}

describe("verdictSentence", () => {
  it("counts the unsafe files and says not to load them", () => {
    const one = scan("unsafe", [file("a.bin", "unsafe", ["os.system"]), file("b.pkl", "safe")]);
    expect(verdictSentence(one)).toMatch(/^1 pickle-based file imports code outside the allow-list/);
    expect(verdictSentence(one)).toContain("Do not load them.");
    const two = scan("unsafe", [file("a.bin", "unsafe", ["os.system"]), file("b.pkl", "unsafe", ["?.?"])]);
    expect(verdictSentence(two)).toMatch(/^2 pickle-based files import/);
  });

  it("never lets not scanned read as safe", () => {
    const none = scan("not_scanned", [], "no pickle-based files in the bundle");
    expect(verdictSentence(none)).toBe("no pickle-based files in the bundle. Not scanned is not the same as safe.");
    expect(SCAN_WORDS.not_scanned).toBe("Not scanned");
  });

  it("says what safe means", () => {
    expect(verdictSentence(scan("safe", [file("m.pt", "safe")]))).toContain("only allow-listed names");
  });
});
