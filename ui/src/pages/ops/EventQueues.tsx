import { useRef, useState } from "react";
import { getDeadLetters, redriveDeadLetters, type DeadLetterQueue, type HealthComponentDetail } from "../../api/health";
import { asApiError, type ApiError } from "../../api/errors";
import { useAnnounce } from "../../app/announcer";
import { useApi } from "../../app/session";
import { ConfirmDialog } from "../../components/ConfirmDialog";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import { formatNumber, logTime, plural, queueRows, type QueueRow } from "./logic";

/** How many dead letters the confirmation lists (the API bounds it at 100). */
const SHOWN_LETTERS = 10;

/**
 * Each consumer's queue: events waiting and dead letters (both modes: in-process queues or
 * SQS queues and their DLQs). Admins get a "Redrive" button per queue holding dead letters:
 * it lists them with why they failed, asks for confirmation, sends them back to the
 * consumer's queue and announces the outcome.
 */
export function EventQueues({
  bus,
  canRedrive,
  onRedriven,
}: {
  bus: HealthComponentDetail | undefined;
  canRedrive: boolean;
  onRedriven: () => void;
}) {
  const rows = queueRows(bus);
  return (
    <section aria-labelledby="queues-heading">
      <h2 id="queues-heading">Event queues</h2>
      <p className="hint">
        One queue per consuming service. A dead letter is an event whose handler failed on every delivery attempt; the
        logs say why. Fix the cause, then redrive it: it is delivered again (a service ignores an event it already
        handled).
      </p>
      {rows.length === 0 ? (
        <p className="status-line">The queue depths could not be read; the event bus card says why.</p>
      ) : (
        <div className="table-wrap">
          <table className="data data--compact" data-testid="event-queues">
            <caption>Events waiting and dead letters per consumer queue</caption>
            <thead>
              <tr>
                <th scope="col">Consumer</th>
                <th scope="col">Events waiting</th>
                <th scope="col">Dead letters</th>
                {canRedrive ? <th scope="col">Action</th> : null}
              </tr>
            </thead>
            <tbody>
              {rows.map((row) => (
                <tr key={row.consumer} data-consumer={row.consumer}>
                  <th scope="row">{row.consumer}</th>
                  <td>{formatNumber(row.waiting)}</td>
                  <td>{row.dead ? <strong>{formatNumber(row.dead)}</strong> : formatNumber(row.dead)}</td>
                  {canRedrive ? (
                    <td>{row.dead ? <RedriveButton row={row} onRedriven={onRedriven} /> : "None to redrive"}</td>
                  ) : null}
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      {!canRedrive && rows.some((row) => row.dead > 0) ? <p className="hint">Redriving dead letters is for admins.</p> : null}
    </section>
  );
}

function RedriveButton({ row, onRedriven }: { row: QueueRow; onRedriven: () => void }) {
  const api = useApi();
  const announce = useAnnounce();
  const trigger = useRef<HTMLButtonElement>(null);
  const [open, setOpen] = useState(false);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<ApiError | null>(null);
  const [queue, setQueue] = useState<DeadLetterQueue | null>(null);
  const [loading, setLoading] = useState(false);

  async function show() {
    setError(null);
    setQueue(null);
    setOpen(true);
    setLoading(true);
    try {
      setQueue((await getDeadLetters(api, row.consumer, SHOWN_LETTERS)) ?? null);
    } catch (thrown) {
      setError(asApiError(thrown));
    } finally {
      setLoading(false);
    }
  }

  async function confirm() {
    setBusy(true);
    setError(null);
    try {
      const result = await redriveDeadLetters(api, row.consumer);
      setOpen(false);
      announce(
        result.moved
          ? `Sent ${plural(result.moved, "dead letter")} of ${row.consumer} back to its queue.`
          : `${row.consumer} had no dead letters left to redrive.`,
      );
      onRedriven();
    } catch (thrown) {
      const failure = asApiError(thrown);
      setError(failure);
      announce(describeError(`Could not redrive the dead letters of ${row.consumer}.`, failure), "assertive");
    } finally {
      setBusy(false);
    }
  }

  const letters = queue?.letters ?? [];
  return (
    <>
      <button ref={trigger} type="button" className="button" aria-haspopup="dialog" onClick={show}>
        Redrive {plural(row.dead, "dead letter")} of {row.consumer}…
      </button>
      <ConfirmDialog
        open={open}
        title={`Redrive the dead letters of ${row.consumer}?`}
        confirmLabel="Redrive"
        busyLabel="Redriving…"
        busy={busy}
        onConfirm={confirm}
        onClose={() => setOpen(false)}
        returnFocusTo={trigger}
        footer={error ? <ErrorMessage error={error} title={`Could not redrive the dead letters of ${row.consumer}.`} /> : null}
      >
        <p>
          Every dead letter of <strong>{row.consumer}</strong> goes back to its queue and is delivered again. If the
          cause is not fixed, each one fails again and comes back here after the same number of attempts.
        </p>
        {loading ? <p className="status-line">Loading the dead letters…</p> : null}
        {letters.length ? (
          <ul className="dead-letters" aria-label={`First dead letters of ${row.consumer}`}>
            {letters.map((letter) => (
              <li key={letter.id}>
                <strong>{letter.event_type ?? "Unreadable message"}</strong>
                {letter.event_id ? (
                  <>
                    {" "}
                    <code>{letter.event_id}</code>
                  </>
                ) : null}
                : {letter.reason ?? "no reason recorded"} ({plural(letter.receive_count, "delivery", "deliveries")}
                {letter.dead_lettered_at ? `, ${logTime(letter.dead_lettered_at)}` : ""})
              </li>
            ))}
          </ul>
        ) : null}
        {queue && queue.dead_letters > letters.length ? (
          <p className="hint">and {formatNumber(queue.dead_letters - letters.length)} more.</p>
        ) : null}
      </ConfirmDialog>
    </>
  );
}
