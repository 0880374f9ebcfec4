import type { Capability } from "./session";

export interface NavItem {
  to: string;
  label: string;
  /** Shown only to users who may use the page; "signed-in": any signed-in user (pages on
   * public routes, such as the health dashboard). */
  requires: Capability | "signed-in";
}

/** May the user (signed in or not, with `can`) see this entry? */
export function navAllowed(item: NavItem, signedIn: boolean, can: (capability: Capability) => boolean): boolean {
  return item.requires === "signed-in" ? signedIn : can(item.requires);
}

/**
 * The main navigation, in order. A new page adds its entry here (and its <Route> in
 * App.tsx with the same `requires`), so the nav never offers what the user may not do.
 */
export const NAV_ITEMS: NavItem[] = [
  { to: "/artifacts", label: "Browse artifacts", requires: "search" },
  { to: "/register", label: "Register", requires: "upload" },
  { to: "/groups", label: "Groups", requires: "upload" },
  { to: "/ops/health", label: "System health", requires: "signed-in" },
  { to: "/ops/logs", label: "Logs", requires: "admin" },
  { to: "/ops/traces", label: "Traces", requires: "admin" },
  { to: "/ops/load-tests", label: "Load tests", requires: "admin" },
  { to: "/ops/confusion", label: "Look-alikes", requires: "admin" },
  { to: "/admin/users", label: "Users", requires: "admin" },
  { to: "/admin/reset", label: "Reset", requires: "admin" },
];
