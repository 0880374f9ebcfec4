import { useRef, useState, type FormEvent } from "react";
import { resetRegistry } from "../../api/endpoints";
import { asApiError, type ApiError } from "../../api/errors";
import { useAnnounce } from "../../app/announcer";
import { Page } from "../../app/Page";
import { useApi, useSession } from "../../app/session";
import { Dialog } from "../../components/Dialog";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import "../../styles/ops.css";

/** The word to type before the registry is emptied. */
export const CONFIRM_WORD = "RESET";

/** DELETE /reset (admins) behind a dialog that asks to type a word. */
export function ResetPage() {
  const api = useApi();
  const announce = useAnnounce();
  const { session, signOut } = useSession();
  const [open, setOpen] = useState(false);
  const [typed, setTyped] = useState("");
  const [mismatch, setMismatch] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [done, setDone] = useState<string | null>(null);
  const input = useRef<HTMLInputElement>(null);

  function close() {
    setOpen(false);
    setTyped("");
    setMismatch(false);
  }

  async function confirm(event: FormEvent) {
    event.preventDefault();
    if (typed.trim() !== CONFIRM_WORD) {
      setMismatch(true);
      announce(`Type ${CONFIRM_WORD} to confirm the reset.`, "assertive");
      input.current?.focus();
      return;
    }
    setBusy(true);
    setFailure(null);
    try {
      await resetRegistry(api);
      const message =
        "The registry was reset: every artifact and every user except the default admin is gone." +
        (session && session.user.name !== "ece30861defaultadminuser" ? " Your account was removed too; you are signed out." : "");
      close();
      setDone(message);
      announce(message);
      if (session && session.user.name !== "ece30861defaultadminuser") signOut("signed-out");
    } catch (thrown) {
      const error = asApiError(thrown);
      setFailure(error);
      announce(describeError("Could not reset the registry.", error), "assertive");
    } finally {
      setBusy(false);
    }
  }

  return (
    <Page title="Reset the registry" lead="Return the registry to its initial state, for tests and demonstrations.">
      {done ? (
        <div className="alert alert--success" id="reset-done">
          <p>{done}</p>
        </div>
      ) : null}
      <section aria-labelledby="reset-what-heading">
        <h2 id="reset-what-heading">What a reset does</h2>
        <div className="columns">
          <div>
            <h3>Clears</h3>
            <ul>
              <li>every artifact (models, datasets, code) with its stored files, ratings, lineage and audit trail;</li>
              <li>every user except the default admin, and their tokens (everyone else signs in again).</li>
            </ul>
            <p className="hint">
              The catalog is empty when the answer arrives; the other services clear their data moments later, on the
              reset event.
            </p>
          </div>
          <div>
            <h3>Keeps</h3>
            <ul>
              <li>the default admin account, with its initial password, and its sessions;</li>
              <li>the health feed&apos;s request metrics, traces and logs (telemetry is not registry state, and the reset itself is worth seeing);</li>
              <li>the registry&apos;s configuration.</li>
            </ul>
          </div>
        </div>
      </section>
      <section className="danger-zone" aria-labelledby="reset-heading">
        <h2 id="reset-heading">Reset</h2>
        <p>This cannot be undone.</p>
        {failure && !open ? <ErrorMessage title="Could not reset the registry." error={failure} /> : null}
        <button type="button" className="button button--danger" onClick={() => setOpen(true)}>
          Reset the registry…
        </button>
      </section>
      {open ? (
        <Dialog title="Reset the registry?" onClose={close} initialFocus={input} role="alertdialog">
          <form onSubmit={confirm} noValidate>
            <p>
              Every artifact and every user but the default admin will be deleted. Type <strong>{CONFIRM_WORD}</strong> to
              confirm.
            </p>
            {failure ? <ErrorMessage title="Could not reset the registry." error={failure} /> : null}
            <div className="form-row">
              <label htmlFor="reset-confirm">Confirmation word</label>
              <input
                ref={input}
                id="reset-confirm"
                type="text"
                value={typed}
                autoComplete="off"
                spellCheck={false}
                aria-invalid={mismatch || undefined}
                aria-describedby={mismatch ? "reset-confirm-error" : undefined}
                onChange={(e) => setTyped(e.target.value)}
              />
              {mismatch ? (
                <p className="field-error" id="reset-confirm-error">
                  Type {CONFIRM_WORD} (in capitals) to confirm.
                </p>
              ) : null}
            </div>
            <div className="button-row">
              <button type="submit" className="button button--danger" disabled={busy}>
                {busy ? "Resetting…" : "Reset everything"}
              </button>
              <button type="button" className="button" onClick={close}>
                Cancel
              </button>
            </div>
          </form>
        </Dialog>
      ) : null}
    </Page>
  );
}
