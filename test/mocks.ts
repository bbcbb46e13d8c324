import * as pulumi from "@pulumi/pulumi";
import { fakeCallResult, fakeOutputs } from "./fakes";

/** One resource the program declared, as the mock runtime saw it. */
export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  /** Inputs after Pulumi resolved them. Kubernetes Secret data stays secret-wrapped, see {@link unwrapSecrets}. */
  readonly inputs: Record<string, any>;
  /** Provider reference `urn::id`, when the resource names a provider. */
  readonly provider?: string;
  /** Whether the resource is custom (provider-managed) rather than a component. */
  readonly custom: boolean;
  /** State the mock returned: the inputs plus realistic outputs from `test/fakes`. */
  readonly state: Record<string, any>;
}

/** One provider function call the program made. */
export interface RecordedCall {
  readonly token: string;
  readonly inputs: Record<string, any>;
}

/** Every resource declared since the last {@link resetRecords}, in registration order. */
export const created: RecordedResource[] = [];
/** Every invoke made since the last {@link resetRecords}. */
export const calls: RecordedCall[] = [];

export interface MockOptions {
  /** Project name that `pulumi.getProject()` returns. */
  project?: string;
  /** Stack name that `pulumi.getStack()` returns. */
  stack?: string;
  /** Evaluate as `pulumi preview` does, where unknown outputs stay unknown. */
  preview?: boolean;
}

/**
 * Installs the mock runtime. Resources get realistic outputs from `test/fakes` (real keys,
 * certificates and random values), and an invoke without a fake fails the test.
 */
export async function useMocks(options: MockOptions = {}): Promise<void> {
  await pulumi.runtime.setMocks(
    {
      newResource: async (resource) => {
        const inputs = (resource.inputs ?? {}) as Record<string, any>;
        const outputs = await fakeOutputs(resource.type, resource.name, inputs);
        const state = { ...inputs, ...outputs };
        created.push({
          type: resource.type,
          name: resource.name,
          inputs,
          provider: resource.provider,
          custom: resource.custom ?? true,
          state,
        });
        return { id: `${resource.name}-id`, state };
      },
      call: (invoke) => {
        calls.push({ token: invoke.token, inputs: invoke.inputs });
        const result = fakeCallResult(invoke.token, invoke.inputs);
        if (result === undefined) {
          throw new Error(`No mock for invoke ${invoke.token}. Add one to test/fakes.`);
        }
        return result;
      },
    },
    options.project ?? "apigw",
    options.stack ?? "test",
    options.preview ?? false,
  );
}

/** Forgets recorded resources and calls, for use in `beforeEach`. */
export function resetRecords(): void {
  created.splice(0);
  calls.splice(0);
}

/** Resolves an output to its plain value. An unknown output (preview only) never resolves. */
export function resolved<T>(output: pulumi.Input<T>): Promise<pulumi.Unwrap<T>> {
  return new Promise((resolve) => pulumi.output(output).apply((value) => resolve(value)));
}

/** Returns the recorded resources of one type token, such as `kubernetes:core/v1:Secret`. */
export function ofType(type: string): RecordedResource[] {
  return created.filter((resource) => resource.type === type);
}

/** Returns the one recorded resource with this logical name, or throws naming what exists. */
export function named(name: string): RecordedResource {
  const matches = created.filter((resource) => resource.name === name);
  if (matches.length !== 1) {
    const names = created.map((resource) => resource.name).join(", ");
    throw new Error(`Expected one resource named "${name}", found ${matches.length}. Recorded: ${names}`);
  }
  return matches[0]!;
}

/**
 * Waits until the runtime has registered every resource declared so far.
 *
 * Registration is asynchronous, so a test that inspects `created` right after constructing a
 * component could miss children. Awaiting an output of the deepest child is the precise way, and
 * this is the general one.
 */
export async function settled(): Promise<void> {
  let previous = -1;
  while (previous !== created.length) {
    previous = created.length;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/**
 * Checks whether a recorded input value is wrapped as a Pulumi secret. The Kubernetes SDK marks
 * Secret `data` and `stringData` secret itself, so those arrive wrapped even under mocks.
 */
export function isSecretValue(value: unknown): boolean {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Record<string, unknown>)[pulumi.runtime.specialSigKey] === pulumi.runtime.specialSecretSig
  );
}

/** Replaces every secret-wrapped value in recorded inputs with its plain value. */
export function unwrapSecrets(value: unknown): any {
  if (isSecretValue(value)) {
    return unwrapSecrets((value as { value: unknown }).value);
  }
  if (Array.isArray(value)) {
    return value.map(unwrapSecrets);
  }
  if (typeof value === "object" && value !== null) {
    return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, unwrapSecrets(inner)]));
  }
  return value;
}
