import { useEffect, type ReactNode } from "react";
import { documentTitle } from "./title";

export const PAGE_HEADING_ID = "page-heading";

interface PageProps {
  /** The page's name: its <h1> and the first part of document.title. */
  title: string;
  /** Optional: a different <h1> text (e.g. an artifact's name) when the title is generic. */
  heading?: ReactNode;
  /** Shown under the heading. */
  lead?: ReactNode;
  children?: ReactNode;
}

/**
 * Every page renders inside <Page>: it sets document.title and renders the one <h1>, which
 * the layout focuses after each navigation (see Layout.tsx) so screen readers start there.
 */
export function Page({ title, heading, lead, children }: PageProps) {
  useEffect(() => {
    document.title = documentTitle(title);
  }, [title]);
  return (
    <>
      <h1 id={PAGE_HEADING_ID} tabIndex={-1}>
        {heading ?? title}
      </h1>
      {lead ? <p className="status-line">{lead}</p> : null}
      {children}
    </>
  );
}
