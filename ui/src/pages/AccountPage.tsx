import { useRef, useState } from "react";
import { deleteUser } from "../api/endpoints";
import { asApiError, type ApiError } from "../api/errors";
import type { Permission } from "../api/types";
import { useAnnounce } from "../app/announcer";
import { Page } from "../app/Page";
import { useApi, useSession } from "../app/session";
import { Dialog } from "../components/Dialog";
import { ErrorMessage, describeError } from "../components/ErrorMessage";
import { PERMISSION_LABEL } from "./admin/UsersPage";
import "../styles/ops.css";

const DEFAULT_ADMIN = "ece30861defaultadminuser";

/** The signed-in user's account: name, rights, and deleting it (then signed out). */
export function AccountPage() {
  const api = useApi();
  const announce = useAnnounce();
  const { session, signOut } = useSession();
  const [confirming, setConfirming] = useState(false);
  const [busy, setBusy] = useState(false);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const cancel = useRef<HTMLButtonElement>(null);
  if (!session) return null;
  const { user } = session;

  async function remove() {
    setBusy(true);
    setFailure(null);
    try {
      await deleteUser(api, user.name);
      announce(`Your account ${user.name} was deleted. You are signed out.`);
      signOut("signed-out");
    } catch (thrown) {
      const error = asApiError(thrown);
      setFailure(error);
      announce(describeError("Could not delete your account.", error), "assertive");
      setBusy(false);
    }
  }

  return (
    <Page title="Your account">
      <dl className="facts">
        <dt>Name</dt>
        <dd>{user.name}</dd>
        <dt>Role</dt>
        <dd>{user.is_admin ? "Admin (may do everything)" : "User"}</dd>
        <dt>Permissions</dt>
        <dd>
          {user.is_admin
            ? "Everything"
            : user.permissions.length
              ? user.permissions.map((p) => PERMISSION_LABEL[p as Permission] ?? p).join(", ")
              : "None yet: ask an admin"}
        </dd>
      </dl>
      <section className="danger-zone" aria-labelledby="delete-account-heading">
        <h2 id="delete-account-heading">Delete your account</h2>
        {user.name === DEFAULT_ADMIN ? (
          <p>The default admin account cannot be deleted.</p>
        ) : (
          <>
            <p>Your account and its sessions are removed for good; you are signed out. Artifacts you registered stay.</p>
            {failure && !confirming ? <ErrorMessage title="Could not delete your account." error={failure} /> : null}
            <button type="button" className="button button--danger" onClick={() => setConfirming(true)}>
              Delete my account…
            </button>
          </>
        )}
      </section>
      {confirming ? (
        <Dialog title="Delete your account?" onClose={() => setConfirming(false)} initialFocus={cancel} role="alertdialog">
          <p>
            The account <strong>{user.name}</strong> will be deleted and you will be signed out.
          </p>
          {failure ? <ErrorMessage title="Could not delete your account." error={failure} /> : null}
          <div className="button-row">
            <button type="button" className="button button--danger" onClick={remove} disabled={busy}>
              {busy ? "Deleting…" : "Delete my account"}
            </button>
            <button type="button" className="button" onClick={() => setConfirming(false)} ref={cancel}>
              Cancel
            </button>
          </div>
        </Dialog>
      ) : null}
    </Page>
  );
}
