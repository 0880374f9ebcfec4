// One typed function per route of the public API (docs/spec/openapi.yaml) and of our
// documented extensions (docs/api.md). Pages call these, never fetch() directly.
import type { ApiClient } from "./client";
import { ApiError } from "./errors";
import type {
  Artifact,
  ArtifactAuditEntry,
  ArtifactDetails,
  ArtifactCost,
  ArtifactLineageGraph,
  ArtifactMetadata,
  ArtifactPage,
  ArtifactQuery,
  ArtifactType,
  AuthenticationRequest,
  BrowsePage,
  BrowseSort,
  LicenseFamily,
  Review,
  ReviewPage,
  ConfusionReport,
  DownloadHistory,
  DownloadPart,
  GroupCommand,
  GroupOutcome,
  GroupRequest,
  ModelRating,
  Monitor,
  Permission,
  UserInfo,
  UserRegistration,
} from "./types";

type Signal = AbortSignal | undefined;
const seg = encodeURIComponent;

/** PUT /authenticate: the token ("bearer ...") to send in X-Authorization. */
export async function authenticate(api: ApiClient, name: string, password: string): Promise<string> {
  // is_admin is part of the spec's request shape; the registry decides who is an admin.
  const body: AuthenticationRequest = { user: { name, is_admin: false }, secret: { password } };
  const { data } = await api.put<string>("/authenticate", { json: body, authenticated: false });
  return data;
}

/** Extension GET /users/me: the signed-in user's name, admin flag and permissions. */
export async function whoAmI(api: ApiClient, token: string, signal?: Signal): Promise<UserInfo> {
  // The token is not in the session yet, so it is sent explicitly here.
  return (await api.get<UserInfo>("/users/me", { token, signal })).data;
}

/** POST /artifacts: one page; send `nextOffset` back for the following one. */
export async function listArtifacts(
  api: ApiClient,
  queries: ArtifactQuery[],
  offset: string | null,
  signal?: Signal,
): Promise<ArtifactPage> {
  const { data, headers } = await api.post<ArtifactMetadata[]>("/artifacts", {
    json: queries,
    query: { offset },
    signal,
  });
  return { items: data, nextOffset: headers.get("offset") };
}

/** POST /artifact/byRegEx: every match (names and READMEs); no match is an empty list. */
export async function searchByRegex(api: ApiClient, regex: string, signal?: Signal): Promise<ArtifactMetadata[]> {
  try {
    const { data } = await api.post<ArtifactMetadata[]>("/artifact/byRegEx", { json: { regex }, signal });
    return data;
  } catch (error) {
    // The spec answers "no match" with 404; for a search page that is an empty result.
    if (error instanceof ApiError && error.status === 404) return [];
    throw error;
  }
}

export async function getArtifact(api: ApiClient, type: ArtifactType, id: string, signal?: Signal): Promise<Artifact> {
  return (await api.get<Artifact>(`/artifacts/${type}/${seg(id)}`, { signal })).data;
}

export async function getRating(api: ApiClient, id: string, signal?: Signal): Promise<ModelRating> {
  return (await api.get<ModelRating>(`/artifact/model/${seg(id)}/rate`, { signal })).data;
}

export async function getCost(
  api: ApiClient,
  type: ArtifactType,
  id: string,
  dependency: boolean,
  signal?: Signal,
): Promise<ArtifactCost> {
  return (await api.get<ArtifactCost>(`/artifact/${type}/${seg(id)}/cost`, { query: { dependency }, signal })).data;
}

export async function getLineage(api: ApiClient, id: string, signal?: Signal): Promise<ArtifactLineageGraph> {
  return (await api.get<ArtifactLineageGraph>(`/artifact/model/${seg(id)}/lineage`, { signal })).data;
}

export async function getAudit(api: ApiClient, type: ArtifactType, id: string, signal?: Signal): Promise<ArtifactAuditEntry[]> {
  return (await api.get<ArtifactAuditEntry[]>(`/artifact/${type}/${seg(id)}/audit`, { signal })).data;
}

