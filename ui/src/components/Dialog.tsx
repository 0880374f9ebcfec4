import { useEffect, useId, useLayoutEffect, useRef, type KeyboardEvent, type ReactNode, type RefObject } from "react";
import { PAGE_HEADING_ID } from "../app/Page";

interface DialogProps {
  title: string;
  onClose: () => void;
  children: ReactNode;
  /** Focused when the dialog opens; default: the first focusable element. */
  initialFocus?: RefObject<HTMLElement | null>;
  /** Where focus goes on close when the element that opened the dialog is gone (a deleted
   * row's button): default the page's heading. */
  fallbackFocus?: () => HTMLElement | null;
  /** "alertdialog" for confirmations of destructive actions. */
  role?: "dialog" | "alertdialog";
}

const FOCUSABLE =
  'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/**
 * A modal dialog on the native <dialog> (showModal: the page behind is inert, the dialog is
 * in the top layer). Rendered while open; mount opens it, unmount closes it. Focus moves in
 * on open, Tab and Shift+Tab cycle inside it, Escape closes it (through `onClose`, so the
 * owner decides), and focus returns to the element that opened it.
 */
export function Dialog({ title, onClose, children, initialFocus, fallbackFocus, role = "dialog" }: DialogProps) {
  const ref = useRef<HTMLDialogElement>(null);
  const titleId = useId();
  const onCloseRef = useRef(onClose);
  onCloseRef.current = onClose;
  const fallbackRef = useRef(fallbackFocus);
  fallbackRef.current = fallbackFocus;

  useLayoutEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const opener = document.activeElement instanceof HTMLElement ? document.activeElement : null;
    if (!dialog.open) dialog.showModal();
    const first = initialFocus?.current ?? dialog.querySelector<HTMLElement>(FOCUSABLE);
    first?.focus();
    return () => {
      if (dialog.open) dialog.close();
      // After React commits the change that closed us (a deleted row, say).
      window.setTimeout(() => {
        const target =
          opener && opener.isConnected ? opener : (fallbackRef.current?.() ?? document.getElementById(PAGE_HEADING_ID));
        target?.focus();
      }, 0);
    };
    // Opened once per mount; initialFocus is read at that moment.
  }, []);

  useEffect(() => {
    const dialog = ref.current;
    if (!dialog) return;
    const cancel = (event: Event) => {
      // Escape: let the owner close (it unmounts us), instead of the browser closing the
      // element behind React's back.
      event.preventDefault();
      onCloseRef.current();
    };
    dialog.addEventListener("cancel", cancel);
    return () => dialog.removeEventListener("cancel", cancel);
  }, []);

  function trap(event: KeyboardEvent<HTMLDialogElement>) {
    if (event.key !== "Tab") return;
    const items = [...(ref.current?.querySelectorAll<HTMLElement>(FOCUSABLE) ?? [])].filter(
      (element) => element.offsetParent !== null || element === document.activeElement,
    );
    if (!items.length) return;
    const first = items[0]!;
    const last = items[items.length - 1]!;
    if (event.shiftKey && (document.activeElement === first || !ref.current?.contains(document.activeElement))) {
      event.preventDefault();
      last.focus();
    } else if (!event.shiftKey && document.activeElement === last) {
      event.preventDefault();
      first.focus();
    }
  }

  return (
    <dialog ref={ref} className="dialog" role={role === "alertdialog" ? role : undefined} aria-modal="true" aria-labelledby={titleId} onKeyDown={trap}>
      <h2 id={titleId} className="dialog__title">
        {title}
      </h2>
      {children}
    </dialog>
  );
}
