import { useEffect, useId, useRef, useState, type FormEvent } from "react";
import { Navigate, useLocation, useNavigate } from "react-router";
import { asApiError, type ApiError } from "../api/errors";
import { useAnnounce } from "../app/announcer";
import { Page } from "../app/Page";
import { useSession, type SignInReason, type SignInState } from "../app/session";
import { ErrorMessage, describeError } from "../components/ErrorMessage";

const NOTICES: Record<SignInReason, string> = {
  expired: "Your session has ended (the sign-in expired or its calls were used up). Please sign in again.",
  required: "Please sign in to continue.",
  "signed-out": "You have signed out.",
};

export function SignInPage() {
  const { session, signIn } = useSession();
  const announce = useAnnounce();
  const navigate = useNavigate();
  const location = useLocation();
  const state = (location.state ?? {}) as SignInState;
  const [name, setName] = useState("");
  const [password, setPassword] = useState("");
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const nameRef = useRef<HTMLInputElement>(null);
  const errorId = useId();

  // The reason we are here is read out once, politely.
  useEffect(() => {
    if (state.reason) announce(NOTICES[state.reason], state.reason === "expired" ? "assertive" : "polite");
  }, [state.reason, announce]);

  if (session && !busy) return <Navigate to="/" replace />;

  async function submit(event: FormEvent) {
    event.preventDefault();
    setBusy(true);
    setError(null);
    try {
      const signedIn = await signIn(name.trim(), password);
      announce(`Signed in as ${signedIn.user.name}.`);
      navigate(state.from && state.from !== "/signin" ? state.from : "/", { replace: true });
    } catch (thrown) {
      const failure = asApiError(thrown);
      setError(failure);
      setBusy(false);
      setPassword("");
      announce(describeError("Sign-in failed.", failure), "assertive");
      nameRef.current?.focus();
    }
  }

  return (
    <Page title="Sign in">
      {state.reason ? (
        <div className="alert alert--info">
          <p>{NOTICES[state.reason]}</p>
        </div>
      ) : null}
      {error ? <ErrorMessage id={errorId} error={error} title="Sign-in failed." /> : null}
      <form className="form" onSubmit={submit} aria-describedby={error ? errorId : undefined} noValidate={false}>
        <div className="form-row">
          <label htmlFor="signin-name">User name</label>
          <input
            ref={nameRef}
            id="signin-name"
            name="username"
            type="text"
            autoComplete="username"
            autoCapitalize="none"
            spellCheck={false}
            required
            value={name}
            aria-invalid={error ? true : undefined}
            onChange={(event) => setName(event.target.value)}
          />
        </div>
        <div className="form-row">
          <label htmlFor="signin-password">Password</label>
          <input
            id="signin-password"
            name="password"
            type="password"
            autoComplete="current-password"
            required
            value={password}
            aria-invalid={error ? true : undefined}
            onChange={(event) => setPassword(event.target.value)}
          />
        </div>
        <button type="submit" className="button button--primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
    </Page>
  );
}
