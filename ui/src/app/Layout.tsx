import { useEffect, useRef } from "react";
import { Link, NavLink, Outlet, useLocation } from "react-router";
import { ErrorBoundary } from "./ErrorBoundary";
import { NAV_ITEMS, navAllowed } from "./nav";
import { PAGE_HEADING_ID } from "./Page";
import { useSession } from "./session";

/** Landmarks (banner, navigation, main, contentinfo), the skip link and focus management. */
export function Layout() {
  const { session, can, signOut } = useSession();
  const location = useLocation();
  const mainRef = useRef<HTMLElement>(null);
  const firstRender = useRef(true);

  // After a navigation (not the first load, and not a change of query string such as a
  // filter), move focus to the new page's heading so keyboard and screen-reader users start
  // at the new content instead of the link they left.
  useEffect(() => {
    if (firstRender.current) {
      firstRender.current = false;
      return;
    }
    const heading = document.getElementById(PAGE_HEADING_ID);
    (heading ?? mainRef.current)?.focus();
  }, [location.pathname]);

  const items = NAV_ITEMS.filter((item) => navAllowed(item, session !== null, can));

  return (
    <>
      <a
        className="skip-link"
        href="#main"
        onClick={(event) => {
          event.preventDefault();
          mainRef.current?.focus();
        }}
      >
        Skip to main content
      </a>
      <header className="site-header">
        <div className="site-header__inner">
          <Link to="/" className="brand">
            Model Registry
          </Link>
          {items.length > 0 ? (
            <nav aria-label="Main" className="main-nav">
              <ul>
                {items.map((item) => (
                  <li key={item.to}>
                    <NavLink to={item.to}>{item.label}</NavLink>
                  </li>
                ))}
              </ul>
            </nav>
          ) : null}
          <div className="user-menu">
            {session ? (
              <>
                <span>
                  Signed in as <strong>{session.user.name}</strong>
                  {session.user.is_admin ? " (admin)" : ""}
                </span>
                <Link to="/account">Your account</Link>
                <button type="button" className="button" onClick={() => signOut("signed-out")}>
                  Sign out
                </button>
              </>
            ) : location.pathname !== "/signin" ? (
              <Link to="/signin">Sign in</Link>
            ) : null}
          </div>
        </div>
      </header>
      <main id="main" ref={mainRef} tabIndex={-1} className="site-main">
        <div className="site-main__inner">
          <ErrorBoundary key={location.pathname}>
            <Outlet />
          </ErrorBoundary>
        </div>
      </main>
      <footer className="site-footer">
        <div className="site-footer__inner">
          <p>
            Trustworthy Model Registry. The <a href="/docs">API documentation</a> describes every route this interface
            uses.
          </p>
        </div>
      </footer>
    </>
  );
}
