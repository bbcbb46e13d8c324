import { execFile } from "node:child_process";
import * as crypto from "node:crypto";
import * as fs from "node:fs";
import * as http from "node:http";
import type { AddressInfo } from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, beforeEach, describe, expect, it } from "vitest";
import { defaultCacheDirectory, fetchSchemas, SchemaFetchError, sourceUrl } from "../scripts/fetch-schemas";
import { schemaSources } from "../scripts/schema-sources";
import { describeWithSchemas, findSchemaDirectory, schemaCacheDirectory } from "./schemas";

const repositoryRoot = path.resolve(__dirname, "..");

describe("schemaSources", () => {
  it("matches the cache folder tests read", () => {
    expect(defaultCacheDirectory).toBe(schemaCacheDirectory);
  });

  it("lists each file once", () => {
    const files = schemaSources.map((source) => source.file);
    expect(new Set(files).size).toBe(files.length);
  });

  it("pins every file by SHA-256", () => {
    for (const source of schemaSources) {
      expect({ file: source.file, sha256: source.sha256 }).toEqual({ file: source.file, sha256: expect.stringMatching(/^[0-9a-f]{64}$/) });
    }
  });

  it("builds raw GitHub URLs", () => {
    const source = schemaSources.find((candidate) => candidate.file === "oathkeeper/config.schema.json")!;
    expect(sourceUrl("https://raw.githubusercontent.com/", source)).toBe(
      "https://raw.githubusercontent.com/ory/oathkeeper/v26.2.0/.schema/config.schema.json",
    );
  });
});

