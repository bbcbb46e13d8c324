// TODO: realistic outputs for the AWS and EKS resources the EKS platform declares.
export function fakeAwsOutputs(type: string, name: string, inputs: Record<string, any>): Record<string, unknown> {
  void type;
  void name;
  void inputs;
  return {};
}

export function fakeAwsCallResult(token: string, inputs: Record<string, any>): Record<string, unknown> | undefined {
  void token;
  void inputs;
  return undefined;
}
