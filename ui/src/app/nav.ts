import type { Capability } from "./session";

export interface NavItem {
  to: string;
  label: string;
  /** Shown only to users who may use the page. */
  requires: Capability;
}

/**
 * The main navigation, in order. A new page adds its entry here (and its <Route> in
 * App.tsx with the same `requires`), so the nav never offers what the user may not do.
 */
export const NAV_ITEMS: NavItem[] = [
  { to: "/artifacts", label: "Browse artifacts", requires: "search" },
  { to: "/register", label: "Register", requires: "upload" },
];