describeWithSchemas("fetchSchemas", () => {
  // Any complete schema folder has the upstream bytes, so the server serves copies from it.
  const schemaDirectory = findSchemaDirectory()!;
  const tamperedFile = "kratos/identity_meta.schema.json";
  const missingFile = "oathkeeper/pipeline/mutators.id_token.schema.json";

  let server: http.Server;
  let baseUrl: string;
  let destination: string;
  let mode: "faithful" | "tampered" | "missing" = "faithful";
  const requestedPaths: string[] = [];

  beforeAll(async () => {
    const byUrlPath = new Map(schemaSources.map((source) => [`/${source.repository}/${source.tag}/${source.path}`, source.file]));
    server = http.createServer((request, response) => {
      const urlPath = request.url ?? "";
      requestedPaths.push(urlPath);
      const file = byUrlPath.get(urlPath);
      if (file === undefined || (mode === "missing" && file === missingFile)) {
        response.writeHead(404, { "Content-Type": "text/plain" }).end("404: Not Found");
        return;
      }
      let bytes = fs.readFileSync(path.join(schemaDirectory, file));
      if (mode === "tampered" && file === tamperedFile) {
        bytes = Buffer.concat([bytes, Buffer.from("\n")]);
      }
      response.writeHead(200, { "Content-Type": "text/plain" }).end(bytes);
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    mode = "faithful";
    requestedPaths.splice(0);
    destination = fs.mkdtempSync(path.join(os.tmpdir(), "schemas-cache-"));
  });

  function filesIn(folder: string): string[] {
    return (fs.readdirSync(folder, { recursive: true }) as string[])
      .filter((entry) => fs.statSync(path.join(folder, entry)).isFile())
      .map((entry) => entry.split(path.sep).join("/"))
      .sort();
  }

  it("writes every file byte for byte", async () => {
    const result = await fetchSchemas({ baseUrl, destination });

    expect(result.downloaded).toHaveLength(schemaSources.length);
    expect(result.unchanged).toEqual([]);
    expect(filesIn(destination)).toEqual(schemaSources.map((source) => source.file).sort());
    for (const source of schemaSources) {
      const written = fs.readFileSync(path.join(destination, source.file));
      const original = fs.readFileSync(path.join(schemaDirectory, source.file));
      expect({ file: source.file, equal: written.equals(original) }).toEqual({ file: source.file, equal: true });
    }
  });

  it("covers every upstream file here", () => {
    // Everything in the schema folder except the project's own files must be in the pinned list.
    const projectFiles = ["SOURCES.md", "oathkeeper-access-rules.schema.json"];
    const upstreamFiles = filesIn(schemaDirectory).filter((file) => !projectFiles.includes(file));
    expect(schemaSources.map((source) => source.file).sort()).toEqual(upstreamFiles);
  });

  it("skips files already current", async () => {
    await fetchSchemas({ baseUrl, destination });
    requestedPaths.splice(0);

    const second = await fetchSchemas({ baseUrl, destination });
    expect(second.downloaded).toEqual([]);
    expect(second.unchanged).toHaveLength(schemaSources.length);
    expect(requestedPaths).toEqual([]);
  });

  it("replaces a locally changed file", async () => {
    await fetchSchemas({ baseUrl, destination });
    fs.appendFileSync(path.join(destination, tamperedFile), "local edit");

    const second = await fetchSchemas({ baseUrl, destination });
    expect(second.downloaded).toEqual([tamperedFile]);
    const bytes = fs.readFileSync(path.join(destination, tamperedFile));
    expect(crypto.createHash("sha256").update(bytes).digest("hex")).toBe(schemaSources.find((source) => source.file === tamperedFile)!.sha256);
  });

  it("rejects tampered file with hashes", async () => {
    mode = "tampered";
    const source = schemaSources.find((candidate) => candidate.file === tamperedFile)!;
    const served = Buffer.concat([fs.readFileSync(path.join(schemaDirectory, tamperedFile)), Buffer.from("\n")]);
    const servedHash = crypto.createHash("sha256").update(served).digest("hex");

    const error = await fetchSchemas({ baseUrl, destination }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaFetchError);
    const problems = (error as SchemaFetchError).problems;
    expect(problems).toHaveLength(1);
    expect(problems[0]).toContain(tamperedFile);
    expect(problems[0]).toContain(`expected ${source.sha256}`);
    expect(problems[0]).toContain(`got ${servedHash}`);
  });

  it("writes nothing after a mismatch", async () => {
    mode = "tampered";
    await expect(fetchSchemas({ baseUrl, destination })).rejects.toThrow(SchemaFetchError);
    expect(filesIn(destination)).toEqual([]);
  });

  it("reports a 404 clearly", async () => {
    mode = "missing";
    const error = await fetchSchemas({ baseUrl, destination }).catch((caught: unknown) => caught);
    expect(error).toBeInstanceOf(SchemaFetchError);
    const message = (error as Error).message;
    expect(message).toContain(`${missingFile}: download from ${baseUrl}/ory/oathkeeper/v26.2.0/spec/pipeline/mutators.id_token.schema.json failed with HTTP 404`);
    expect(message).toContain("no file was written");
    expect(filesIn(destination)).toEqual([]);
  });

  it("reports unreachable server", async () => {
    const closed = http.createServer();
    await new Promise<void>((resolve) => closed.listen(0, "127.0.0.1", resolve));
    const closedUrl = `http://127.0.0.1:${(closed.address() as AddressInfo).port}`;
    await new Promise((resolve) => closed.close(resolve));

    const sources = schemaSources.slice(0, 1);
    const error = await fetchSchemas({ baseUrl: closedUrl, destination, sources }).catch((caught: unknown) => caught);
    expect((error as SchemaFetchError).problems[0]).toMatch(new RegExp(`^${sources[0]!.file}: download from ${closedUrl}/.* failed: fetch failed \\(ECONNREFUSED\\)`));
  });

  // The child runs asynchronously, so the server in this process can respond to it.
  function runCommandLine(): Promise<{ code: number | null; stdout: string; stderr: string }> {
    const tsx = path.join(repositoryRoot, "node_modules", ".bin", "tsx");
    return new Promise((resolve) => {
      const child = execFile(
        tsx,
        ["scripts/fetch-schemas.ts", destination],
        { cwd: repositoryRoot, env: { ...process.env, APIGW_SCHEMAS_BASE_URL: baseUrl }, encoding: "utf8", timeout: 50_000 },
        (_error, stdout, stderr) => resolve({ code: child.exitCode, stdout, stderr }),
      );
    });
  }

  it("fetches from the command line", async () => {
    const result = await runCommandLine();
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Wrote ${schemaSources.length} file(s) to ${destination}`);
    expect(filesIn(destination)).toEqual(schemaSources.map((source) => source.file).sort());
  });

  it("exits non-zero from the command line", async () => {
    mode = "missing";
    const result = await runCommandLine();
    expect(result.code).toBe(1);
    expect(result.stderr).toContain(`${missingFile}: download from ${baseUrl}/`);
    expect(result.stderr).toContain("HTTP 404");
  });
});
