import { describe, expect, it } from "vitest";
import { checkPassword } from "./password";

describe("password policy (as the registry applies it)", () => {
  it("accepts 12 characters of three classes, or a 20-character passphrase", () => {
    expect(checkPassword("Correct-Horse-9", "alice")).toBeNull();
    expect(checkPassword("correct horse battery staple", "alice")).toBeNull();
  });

  it("refuses short, single-class and name-equal passwords with the registry's sentence", () => {
    expect(checkPassword("", "alice")).toBe("Enter a password.");
    expect(checkPassword("Short-1", "alice")).toMatch(/^The password is too weak/);
    expect(checkPassword("alllowercaseletters", "alice")).toMatch(/too weak/);
    expect(checkPassword("Alice-Wonder-2024", "alice-wonder-2024")).toBe("The password must not be the user name.");
  });
});
