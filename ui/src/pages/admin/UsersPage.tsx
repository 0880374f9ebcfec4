import { useCallback, useRef, useState, type FormEvent } from "react";
import { createUser, deleteUser, listUsers, setPermissions } from "../../api/endpoints";
import { asApiError, type ApiError } from "../../api/errors";
import { PERMISSIONS, type Permission, type UserInfo } from "../../api/types";
import { useAnnounce } from "../../app/announcer";
import { Page } from "../../app/Page";
import { useApi, useSession } from "../../app/session";
import { useAsync, type AsyncState } from "../../app/useAsync";
import { Dialog } from "../../components/Dialog";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { checkPassword } from "./password";
import { PasswordPolicy } from "./PasswordPolicy";
import "../../styles/ops.css";

export const PERMISSION_LABEL: Record<Permission, string> = {
  search: "Search",
  upload: "Upload",
  download: "Download",
};
const PERMISSION_HINT: Record<Permission, string> = {
  search: "find and read artifacts, ratings, lineage",
  upload: "register, update and delete artifacts",
  download: "download bundles",
};
/** The registry's default admin: it can be neither deleted nor demoted. */
const DEFAULT_ADMIN = "ece30861defaultadminuser";

/** Users and their rights (admins): list, create, change permissions, delete. */
export function UsersPage() {
  const api = useApi();
  const announce = useAnnounce();
  const { session } = useSession();
  const [version, setVersion] = useState(0);
  const [editing, setEditing] = useState<UserInfo | null>(null);
  const [deleting, setDeleting] = useState<UserInfo | null>(null);
  const [notice, setNotice] = useState<string | null>(null);
  const tableHeading = useRef<HTMLHeadingElement>(null);

  const onSettled = useCallback(
    (state: AsyncState<UserInfo[]>) => {
      if (state.status === "error") announce(describeError("Could not load the users.", state.error), "assertive");
    },
    [announce],
  );
  const users = useAsync((signal) => listUsers(api, signal), [version], onSettled);

  function changed(message: string) {
    setNotice(message);
    announce(message);
    setVersion((n) => n + 1);
  }

  return (
    <Page title="Users" lead="Who may use the registry, and what each account may do. Admins may do everything.">
      {notice ? (
        <div className="alert alert--success" id="users-notice">
          <p>{notice}</p>
        </div>
      ) : null}
      <section aria-labelledby="users-heading" aria-busy={users.status === "loading"}>
        <h2 id="users-heading" ref={tableHeading} tabIndex={-1}>
          Accounts
        </h2>
        {users.status === "loading" ? <Loading label="Loading users…" /> : null}
        {users.status === "error" ? <ErrorMessage title="Could not load the users." error={users.error} /> : null}
        {users.status === "ok" ? (
          <div className="table-wrap">
            <table className="data">
              <caption className="visually-hidden">Users and their permissions</caption>
              <thead>
                <tr>
                  <th scope="col">Name</th>
                  <th scope="col">Role</th>
                  <th scope="col">Permissions</th>
                  <th scope="col">Actions</th>
                </tr>
              </thead>
              <tbody>
                {users.data.map((user) => {
                  const fixed = user.name === DEFAULT_ADMIN;
                  const self = user.name === session?.user.name;
                  return (
                    <tr key={user.name} data-user={user.name}>
                      <th scope="row">
                        {user.name}
                        {self ? " (you)" : ""}
                      </th>
                      <td>{user.is_admin ? "Admin" : "User"}</td>
                      <td>
                        {user.is_admin ? (
                          "Everything"
                        ) : user.permissions.length ? (
                          <ul className="permission-list">
                            {user.permissions.map((p) => (
                              <li key={p} className="tag">
                                {PERMISSION_LABEL[p as Permission] ?? p}
                              </li>
                            ))}
                          </ul>
                        ) : (
                          <span className="muted">None</span>
                        )}
                      </td>
                      <td>
                        {fixed ? (
                          <span className="muted">Default admin: cannot be changed or deleted</span>
                        ) : (
                          <div className="button-row">
                            <button type="button" className="button button--small" onClick={() => setEditing(user)}>
                              Change permissions<span className="visually-hidden"> of {user.name}</span>
                            </button>
                            {self ? null : (
                              <button type="button" className="button button--small" onClick={() => setDeleting(user)}>
                                Delete<span className="visually-hidden"> {user.name}</span>
                              </button>
                            )}
                          </div>
                        )}
                      </td>
                    </tr>
                  );
                })}
              </tbody>
            </table>
          </div>
        ) : null}
        <p className="hint">To delete your own account, use Your account.</p>
      </section>

      <CreateUserForm onCreated={(user) => changed(`User ${user.name} created.`)} />

      {editing ? (
        <PermissionsDialog
          user={editing}
          onClose={() => setEditing(null)}
          onSaved={(user) => {
            setEditing(null);
            changed(
              `Permissions of ${user.name} changed to ${describeRights(user)}. Their sessions have ended; they sign in again.`,
            );
          }}
        />
      ) : null}
      {deleting ? (
        <DeleteUserDialog
          user={deleting}
          onClose={() => setDeleting(null)}
          fallbackFocus={() => tableHeading.current}
          onDeleted={(name) => {
            setDeleting(null);
            changed(`User ${name} deleted.`);
          }}
        />
      ) : null}
    </Page>
  );
}

