/**
 * The registry's password policy (docs/api.md § Users and tokens; services/auth users.py),
 * checked before sending so the user hears the problem at once. The registry checks again
 * and its sentence is shown if it still refuses.
 */
export const MIN_LENGTH = 12;
export const PASSPHRASE_LENGTH = 20;

export function characterClasses(password: string): number {
  return [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{L}\p{N}]/u].filter((re) => re.test(password)).length;
}

/** null when the policy accepts `password` for user `name`; else the sentence to show. */
export function checkPassword(password: string, name: string): string | null {
  if (!password) return "Enter a password.";
  if (password.length > 1024) return "The password is longer than 1024 characters.";
  const strong =
    password.length >= PASSPHRASE_LENGTH || (password.length >= MIN_LENGTH && characterClasses(password) >= 3);
  if (!strong) {
    return (
      "The password is too weak: use at least 12 characters mixing three of lower case, upper case, digits and " +
      "symbols, or a passphrase of 20 characters or more."
    );
  }
  if (name && password.toLocaleLowerCase() === name.trim().toLocaleLowerCase()) return "The password must not be the user name.";
  return null;
}
