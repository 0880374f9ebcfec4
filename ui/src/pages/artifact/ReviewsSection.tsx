import { useState, type FormEvent } from "react";
import { deleteReview, listReviews, putReview } from "../../api/endpoints";
import { asApiError, type ApiError } from "../../api/errors";
import type { ArtifactType, Review } from "../../api/types";
import { useAnnounce } from "../../app/announcer";
import { useApi, useSession } from "../../app/session";
import { useAsync } from "../../app/useAsync";
import { ErrorMessage, describeError } from "../../components/ErrorMessage";
import { Loading } from "../../components/Loading";
import { starsText } from "../choose/choose";
import { formatUtc } from "./format";
import { Section } from "./Section";

const PAGE_SIZE = 20;
/** The registry's bound (registry_ingest.reviews.MAX_REVIEW_CHARS); it answers 400 beyond. */
const MAX_REVIEW_CHARS = 2000;

/** Issue 18.4: users' stars and short reviews; write, edit or delete your own (admins: any). */
export function ReviewsSection({ type, id, name }: { type: ArtifactType; id: string; name: string }) {
  const api = useApi();
  const announce = useAnnounce();
  const { session, can } = useSession();
  const me = session?.user.name ?? null;
  const [version, setVersion] = useState(0);
  const [offset, setOffset] = useState(0);
  const reviews = useAsync(
    (signal) => listReviews(api, type, id, offset, PAGE_SIZE, signal),
    [type, id, offset, version],
    (settled) => {
      if (settled.status === "error") announce(describeError("Could not load the reviews.", settled.error), "assertive");
    },
  );
  const mine = reviews.status === "ok" ? (reviews.data.items.find((r) => r.user === me) ?? null) : null;

  async function remove(review: Review) {
    try {
      await deleteReview(api, type, id, review.user);
      announce(review.user === me ? "Your review was deleted." : `${review.user}'s review was removed.`);
      setVersion((v) => v + 1);
    } catch (error) {
      announce(describeError("Could not delete the review.", asApiError(error)), "assertive");
    }
  }

  return (
    <Section id="reviews" title="Reviews" busy={reviews.status === "loading"}>
      {reviews.status === "loading" ? <Loading label="Loading reviews…" /> : null}
      {reviews.status === "error" ? <ErrorMessage error={reviews.error} title="Could not load the reviews." /> : null}
      {reviews.status === "ok" ? (
        <>
          <p className="status-line" id="reviews-summary">
            Users' stars: {starsText(reviews.data.average_stars, reviews.data.count)}.
          </p>
          {me ? (
            <ReviewForm
              key={`${version}-${mine?.updated_at ?? "new"}`}
              name={name}
              mine={mine}
              onSave={async (stars, text) => {
                await putReview(api, type, id, me, { stars, text });
                setVersion((v) => v + 1);
              }}
            />
          ) : null}
          {reviews.data.items.length === 0 ? (
            <p>No one has reviewed {name} yet.</p>
          ) : (
            <ul className="review-list" aria-describedby="reviews-summary">
              {reviews.data.items.map((review) => (
                <li key={review.user}>
                  <p>
                    <strong>{review.user}</strong>: {review.stars} of 5 stars{" "}
                    <span className="hint">(updated {formatUtc(review.updated_at)})</span>
                  </p>
                  {review.text ? <p className="review-text">{review.text}</p> : null}
                  {review.user === me || can("admin") ? (
                    <button type="button" className="button" onClick={() => void remove(review)}>
                      {review.user === me ? "Delete my review" : `Remove ${review.user}'s review`}
                    </button>
                  ) : null}
                </li>
              ))}
            </ul>
          )}
          {offset > 0 || reviews.data.next_offset !== null ? (
            <nav aria-label="Pages of reviews" className="pagination">
              <button type="button" className="button" disabled={offset === 0} onClick={() => setOffset(Math.max(0, offset - PAGE_SIZE))}>
                Previous reviews
              </button>
              <button
                type="button"
                className="button"
                disabled={reviews.data.next_offset === null}
                onClick={() => setOffset(reviews.data.next_offset ?? offset)}
              >
                More reviews
              </button>
            </nav>
          ) : null}
        </>
      ) : null}
    </Section>
  );
}

type SaveState = { status: "idle" } | { status: "saving" } | { status: "error"; error: ApiError };

function ReviewForm(props: { name: string; mine: Review | null; onSave: (stars: number, text: string) => Promise<void> }) {
  const { name, mine, onSave } = props;
  const announce = useAnnounce();
  const [stars, setStars] = useState<number | null>(mine?.stars ?? null);
  const [text, setText] = useState(mine?.text ?? "");
  const [missing, setMissing] = useState(false);
  const [save, setSave] = useState<SaveState>({ status: "idle" });
  const tooLong = text.length > MAX_REVIEW_CHARS;

  async function submit(event: FormEvent) {
    event.preventDefault();
    if (stars === null) {
      setMissing(true);
      announce("Choose from 1 to 5 stars.", "assertive");
      return;
    }
    if (tooLong) {
      announce(`A review holds at most ${MAX_REVIEW_CHARS} characters; shorten it.`, "assertive");
      return;
    }
    setMissing(false);
    setSave({ status: "saving" });
    try {
      await onSave(stars, text);
      announce(mine ? "Your review was updated." : "Your review was saved.");
    } catch (error) {
      const apiError = asApiError(error);
      setSave({ status: "error", error: apiError });
      announce(describeError("Could not save your review.", apiError), "assertive");
    }
  }

  return (
    <form onSubmit={submit} aria-labelledby="review-form-heading" noValidate>
      <h3 id="review-form-heading">{mine ? "Edit your review" : `Review ${name}`}</h3>
      <fieldset className="form-row" aria-describedby={missing ? "review-stars-error" : undefined}>
        <legend>Stars</legend>
        <div className="checkbox-group">
          {[1, 2, 3, 4, 5].map((n) => (
            <label key={n}>
              <input type="radio" name="review-stars" value={n} checked={stars === n} onChange={() => setStars(n)} />
              {n} {n === 1 ? "star" : "stars"}
            </label>
          ))}
        </div>
        {missing ? (
          <p className="field-error" id="review-stars-error">
            Choose from 1 to 5 stars.
          </p>
        ) : null}
      </fieldset>
      <div className="form-row">
        <label htmlFor="review-text">Review (optional)</label>
        <textarea
          id="review-text"
          rows={3}
          value={text}
          aria-invalid={tooLong || undefined}
          aria-describedby="review-text-hint"
          onChange={(event) => setText(event.target.value)}
        />
        <p className={tooLong ? "field-error" : "hint"} id="review-text-hint">
          {text.length} of {MAX_REVIEW_CHARS} characters.
        </p>
      </div>
      {save.status === "error" ? <ErrorMessage error={save.error} title="Could not save your review." /> : null}
      <button type="submit" className="button button--primary" disabled={save.status === "saving"}>
        {mine ? "Update my review" : "Save my review"}
      </button>
    </form>
  );
}
