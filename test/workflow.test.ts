import * as fs from "node:fs";
import * as path from "node:path";
import { parse } from "yaml";
import { describe, expect, it } from "vitest";
import { stackNames } from "./stack-harness";

const repositoryRoot = path.resolve(__dirname, "..");
const workflowText = fs.readFileSync(path.join(repositoryRoot, ".github", "workflows", "preview.yml"), "utf8");
const workflow = parse(workflowText) as Record<string, any>;

interface Step {
  readonly name?: string;
  readonly uses?: string;
  readonly run?: string;
  readonly if?: string;
  readonly with?: Record<string, unknown>;
  readonly env?: Record<string, string>;
}

const testSteps = workflow.jobs.test.steps as Step[];
const previewJob = workflow.jobs.preview;
const previewSteps = previewJob.steps as Step[];

function stepUsing(steps: Step[], action: string): Step {
  const step = steps.find((candidate) => candidate.uses?.startsWith(`${action}@`));
  expect(step, `a step that uses ${action}`).toBeDefined();
  return step!;
}

describe("preview workflow", () => {
  it("runs on pull requests only", () => {
    expect(Object.keys(workflow.on)).toEqual(["pull_request"]);
  });

  it("grants read-only token by default", () => {
    expect(workflow.permissions).toEqual({ contents: "read" });
  });

  it("tests before previewing", () => {
    expect(testSteps.map((step) => step.run).filter(Boolean)).toEqual(["npm ci", "npm run fetch-schemas", "npm test"]);
    expect(previewJob.needs).toBe("test");
  });

  it("preview job may request OIDC token", () => {
    expect(previewJob.permissions).toEqual({ contents: "read", "id-token": "write", "pull-requests": "write" });
  });

  it("previews every stack file", () => {
    const stacks = (previewJob.strategy.matrix.include as Array<{ stack: string }>).map((entry) => entry.stack);
    expect(stacks).toEqual([...stackNames]);
  });

  it("AWS region matches stack files", () => {
    for (const entry of previewJob.strategy.matrix.include as Array<{ stack: string; aws: boolean; region?: string }>) {
      const stackFile = parse(fs.readFileSync(path.join(repositoryRoot, `Pulumi.${entry.stack}.yaml`), "utf8")) as { config: Record<string, unknown> };
      const platform = stackFile.config["apigw:platform"] ?? "kind";
      expect(entry.aws, `aws flag of ${entry.stack}`).toBe(platform === "eks");
      if (entry.aws) {
        expect(entry.region, `region of ${entry.stack}`).toBe(stackFile.config["aws:region"]);
      }
    }
  });

  it("assumes AWS role through OIDC", () => {
    const credentials = stepUsing(previewSteps, "aws-actions/configure-aws-credentials");
    expect(credentials.uses).toMatch(/@v[0-9]+$/);
    expect(credentials.if).toBe("matrix.aws");
    expect(credentials.with?.["role-to-assume"]).toBe("${{ vars.AWS_PREVIEW_ROLE_ARN }}");
    expect(Object.keys(credentials.with ?? {})).not.toContain("aws-access-key-id");
    expect(Object.keys(credentials.with ?? {})).not.toContain("aws-secret-access-key");
  });

  it("contains no AWS access keys", () => {
    expect(workflowText).not.toMatch(/AWS_ACCESS_KEY_ID|AWS_SECRET_ACCESS_KEY|aws-access-key-id|aws-secret-access-key/i);
    expect(workflowText).not.toMatch(/AKIA[0-9A-Z]{16}/);
  });

  it("previews with pinned Pulumi action", () => {
    const pulumi = stepUsing(previewSteps, "pulumi/actions");
    expect(pulumi.uses).toMatch(/^pulumi\/actions@(v[0-9]+|[0-9a-f]{40})$/);
    expect(pulumi.with).toMatchObject({ command: "preview", "comment-on-pr": true, "stack-name": "${{ vars.PULUMI_ORG }}/${{ matrix.stack }}" });
    expect(pulumi.env).toEqual({ PULUMI_ACCESS_TOKEN: "${{ secrets.PULUMI_ACCESS_TOKEN }}" });
  });

  it("pins every action version", () => {
    for (const step of [...testSteps, ...previewSteps].filter((candidate) => candidate.uses !== undefined)) {
      expect(step.uses, step.uses).toMatch(/@(v[0-9]+(\.[0-9]+)*|[0-9a-f]{40})$/);
    }
  });

  it("skips previews for forks", () => {
    expect(previewJob.if).toBe("github.event.pull_request.head.repo.full_name == github.repository");
  });
});