function describeRights(user: UserInfo): string {
  if (user.is_admin) return "admin";
  if (!user.permissions.length) return "no permissions";
  return user.permissions.map((p) => PERMISSION_LABEL[p as Permission]?.toLowerCase() ?? p).join(", ");
}

function PermissionFields({
  idPrefix,
  permissions,
  isAdmin,
  onPermissions,
  onAdmin,
}: {
  idPrefix: string;
  permissions: Permission[];
  isAdmin: boolean;
  onPermissions: (next: Permission[]) => void;
  onAdmin: (next: boolean) => void;
}) {
  return (
    <>
      <fieldset className="form-row">
        <legend>Permissions</legend>
        <div className="checkbox-group checkbox-group--stacked">
          {PERMISSIONS.map((p) => (
            <label key={p}>
              <input
                type="checkbox"
                name={`${idPrefix}-permission`}
                value={p}
                checked={isAdmin || permissions.includes(p)}
                disabled={isAdmin}
                onChange={(e) =>
                  onPermissions(e.target.checked ? PERMISSIONS.filter((q) => q === p || permissions.includes(q)) : permissions.filter((q) => q !== p))
                }
              />
              {PERMISSION_LABEL[p]} <span className="hint-inline">({PERMISSION_HINT[p]})</span>
            </label>
          ))}
          <label>
            <input type="checkbox" name={`${idPrefix}-admin`} checked={isAdmin} onChange={(e) => onAdmin(e.target.checked)} />
            Admin <span className="hint-inline">(everything, including users, reset and logs)</span>
          </label>
        </div>
      </fieldset>
    </>
  );
}

function CreateUserForm({ onCreated }: { onCreated: (user: UserInfo) => void }) {
  const api = useApi();
  const announce = useAnnounce();
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [permissions, setPermissionsState] = useState<Permission[]>(["search"]);
  const [isAdmin, setIsAdmin] = useState(false);
  const [nameError, setNameError] = useState<string | null>(null);
  const [passwordError, setPasswordError] = useState<string | null>(null);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const nameInput = useRef<HTMLInputElement>(null);
  const passwordInput = useRef<HTMLInputElement>(null);

  async function submit(event: FormEvent) {
    event.preventDefault();
    const nameProblem = name.trim() ? null : "Enter a user name.";
    const passwordProblem = checkPassword(password, name);
    setNameError(nameProblem);
    setPasswordError(passwordProblem);
    setFailure(null);
    if (nameProblem || passwordProblem) {
      announce(`Could not create the user. ${nameProblem ?? passwordProblem}`, "assertive");
      (nameProblem ? nameInput : passwordInput).current?.focus();
      return;
    }
    setBusy(true);
    try {
      const user = await createUser(api, {
        user: { name: name.trim(), is_admin: isAdmin },
        secret: { password },
        permissions: isAdmin ? [...PERMISSIONS] : permissions,
      });
      setName("");
      setPassword("");
      setPermissionsState(["search"]);
      setIsAdmin(false);
      onCreated(user);
      nameInput.current?.focus();
    } catch (thrown) {
      const error = asApiError(thrown);
      setFailure(error);
      announce(describeError("Could not create the user.", error), "assertive");
      if (error.status === 409) nameInput.current?.focus();
    } finally {
      setBusy(false);
    }
  }

  return (
    <section aria-labelledby="create-user-heading" className="panel">
      <h2 id="create-user-heading">Create a user</h2>
      <form onSubmit={submit} noValidate className="form">
        {failure ? <ErrorMessage title="Could not create the user." error={failure} id="create-user-error" /> : null}
        <div className="form-row">
          <label htmlFor="new-user-name">User name</label>
          <input
            ref={nameInput}
            id="new-user-name"
            type="text"
            value={name}
            autoComplete="off"
            spellCheck={false}
            maxLength={255}
            aria-invalid={nameError ? true : undefined}
            aria-describedby={nameError ? "new-user-name-error" : undefined}
            onChange={(e) => setName(e.target.value)}
          />
          {nameError ? (
            <p className="field-error" id="new-user-name-error">
              {nameError}
            </p>
          ) : null}
        </div>
        <div className="form-row">
          <label htmlFor="new-user-password">Password</label>
          <PasswordPolicy id="new-user-password-policy" />
          <input
            ref={passwordInput}
            id="new-user-password"
            type="password"
            value={password}
            autoComplete="new-password"
            aria-invalid={passwordError ? true : undefined}
            aria-describedby={
              passwordError ? "new-user-password-error new-user-password-policy" : "new-user-password-policy"
            }
            onChange={(e) => setPassword(e.target.value)}
          />
          {passwordError ? (
            <p className="field-error" id="new-user-password-error">
              {passwordError}
            </p>
          ) : null}
        </div>
        <PermissionFields
          idPrefix="new-user"
          permissions={permissions}
          isAdmin={isAdmin}
          onPermissions={setPermissionsState}
          onAdmin={setIsAdmin}
        />
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? "Creating…" : "Create user"}
        </button>
      </form>
    </section>
  );
}

