import * as crypto from "node:crypto";

// TODO: replace with faithful fakes that honour every character-set input of @pulumi/random.
export function fakeRandomOutputs(type: string, inputs: Record<string, any>): Record<string, unknown> {
  const length = Number(inputs.length ?? 32);
  const value = crypto.randomBytes(length).toString("base64url").slice(0, length);
  if (type === "random:index/randomPassword:RandomPassword") {
    return { result: value, bcryptHash: "" };
  }
  if (type === "random:index/randomString:RandomString") {
    return { result: value };
  }
  return {};
}