export async function checkLicense(api: ApiClient, id: string, githubUrl: string, signal?: Signal): Promise<boolean> {
  const { data } = await api.post<boolean>(`/artifact/model/${seg(id)}/license-check`, {
    json: { github_url: githubUrl },
    signal,
  });
  return data;
}

/**
 * Extension GET /artifacts/{type}/{id}/download?part=...: the path only. Downloads need the
 * X-Authorization header, so a plain link cannot fetch them; fetch with the client and save
 * the blob (phase 2's detail page).
 */
export function downloadPath(type: ArtifactType, id: string, part: DownloadPart): string {
  return `/artifacts/${type}/${seg(id)}/download?part=${part}`;
}

/** Extension GET /artifacts/{type}/{id}/details: version, license, sizes, uploader, dates. */
export async function getArtifactDetails(
  api: ApiClient,
  type: ArtifactType,
  id: string,
  signal?: Signal,
): Promise<ArtifactDetails> {
  return (await api.get<ArtifactDetails>(`/artifacts/${type}/${seg(id)}/details`, { signal })).data;
}

export interface DownloadedFile {
  blob: Blob;
  /** From Content-Disposition, else `<id>-<part>.zip`. */
  filename: string;
  /** X-Checksum-SHA256: the zip's sha256. */
  sha256: string | null;
  /** X-Bundle-Complete: false when the source's weights were too large to mirror. */
  complete: boolean;
}

/** The file name a Content-Disposition header gives (`filename*=` or `filename=`), or null. */
export function filenameFrom(disposition: string | null): string | null {
  if (!disposition) return null;
  const star = /filename\*\s*=\s*(?:UTF-8'')?([^;]+)/i.exec(disposition);
  if (star?.[1]) {
    try {
      return decodeURIComponent(star[1].trim().replace(/^"|"$/g, ""));
    } catch {
      // fall through to the plain form
    }
  }
  const plain = /filename\s*=\s*("([^"]*)"|[^;]+)/i.exec(disposition);
  const value = (plain?.[2] ?? plain?.[1] ?? "").trim();
  return value || null;
}

/**
 * Extension GET /artifacts/{type}/{id}/download?part=...: fetched with X-Authorization (a
 * plain link cannot send it) and read chunk by chunk, reporting `(received, total)`; total is
 * null when the answer has no Content-Length.
 */
export async function downloadArtifact(
  api: ApiClient,
  type: ArtifactType,
  id: string,
  part: DownloadPart,
  onProgress: (received: number, total: number | null) => void,
  signal?: Signal,
): Promise<DownloadedFile> {
  const response = await api.raw("GET", `/artifacts/${type}/${seg(id)}/download`, { query: { part }, signal });
  const length = Number(response.headers.get("Content-Length"));
  const total = Number.isFinite(length) && length > 0 ? length : null;
  const chunks: Uint8Array<ArrayBuffer>[] = [];
  let received = 0;
  onProgress(0, total);
  if (response.body) {
    const reader = response.body.getReader();
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      received += value.byteLength;
      onProgress(received, total);
    }
  } else {
    const whole = new Uint8Array(await response.arrayBuffer());
    chunks.push(whole);
    received = whole.byteLength;
    onProgress(received, total);
  }
  const type_ = response.headers.get("Content-Type") ?? "application/zip";
  return {
    blob: new Blob(chunks, { type: type_ }),
    filename: filenameFrom(response.headers.get("Content-Disposition")) ?? `${id}-${part}.zip`,
    sha256: response.headers.get("X-Checksum-SHA256"),
    complete: response.headers.get("X-Bundle-Complete") !== "false",
  };
}

/**
 * Extension POST /artifact/{type}/upload: a zip (multipart `file`, optional `name` and
 * `version`), with upload progress. Same outcomes as registering from a URL.
 */
