/** The password rules, shown before the user types (tied to the field by aria-describedby). */
export function PasswordPolicy({ id }: { id: string }) {
  return (
    <div className="hint" id={id}>
      <p className="hint">A password needs either:</p>
      <ul className="policy">
        <li>at least 12 characters mixing three of lower case, upper case, digits and symbols, or</li>
        <li>a passphrase of 20 characters or more;</li>
        <li>and it must differ from the user name.</li>
      </ul>
    </div>
  );
}