function PermissionsDialog({
  user,
  onClose,
  onSaved,
}: {
  user: UserInfo;
  onClose: () => void;
  onSaved: (user: UserInfo) => void;
}) {
  const api = useApi();
  const announce = useAnnounce();
  const [permissions, setPerms] = useState<Permission[]>(
    PERMISSIONS.filter((p) => user.permissions.includes(p)),
  );
  const [isAdmin, setIsAdmin] = useState(user.is_admin);
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);

  async function save(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setFailure(null);
    try {
      const saved = await setPermissions(api, user.name, isAdmin ? [...PERMISSIONS] : permissions, isAdmin);
      onSaved(saved);
    } catch (thrown) {
      const error = asApiError(thrown);
      setFailure(error);
      announce(describeError("Could not change the permissions.", error), "assertive");
      setBusy(false);
    }
  }

  return (
    <Dialog title={`Permissions of ${user.name}`} onClose={onClose}>
      <form onSubmit={save}>
        <p>Saving ends the user&apos;s current sessions, so the change applies at once.</p>
        {failure ? <ErrorMessage title="Could not change the permissions." error={failure} /> : null}
        <PermissionFields
          idPrefix="edit-user"
          permissions={permissions}
          isAdmin={isAdmin}
          onPermissions={setPerms}
          onAdmin={setIsAdmin}
        />
        <div className="button-row">
          <button type="submit" className="button button--primary" disabled={busy}>
            {busy ? "Saving…" : "Save permissions"}
          </button>
          <button type="button" className="button" onClick={onClose}>
            Cancel
          </button>
        </div>
      </form>
    </Dialog>
  );
}

function DeleteUserDialog({
  user,
  onClose,
  onDeleted,
  fallbackFocus,
}: {
  user: UserInfo;
  onClose: () => void;
  onDeleted: (name: string) => void;
  fallbackFocus: () => HTMLElement | null;
}) {
  const api = useApi();
  const announce = useAnnounce();
  const [failure, setFailure] = useState<ApiError | null>(null);
  const [busy, setBusy] = useState(false);
  const cancel = useRef<HTMLButtonElement>(null);

  async function confirm() {
    setBusy(true);
    setFailure(null);
    try {
      await deleteUser(api, user.name);
      onDeleted(user.name);
    } catch (thrown) {
      const error = asApiError(thrown);
      setFailure(error);
      announce(describeError("Could not delete the user.", error), "assertive");
      setBusy(false);
    }
  }

  return (
    <Dialog title={`Delete ${user.name}?`} onClose={onClose} initialFocus={cancel} fallbackFocus={fallbackFocus} role="alertdialog">
      <p>
        The account <strong>{user.name}</strong> and its sessions are removed for good. Artifacts it registered stay.
      </p>
      {failure ? <ErrorMessage title="Could not delete the user." error={failure} /> : null}
      <div className="button-row">
        <button type="button" className="button button--danger" onClick={confirm} disabled={busy}>
          {busy ? "Deleting…" : `Delete ${user.name}`}
        </button>
        <button type="button" className="button" onClick={onClose} ref={cancel}>
          Cancel
        </button>
      </div>
    </Dialog>
  );
}