export async function uploadArtifact(
  api: ApiClient,
  type: ArtifactType,
  fields: { file: File; name?: string; version?: string },
  onProgress: (sent: number, total: number | null) => void,
  signal?: Signal,
): Promise<{ artifact: Artifact; pending: boolean }> {
  const form = new FormData();
  form.append("file", fields.file, fields.file.name);
  if (fields.name) form.append("name", fields.name);
  if (fields.version) form.append("version", fields.version);
  const opts: { signal?: AbortSignal; onProgress: typeof onProgress } = { onProgress };
  if (signal) opts.signal = signal;
  const { data, status } = await api.upload<Artifact>(`/artifact/${type}/upload`, form, opts);
  return { artifact: data, pending: status === 202 };
}

/** POST /artifact/{type}: register from a URL (201 rated, 202 rating still running). */
export async function registerArtifact(
  api: ApiClient,
  type: ArtifactType,
  body: { url: string; name?: string; version?: string },
  signal?: Signal,
): Promise<{ artifact: Artifact; pending: boolean }> {
  const { data, status } = await api.post<Artifact>(`/artifact/${type}`, { json: body, signal });
  return { artifact: data, pending: status === 202 };
}

export async function deleteArtifact(api: ApiClient, type: ArtifactType, id: string): Promise<void> {
  await api.delete(`/artifacts/${type}/${seg(id)}`);
}

/** Extension GET /users (admin). */
export async function listUsers(api: ApiClient, signal?: Signal): Promise<UserInfo[]> {
  return (await api.get<UserInfo[]>("/users", { signal })).data;
}

/** Extension POST /users (admin). */
export async function createUser(api: ApiClient, body: UserRegistration): Promise<UserInfo> {
  return (await api.post<UserInfo>("/users", { json: body })).data;
}

/** Extension PUT /users/{name}/permissions (admin): revokes the user's tokens. */
export async function setPermissions(
  api: ApiClient,
  name: string,
  permissions: Permission[],
  isAdmin: boolean,
): Promise<UserInfo> {
  return (await api.put<UserInfo>(`/users/${seg(name)}/permissions`, { json: { permissions, is_admin: isAdmin } })).data;
}

/** Extension DELETE /users/{name}: yourself, or anyone if you are an admin. */
export async function deleteUser(api: ApiClient, name: string): Promise<void> {
  await api.delete(`/users/${seg(name)}`);
}

/** DELETE /reset (admin). */
export async function resetRegistry(api: ApiClient): Promise<void> {
  await api.delete("/reset");
}

/** Extension GET /artifacts/model/{id}/monitor (R18): the sensitive flag and the program. */
export async function getMonitor(api: ApiClient, id: string, signal?: Signal): Promise<Monitor> {
  return (await api.get<Monitor>(`/artifacts/model/${seg(id)}/monitor`, { signal })).data;
}

/** Extension PUT /artifacts/model/{id}/monitor: any signed-in user may set or replace it. */
export async function putMonitor(
  api: ApiClient,
  id: string,
  body: { sensitive: boolean; program: string | null },
): Promise<Monitor> {
  return (await api.put<Monitor>(`/artifacts/model/${seg(id)}/monitor`, { json: body })).data;
}

/** Extension DELETE /artifacts/model/{id}/monitor: removes the program (the flag stays). */
export async function deleteMonitor(api: ApiClient, id: string): Promise<Monitor> {
  return (await api.delete<Monitor>(`/artifacts/model/${seg(id)}/monitor`)).data;
}

/** Extension GET /artifacts/model/{id}/downloads (R19): uploader and admins only (403). */
export async function getDownloadHistory(
  api: ApiClient,
  id: string,
  offset: number,
  limit: number,
  signal?: Signal,
): Promise<DownloadHistory> {
  return (await api.get<DownloadHistory>(`/artifacts/model/${seg(id)}/downloads`, { query: { offset, limit }, signal })).data;
}

/** Extension GET /audit/package-confusion (admins): suspected look-alikes, highest score first. */
export async function getConfusionReport(
  api: ApiClient,
  offset: number,
  limit: number,
  signal?: Signal,
): Promise<ConfusionReport> {
  return (await api.get<ConfusionReport>("/audit/package-confusion", { query: { offset, limit }, signal })).data;
}

