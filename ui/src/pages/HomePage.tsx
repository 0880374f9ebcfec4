import { Navigate } from "react-router";
import { NAV_ITEMS } from "../app/nav";
import { Page } from "../app/Page";
import { useSession } from "../app/session";

/** "/": sign in first; then the first page the user may use. */
export function HomePage() {
  const { session, can } = useSession();
  if (!session) return <Navigate to="/signin" replace />;
  // The first page of the user's permissions (the health page, open to all, is not one).
  const first = NAV_ITEMS.find((item) => item.requires !== "signed-in" && can(item.requires));
  if (first) return <Navigate to={first.to} replace />;
  return (
    <Page title="Welcome">
      <p>
        You are signed in as <strong>{session.user.name}</strong>, but your account holds no permissions yet. Ask an
        admin to grant you search, upload or download.
      </p>
    </Page>
  );
}
