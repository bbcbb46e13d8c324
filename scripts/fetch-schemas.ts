/**
 * Downloads the pinned upstream schemas (scripts/schema-sources.ts) into `.schemas-cache/`, where
 * test/schemas.ts looks for them when no other schema folder exists.
 *
 *   npm run fetch-schemas [-- <destination folder>]
 *
 * Every file must match its pinned SHA-256. The script writes nothing unless every file matches,
 * and each file is written to a temporary name and renamed, so an interrupted run leaves no
 * partial file. Files already present with the right hash are not downloaded again.
 *
 * APIGW_SCHEMAS_BASE_URL replaces `https://raw.githubusercontent.com`, for a mirror or a test
 * server. URLs have the form `<base>/<owner>/<repository>/<tag>/<path>`.
 */
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as path from "node:path";
import { schemaSources, type SchemaSource } from "./schema-sources";

export const defaultBaseUrl = "https://raw.githubusercontent.com";

/** The folder test/schemas.ts reads as its last choice. */
export const defaultCacheDirectory = path.resolve(__dirname, "..", ".schemas-cache");

export interface FetchSchemasOptions {
  /**
   * Server that mirrors raw.githubusercontent.com paths.
   * @default process.env.APIGW_SCHEMAS_BASE_URL, then https://raw.githubusercontent.com
   */
  baseUrl?: string;
  /**
   * Folder to write the files to.
   * @default .schemas-cache in the repository root
   */
  destination?: string;
  /**
   * Files to fetch.
   * @default schemaSources
   */
  sources?: readonly SchemaSource[];
  /**
   * Timeout of each download, in milliseconds.
   * @default 30000
   */
  timeoutMs?: number;
  /** Receives one progress line per file. @default no output */
  log?: (line: string) => void;
}

export interface FetchSchemasResult {
  /** Files downloaded and written in this run. */
  readonly downloaded: string[];
  /** Files that were already present with the pinned hash. */
  readonly unchanged: string[];
}

/** Raised when any file could not be downloaded or did not match its pinned hash. */
export class SchemaFetchError extends Error {
  constructor(readonly problems: readonly string[]) {
    super(`Schema download failed, so no file was written:\n- ${problems.join("\n- ")}`);
    this.name = "SchemaFetchError";
  }
}

/** Builds the download URL of one source below a base URL. */
export function sourceUrl(baseUrl: string, source: SchemaSource): string {
  return `${baseUrl.replace(/\/+$/, "")}/${source.repository}/${source.tag}/${source.path}`;
}

function sha256(bytes: Uint8Array): string {
  return crypto.createHash("sha256").update(bytes).digest("hex");
}

function hasPinnedHash(file: string, expected: string): boolean {
  try {
    return sha256(fs.readFileSync(file)) === expected;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") {
      return false;
    }
    throw error;
  }
}

/** Downloads one source and returns its bytes, or a problem message naming the file and the URL. */
async function download(source: SchemaSource, url: string, timeoutMs: number): Promise<Uint8Array | string> {
  let response: Response;
  try {
    response = await fetch(url, { signal: AbortSignal.timeout(timeoutMs), redirect: "follow" });
  } catch (error) {
    const reason = error instanceof Error && error.name === "TimeoutError" ? `timed out after ${timeoutMs} ms` : describeFetchError(error);
    return `${source.file}: download from ${url} failed: ${reason}. Check the network or APIGW_SCHEMAS_BASE_URL.`;
  }
  if (!response.ok) {
    return `${source.file}: download from ${url} failed with HTTP ${response.status}. Check that ${source.repository} still has ${source.path} at ${source.tag}.`;
  }
  const bytes = new Uint8Array(await response.arrayBuffer());
  const actual = sha256(bytes);
  if (actual !== source.sha256) {
    return (
      `${source.file}: SHA-256 mismatch for ${url}: expected ${source.sha256}, got ${actual}. ` +
      "The upstream file or the mirror differs from the pinned copy. Do not use it; check the source and scripts/schema-sources.ts."
    );
  }
  return bytes;
}

// fetch reports every network failure as "fetch failed" and puts the reason, such as
// ECONNREFUSED or ENOTFOUND, in `cause`.
function describeFetchError(error: unknown): string {
  if (!(error instanceof Error)) {
    return String(error);
  }
  const cause = error.cause as { code?: string; message?: string } | undefined;
  const detail = cause?.code ?? cause?.message;
  return detail === undefined ? error.message : `${error.message} (${detail})`;
}

function writeAtomically(target: string, bytes: Uint8Array): void {
  fs.mkdirSync(path.dirname(target), { recursive: true });
  const temporary = `${target}.partial-${process.pid}`;
  try {
    fs.writeFileSync(temporary, bytes);
    fs.renameSync(temporary, target);
  } finally {
    fs.rmSync(temporary, { force: true });
  }
}

/**
 * Downloads every pinned schema that is missing or outdated in the destination and verifies its
 * SHA-256. Throws {@link SchemaFetchError} listing every failed file, and then writes nothing.
 */
export async function fetchSchemas(options: FetchSchemasOptions = {}): Promise<FetchSchemasResult> {
  const baseUrl = options.baseUrl ?? process.env.APIGW_SCHEMAS_BASE_URL ?? defaultBaseUrl;
  const destination = options.destination ?? defaultCacheDirectory;
  const sources = options.sources ?? schemaSources;
  const timeoutMs = options.timeoutMs ?? 30_000;
  const log = options.log ?? (() => undefined);

  const unchanged: string[] = [];
  const fetched: Array<{ source: SchemaSource; bytes: Uint8Array }> = [];
  const problems: string[] = [];
  for (const source of sources) {
    if (hasPinnedHash(path.join(destination, source.file), source.sha256)) {
      unchanged.push(source.file);
      log(`unchanged  ${source.file}`);
      continue;
    }
    const url = sourceUrl(baseUrl, source);
    const result = await download(source, url, timeoutMs);
    if (typeof result === "string") {
      problems.push(result);
      log(`FAILED     ${source.file}`);
    } else {
      fetched.push({ source, bytes: result });
      log(`verified   ${source.file}`);
    }
  }

  if (problems.length > 0) {
    throw new SchemaFetchError(problems);
  }
  for (const { source, bytes } of fetched) {
    writeAtomically(path.join(destination, source.file), bytes);
  }
  return { downloaded: fetched.map(({ source }) => source.file), unchanged };
}

async function main(): Promise<void> {
  const destination = path.resolve(process.argv[2] ?? defaultCacheDirectory);
  try {
    const result = await fetchSchemas({ destination, log: (line) => console.log(line) });
    console.log(`Wrote ${result.downloaded.length} file(s) to ${destination}, ${result.unchanged.length} already up to date.`);
    console.log("NOTE: oathkeeper-access-rules.schema.json is written for this project and has no upstream copy to download.");
  } catch (error) {
    console.error(error instanceof Error ? error.message : String(error));
    process.exitCode = 1;
  }
}

if (require.main === module) {
  void main();
}