/** Extension POST /groups: a new, empty atomic group request owned by the caller. */
export async function createGroup(api: ApiClient): Promise<GroupRequest> {
  return (await api.post<GroupRequest>("/groups", {})).data;
}

/** Extension GET /groups: the caller's group requests, newest first (admins: everyone's). */
export async function listGroups(api: ApiClient, signal?: Signal): Promise<GroupRequest[]> {
  return (await api.get<GroupRequest[]>("/groups", { signal })).data;
}

/** Extension GET /groups/{id}. */
export async function getGroup(api: ApiClient, id: string, signal?: Signal): Promise<GroupRequest> {
  return (await api.get<GroupRequest>(`/groups/${seg(id)}`, { signal })).data;
}

/** Extension POST /groups/{id}/commands: append an ingest, update or delete command. */
export async function addGroupCommand(
  api: ApiClient,
  groupId: string,
  command: { op: "ingest" | "update" | "delete"; type: ArtifactType; url?: string; name?: string; id?: string },
): Promise<GroupCommand> {
  return (await api.post<GroupCommand>(`/groups/${seg(groupId)}/commands`, { json: command })).data;
}

/** Extension POST /groups/{id}/commands/upload: append a zip to register at execute. */
export async function addGroupUpload(
  api: ApiClient,
  groupId: string,
  fields: { file: File; type: ArtifactType; name?: string },
): Promise<GroupCommand> {
  const form = new FormData();
  form.append("file", fields.file, fields.file.name);
  form.append("type", fields.type);
  if (fields.name) form.append("name", fields.name);
  return (await api.upload<GroupCommand>(`/groups/${seg(groupId)}/commands/upload`, form, {})).data;
}

/** Extension POST /groups/{id}/execute: all of the group at once, or nothing. */
export async function executeGroup(api: ApiClient, groupId: string): Promise<GroupOutcome> {
  return (await api.post<GroupOutcome>(`/groups/${seg(groupId)}/execute`, {})).data;
}

/** Extension GET /artifacts/{type}/{id}/reviews: newest change first, with count and average. */
export async function listReviews(
  api: ApiClient,
  type: ArtifactType,
  id: string,
  offset: number,
  limit: number,
  signal?: Signal,
): Promise<ReviewPage> {
  return (await api.get<ReviewPage>(`/artifacts/${type}/${seg(id)}/reviews`, { query: { offset, limit }, signal })).data;
}

/** Extension PUT /artifacts/{type}/{id}/reviews/{user}: write or edit your own review. */
export async function putReview(
  api: ApiClient,
  type: ArtifactType,
  id: string,
  user: string,
  body: { stars: number; text: string },
): Promise<Review> {
  return (await api.put<Review>(`/artifacts/${type}/${seg(id)}/reviews/${seg(user)}`, { json: body })).data;
}

/** Extension DELETE /artifacts/{type}/{id}/reviews/{user}: your own, or anyone's as an admin. */
export async function deleteReview(api: ApiClient, type: ArtifactType, id: string, user: string): Promise<void> {
  await api.delete(`/artifacts/${type}/${seg(id)}/reviews/${seg(user)}`);
}

export interface BrowseQuery {
  sort: BrowseSort;
  order: "asc" | "desc";
  vetted: boolean | null;
  licenseFamily: LicenseFamily | null;
  type: ArtifactType | null;
  limit: number;
  cursor: string | null;
}

/** Extension GET /browse: the catalog sorted and filtered, one page at a time. */
export async function browseCatalog(api: ApiClient, query: BrowseQuery, signal?: Signal): Promise<BrowsePage> {
  return (
    await api.get<BrowsePage>("/browse", {
      query: {
        sort: query.sort,
        order: query.order,
        vetted: query.vetted,
        license_family: query.licenseFamily,
        type: query.type,
        limit: query.limit,
        cursor: query.cursor,
      },
      signal,
    })
  ).data;
}
