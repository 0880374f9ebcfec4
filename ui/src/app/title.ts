export const APP_NAME = "Model Registry";

/** "<page> – Model Registry": the page first, so tabs and screen readers say it first. */
export function documentTitle(page: string): string {
  return page ? `${page} – ${APP_NAME}` : APP_NAME;
}
