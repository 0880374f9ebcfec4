// Shapes of the public API, after docs/spec/openapi.yaml (component names kept) and our
// documented extensions (docs/api.md). The UI talks to nothing else.

export const ARTIFACT_TYPES = ["model", "dataset", "code"] as const;
export type ArtifactType = (typeof ARTIFACT_TYPES)[number];

export function isArtifactType(value: string): value is ArtifactType {
  return (ARTIFACT_TYPES as readonly string[]).includes(value);
}

export interface ArtifactMetadata {
  name: string;
  id: string;
  type: ArtifactType;
}

export interface ArtifactData {
  url: string;
  /** Set by the registry in responses: where the bundle downloads from. */
  download_url?: string;
}

export interface Artifact {
  metadata: ArtifactMetadata;
  data: ArtifactData;
}

export interface ArtifactQuery {
  /** Exact name, or "*" for every artifact. */
  name: string;
  types?: ArtifactType[];
  /** Extension: 1.2.3, 1.2.3-2.1.0, ~1.2.0 or ^1.2.0 (npm semver). */
  version?: string;
}

export interface ArtifactRegEx {
  regex: string;
}

/** One page of POST /artifacts: the items and the `offset` header for the next page. */
export interface ArtifactPage {
  items: ArtifactMetadata[];
  nextOffset: string | null;
}

export type Permission = "upload" | "search" | "download";
export const PERMISSIONS: readonly Permission[] = ["search", "upload", "download"];

/** Extension: GET /users, POST /users, GET /users/me. */
export interface UserInfo {
  name: string;
  is_admin: boolean;
  permissions: string[];
}

export interface AuthenticationRequest {
  user: { name: string; is_admin: boolean };
  secret: { password: string };
}

/** Extension: POST /users. */
export interface UserRegistration extends AuthenticationRequest {
  permissions: Permission[];
}

export interface SizeScore {
  raspberry_pi: number;
  jetson_nano: number;
  desktop_pc: number;
  aws_server: number;
}

/** GET /artifact/model/{id}/rate: every sub-score in [0, 1] with its latency in seconds. */
export interface ModelRating {
  name: string;
  category: string;
  net_score: number;
  net_score_latency: number;
  ramp_up_time: number;
  ramp_up_time_latency: number;
  bus_factor: number;
  bus_factor_latency: number;
  performance_claims: number;
  performance_claims_latency: number;
  license: number;
  license_latency: number;
  dataset_and_code_score: number;
  dataset_and_code_score_latency: number;
  dataset_quality: number;
  dataset_quality_latency: number;
  code_quality: number;
  code_quality_latency: number;
  reproducibility: number;
  reproducibility_latency: number;
  reviewedness: number;
  reviewedness_latency: number;
  tree_score: number;
  tree_score_latency: number;
  size_score: SizeScore;
  size_score_latency: number;
}

/** GET /artifact/{type}/{id}/cost: per artifact id, sizes in MB. */
export type ArtifactCost = Record<string, { standalone_cost?: number; total_cost: number }>;

export interface ArtifactLineageNode {
  artifact_id: string;
  name: string;
  source: string;
  metadata?: Record<string, unknown>;
}

export interface ArtifactLineageEdge {
  from_node_artifact_id: string;
  to_node_artifact_id: string;
  relationship: string;
}

export interface ArtifactLineageGraph {
  nodes: ArtifactLineageNode[];
  edges: ArtifactLineageEdge[];
}

export interface ArtifactAuditEntry {
  user: { name: string; is_admin: boolean };
  date: string;
  artifact: ArtifactMetadata;
  action: "CREATE" | "UPDATE" | "DOWNLOAD" | "RATE" | "AUDIT";
}

/** Extension: the parts GET /artifacts/{type}/{id}/download?part= serves. */
export const DOWNLOAD_PARTS = ["full", "weights", "config", "card"] as const;
export type DownloadPart = (typeof DOWNLOAD_PARTS)[number];

/** The gateway's error body (docs/api.md § Conventions). */
export interface ErrorBody {
  detail?: unknown;
  code?: string;
  trace_id?: string;
  /** Some errors add structured facts, e.g. a 424's `{"rating": RatingVerdict}`. */
  details?: unknown;
}

/** Extension GET /artifacts/{type}/{id}/details: the ingest gate's reading of a rating. */
export interface RatingVerdict {
  vetted: boolean | null;
  failing_metrics: string[];
  error: string | null;
  rated_at: string | null;
}

/** Extension GET /artifacts/{type}/{id}/details: the unsafe-weights (pickle import) scan. */
export type ScanStatus = "safe" | "unsafe" | "not_scanned";

export interface ScannedFile {
  path: string;
  status: ScanStatus;
  /** Imports outside the allow-list, e.g. "os.system" ("?" when unresolvable). */
  imports: string[];
  /** Those of `imports` known to run code or commands. */
  dangerous: string[];
  reason: string | null;
}

