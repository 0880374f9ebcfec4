import type { ReactNode } from "react";

/** One section of the detail page: its own heading, landmark and busy state. */
export function Section({ id, title, busy, children }: { id: string; title: string; busy?: boolean; children: ReactNode }) {
  return (
    <section className="panel detail-section" id={id} aria-labelledby={`${id}-heading`} aria-busy={busy || undefined}>
      <h2 id={`${id}-heading`} tabIndex={-1}>
        {title}
      </h2>
      {children}
    </section>
  );
}
