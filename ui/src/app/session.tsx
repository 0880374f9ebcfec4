import { createContext, useCallback, useContext, useMemo, useRef, useState, type ReactNode } from "react";
import { useLocation, useNavigate } from "react-router";
import { createApiClient, type ApiClient } from "../api/client";
import { authenticate, whoAmI } from "../api/endpoints";
import type { ApiError } from "../api/errors";
import type { Permission, UserInfo } from "../api/types";

const STORAGE_KEY = "registry.session";

export interface Session {
  /** "bearer ...", sent verbatim in X-Authorization. */
  token: string;
  user: UserInfo;
}

/** Why the sign-in page is shown; the page words the message (never taken from the URL). */
export type SignInReason = "expired" | "required" | "signed-out";

export interface SignInState {
  reason?: SignInReason;
  /** Where to go back to after signing in. */
  from?: string;
}

export type Capability = Permission | "admin";

interface SessionContextValue {
  session: Session | null;
  /** Why the last session ended (and where the user was): what the sign-in page says. */
  ended: SignInState | null;
  api: ApiClient;
  signIn: (name: string, password: string) => Promise<Session>;
  signOut: (reason?: SignInReason) => void;
  /** May the signed-in user do this? Admins may do everything. */
  can: (capability: Capability) => boolean;
}

const SessionContext = createContext<SessionContextValue | null>(null);

function load(): Session | null {
  try {
    const raw = window.sessionStorage.getItem(STORAGE_KEY);
    if (!raw) return null;
    const parsed = JSON.parse(raw) as Partial<Session>;
    if (typeof parsed.token === "string" && parsed.user && typeof parsed.user.name === "string") {
      return parsed as Session;
    }
  } catch {
    // Unreadable storage (private mode, corrupted value): start signed out.
  }
  return null;
}

export function allows(session: Session | null, capability: Capability): boolean {
  if (!session) return false;
  if (session.user.is_admin) return true;
  return capability !== "admin" && session.user.permissions.includes(capability);
}

/**
 * The signed-in user. The token lives in sessionStorage: it survives reloads of the tab and
 * dies with it, and is never shared between tabs. The user's name, admin flag and
 * permissions come from GET /users/me once, at sign-in. Any authenticated call answering 403
 * (token expired or used up) ends the session and sends the user to sign in again.
 */
export function SessionProvider({ children }: { children: ReactNode }) {
  const [session, setSession] = useState<Session | null>(load);
  const [ended, setEnded] = useState<SignInState | null>(null);
  const tokenRef = useRef<string | null>(session?.token ?? null);
  const navigate = useNavigate();
  const location = useLocation();
  const locationRef = useRef(location);
  locationRef.current = location;

  const store = useCallback((next: Session | null) => {
    tokenRef.current = next?.token ?? null;
    if (next) window.sessionStorage.setItem(STORAGE_KEY, JSON.stringify(next));
    else window.sessionStorage.removeItem(STORAGE_KEY);
    setSession(next);
  }, []);

  const signOut = useCallback(
    (reason: SignInReason = "signed-out") => {
      const here = locationRef.current;
      const state: SignInState = { reason };
      if (reason !== "signed-out") state.from = here.pathname + here.search;
      // Set with the session in one render: a protected page still on screen redirects with
      // this reason (RequireAuth) rather than a generic "please sign in".
      setEnded(state);
      // The API has no route that revokes a token: it is dropped here and expires on its own.
      store(null);
      navigate("/signin", { state, replace: reason !== "signed-out" });
    },
    [navigate, store],
  );

  const api = useMemo(
    () =>
      createApiClient({
        getToken: () => tokenRef.current,
        onSessionEnded: (_error: ApiError) => {
          if (tokenRef.current) signOut("expired");
          else signOut("required");
        },
      }),
    [signOut],
  );

  const signIn = useCallback(
    async (name: string, password: string) => {
      const token = await authenticate(api, name, password);
      const user = await whoAmI(api, token);
      const next = { token, user };
      setEnded(null);
      store(next);
      return next;
    },
    [api, store],
  );

  const can = useCallback((capability: Capability) => allows(session, capability), [session]);

  const value = useMemo(
    () => ({ session, ended, api, signIn, signOut, can }),
    [session, ended, api, signIn, signOut, can],
  );
  return <SessionContext.Provider value={value}>{children}</SessionContext.Provider>;
}

export function useSession(): SessionContextValue {
  const value = useContext(SessionContext);
  if (!value) throw new Error("useSession outside <SessionProvider>");
  return value;
}

/** The API client bound to the session (adds X-Authorization, ends the session on 403). */
export function useApi(): ApiClient {
  return useSession().api;
}