export interface WeightsScan {
  verdict: ScanStatus;
  reason: string | null;
  scanner: { name: string; version: string };
  scanned_at: string | null;
  files: ScannedFile[];
}

/** Extension GET /artifacts/{type}/{id}/details: what the catalog knows beyond Artifact. */
export interface ArtifactDetails {
  id: string;
  name: string;
  type: ArtifactType;
  version: string | null;
  versions: string[];
  revision: number | null;
  source_kind: string | null;
  license: string | null;
  content_bytes: number | null;
  bundle_bytes: number | null;
  complete: boolean | null;
  notes: string[];
  uploader: string | null;
  created_at: string | null;
  updated_at: string | null;
  rating: RatingVerdict | null;
  /** Null for artifacts stored before the registry scanned weights. */
  weights_scan: WeightsScan | null;
}

/** Extension (R19): one download attempt of a sensitive model and the monitor's verdict. */
export interface DownloadAttempt {
  user: string;
  date: string;
  part: string;
  client: string | null;
  verdict: "allowed" | "refused" | "failed" | "timed_out";
  /** false: the model had no program, the download was recorded but not checked. */
  monitored: boolean;
  exit_code: number | null;
  output: string;
  message: string;
  duration_seconds: number | null;
}

/** Extension GET/PUT/DELETE /artifacts/model/{id}/monitor (R18). */
export interface Monitor {
  sensitive: boolean;
  program: string | null;
  updated_by: string | null;
  updated_at: string | null;
  /** The newest monitored attempt; only for the uploader and admins. */
  last_outcome: DownloadAttempt | null;
}

/** Extension GET /artifacts/model/{id}/downloads: newest first. */
export interface DownloadHistory {
  items: DownloadAttempt[];
  offset: number;
  limit: number;
  total: number;
  next_offset: number | null;
}

/** Extension GET /audit/package-confusion (docs/api.md): an artifact and its popularity. */
export interface ConfusionArtifact {
  id: string;
  name: string;
  type: ArtifactType;
  downloads: number;
  search_appearances: number;
}

export interface ConfusionSuspect {
  artifact: ConfusionArtifact;
  score: number;
  imitates: ConfusionArtifact;
  signals: {
    name: { kind: string; strength: number };
    popularity_gap: number;
    traffic: { strength: number; concentration?: number | null; new_accounts?: number | null; uniform_timing?: number | null };
  };
  reasons: string[];
}

export interface ConfusionReport {
  items: ConfusionSuspect[];
  total: number;
  offset: number;
  limit: number;
  next_offset: number | null;
  artifacts_audited: number;
  popular_compared_against: number;
  weights: Record<string, number>;
  min_score: number;
  computed_at: string;
  compute_seconds: number;
}

/** Extension (R25): an atomic group request and its commands (docs/api.md). */
export type GroupOp = "upload" | "ingest" | "update" | "delete";
export type GroupState = "open" | "executing" | "committed" | "failed" | "expired";

export interface GroupCommand {
  position: number;
  op: GroupOp;
  type: ArtifactType;
  id: string | null;
  name: string | null;
  url: string | null;
  version: string | null;
  filename: string | null;
}

export interface GroupRequest {
  id: string;
  owner: string;
  state: GroupState;
  created_at: string;
  expires_at: string;
  executed_at: string | null;
  commands: GroupCommand[];
  failure: { position: number | null; status: number | null; reason: string } | null;
}

export interface GroupOutcome extends GroupRequest {
  artifacts: Artifact[];
}

/** Extension GET /artifacts/{type}/{id}/reviews[/{user}] (issue 18.4). */
export interface Review {
  user: string;
  stars: number;
  text: string;
  created_at: string;
  updated_at: string;
}

export interface ReviewPage {
  items: Review[];
  count: number;
  average_stars: number | null;
  offset: number;
  limit: number;
  next_offset: number | null;
}

export const BROWSE_SORTS = ["score", "stars", "downloads", "size", "updated", "license", "name"] as const;
export type BrowseSort = (typeof BROWSE_SORTS)[number];
export const LICENSE_FAMILIES = ["permissive", "copyleft", "restricted", "unknown"] as const;
export type LicenseFamily = (typeof LICENSE_FAMILIES)[number];

/** Extension GET /browse: one artifact with what helps choose it. */
export interface BrowseEntry {
  id: string;
  name: string;
  type: ArtifactType;
  net_score: number | null;
  vetted: boolean | null;
  average_stars: number | null;
  review_count: number;
  license: string | null;
  license_family: LicenseFamily;
  size_bytes: number;
  updated_at: string;
  downloads: number;
}

export interface BrowsePage {
  items: BrowseEntry[];
  total: number;
  next_cursor: string | null;
}
