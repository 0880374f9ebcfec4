import type { ReactNode } from "react";
import { Navigate, useLocation } from "react-router";
import { Page } from "./Page";
import { useSession, type Capability, type SignInState } from "./session";

const WHAT: Record<Capability, string> = {
  search: "search",
  upload: "upload",
  download: "download",
  admin: "admin",
};

/** Signed-out users go to sign in (and come back); signed-in users without the right see why. */
export function RequireAuth({ requires, children }: { requires?: Capability; children: ReactNode }) {
  const { session, ended, can } = useSession();
  const location = useLocation();
  if (!session) {
    const state: SignInState = ended ?? { reason: "required", from: location.pathname + location.search };
    return <Navigate to="/signin" replace state={state} />;
  }
  // No `requires`: any signed-in user (their own account page).
  if (requires !== undefined && !can(requires)) {
    return (
      <Page title="Not permitted">
        <p>
          Your account ({session.user.name}) lacks the <strong>{WHAT[requires]}</strong> permission this page needs.
          Ask an admin to grant it.
        </p>
      </Page>
    );
  }
  return <>{children}</>;
}
