import { createContext, useCallback, useContext, useEffect, useRef, useState, type ReactNode } from "react";

export type Politeness = "polite" | "assertive";
export type Announce = (message: string, politeness?: Politeness) => void;

interface Message {
  id: number;
  text: string;
  politeness: Politeness;
}

/** How long a message stays in its region: long enough to be read, short enough to not pile up. */
const KEEP_MS = 7000;
const MAX_MESSAGES = 4;

const AnnouncerContext = createContext<Announce | null>(null);

/**
 * Two live regions that exist from the first render (screen readers ignore regions that
 * appear together with their text). `announce` adds a message as a new line, so two results
 * in quick succession ("Signed in as ..." then "Page 1: ...") are both read, and the same
 * sentence twice is read twice; each line leaves after a few seconds. Results of async work
 * are polite; failures are assertive.
 */
export function AnnouncerProvider({ children }: { children: ReactNode }) {
  const [messages, setMessages] = useState<Message[]>([]);
  const nextId = useRef(0);
  const timers = useRef(new Set<number>());

  useEffect(() => {
    const pending = timers.current;
    return () => pending.forEach((timer) => window.clearTimeout(timer));
  }, []);

  const announce = useCallback<Announce>((text, politeness = "polite") => {
    const id = ++nextId.current;
    setMessages((current) => [...current.slice(-(MAX_MESSAGES - 1)), { id, text, politeness }]);
    const timer = window.setTimeout(() => {
      timers.current.delete(timer);
      setMessages((current) => current.filter((message) => message.id !== id));
    }, KEEP_MS);
    timers.current.add(timer);
  }, []);

  const region = (politeness: Politeness) =>
    messages
      .filter((message) => message.politeness === politeness)
      .map((message) => <p key={message.id}>{message.text}</p>);

  return (
    <AnnouncerContext.Provider value={announce}>
      {children}
      <div id="live-polite" className="visually-hidden" role="status" aria-live="polite" aria-relevant="additions">
        {region("polite")}
      </div>
      <div id="live-assertive" className="visually-hidden" role="alert" aria-live="assertive" aria-relevant="additions">
        {region("assertive")}
      </div>
    </AnnouncerContext.Provider>
  );
}

export function useAnnounce(): Announce {
  const announce = useContext(AnnouncerContext);
  if (!announce) throw new Error("useAnnounce outside <AnnouncerProvider>");
  return announce;
}
