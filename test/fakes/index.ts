import { fakeAwsCallResult, fakeAwsOutputs } from "./aws";
import { fakeKubernetesOutputs } from "./kubernetes";
import { fakeRandomOutputs } from "./random";
import { fakeTlsOutputs } from "./tls";

type Outputs = Record<string, unknown>;

/**
 * Returns the outputs a real provider would add to a resource's inputs, for the resource types
 * whose outputs the program or its tests depend on. Other types get none, so their state is
 * their inputs.
 */
export async function fakeOutputs(type: string, name: string, inputs: Record<string, any>): Promise<Outputs> {
  const packageName = type.split(":")[0];
  switch (packageName) {
    case "tls":
      return fakeTlsOutputs(type, name, inputs);
    case "random":
      return fakeRandomOutputs(type, inputs);
    case "aws":
    case "eks":
    case "awsx":
      return fakeAwsOutputs(type, name, inputs);
    case "kubernetes":
      return fakeKubernetesOutputs(type, name, inputs);
    default:
      return {};
  }
}

/** Returns the result of a provider function, or undefined when no fake exists for the token. */
export function fakeCallResult(token: string, inputs: Record<string, any>): Outputs | undefined {
  const packageName = token.split(":")[0];
  switch (packageName) {
    case "aws":
    case "eks":
    case "awsx":
      return fakeAwsCallResult(token, inputs);
    default:
      return undefined;
  }
}
