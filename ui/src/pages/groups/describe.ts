import type { GroupCommand, GroupRequest } from "../../api/types";

const OPS: Record<GroupCommand["op"], string> = {
  upload: "Upload",
  ingest: "Ingest",
  update: "Update",
  delete: "Delete",
};

/** One command in words: "Ingest model https://…, named bert". */
export function commandSentence(command: GroupCommand): string {
  const target = command.url ?? command.filename ?? command.id ?? "";
  const parts = [`${OPS[command.op]} ${command.type}`];
  if (target) parts.push(target);
  let sentence = parts.join(" ");
  if (command.op === "update" && command.id) sentence += ` (id ${command.id})`;
  if (command.name && command.op !== "delete") sentence += `, named ${command.name}`;
  return sentence;
}

/** The request's state in words, for the list and the live region. */
export function stateSentence(group: GroupRequest): string {
  const count = `${group.commands.length} ${group.commands.length === 1 ? "command" : "commands"}`;
  switch (group.state) {
    case "open":
      return `Open, ${count}; expires ${group.expires_at.replace("T", " ").replace("Z", " UTC")}.`;
    case "executing":
      return `Executing ${count}.`;
    case "committed":
      return `Committed: all ${count} applied at once.`;
    case "failed":
      return `Failed: nothing applied. ${failureSentence(group) ?? ""}`.trim();
    case "expired":
      return `Expired before it was executed; nothing applied.`;
  }
}

/** Which member failed and why, or null. */
export function failureSentence(group: GroupRequest): string | null {
  if (!group.failure) return null;
  const { position } = group.failure;
  if (position === null) return group.failure.reason;
  const command = group.commands.find((c) => c.position === position);
  const what = command ? ` (${commandSentence(command)})` : "";
  return `The member at position ${position}${what} failed.`;
}
