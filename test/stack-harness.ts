/**
 * Evaluates the whole program for one stack under the mock runtime, with that stack's config from
 * Pulumi.<stack>.yaml. Both the stack tests and `npm run render` use it.
 */
import * as fs from "node:fs";
import * as path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { parse } from "yaml";
import { created, resetRecords, resolved, settled, useMocks, type RecordedResource } from "./mocks";

const repositoryRoot = path.resolve(__dirname, "..");

/** Stack names that have a Pulumi.<stack>.yaml in the repository. */
export const stackNames = ["local", "dev", "prod"] as const;
export type StackName = (typeof stackNames)[number];

/** Config of one stack as the Pulumi engine hands it to the program. */
export interface StackConfigValues {
  /** Full keys such as `apigw:routes` mapped to their values, objects and lists as JSON. */
  readonly values: Record<string, string>;
  /** Keys whose values are secrets in the stack file. */
  readonly secretKeys: string[];
}

/**
 * Reads Pulumi.<stack>.yaml. Encrypted (`secure:`) values cannot be decrypted without the stack's
 * secrets provider, so each becomes a placeholder string that is still marked secret.
 */
export function readStackConfig(stack: string): StackConfigValues {
  const file = path.join(repositoryRoot, `Pulumi.${stack}.yaml`);
  const document = (parse(fs.readFileSync(file, "utf8")) ?? {}) as { config?: Record<string, unknown> };
  const values: Record<string, string> = {};
  const secretKeys: string[] = [];
  for (const [key, value] of Object.entries(document.config ?? {})) {
    if (value !== null && typeof value === "object" && "secure" in value) {
      values[key] = `placeholder-for-${key}`;
      secretKeys.push(key);
    } else {
      values[key] = typeof value === "string" ? value : JSON.stringify(value);
    }
  }
  return { values, secretKeys };
}

/** What one evaluation of the program produced. */
export interface StackEvaluation {
  /** The program's stack outputs, resolved. */
  readonly outputs: Record<string, unknown>;
  /** Every resource the program declared. */
  readonly resources: RecordedResource[];
}

/**
 * Runs the program for a stack under the mock runtime and waits until every resource is
 * registered. `importProgram` loads index.ts, for example `() => import("../index")`; it is
 * passed in because only the caller's module system can load the program fresh.
 *
 * `overrides` replaces individual config values, for tests of one setting.
 */
export async function evaluateStack(
  stack: string,
  importProgram: () => Promise<Record<string, unknown>>,
  overrides: Record<string, string> = {},
): Promise<StackEvaluation> {
  const { values, secretKeys } = readStackConfig(stack);
  resetRecords();
  pulumi.runtime.setAllConfig({ ...values, ...overrides }, secretKeys);
  await useMocks({ project: "apigw", stack });

  const program = await importProgram();
  const outputs: Record<string, unknown> = {};
  for (const [name, value] of Object.entries(program)) {
    if (name === "default" || name === "__esModule") {
      continue;
    }
    outputs[name] = pulumi.Output.isInstance(value) ? await resolved(value) : value;
  }
  await settled();
  return { outputs, resources: [...created] };
}
