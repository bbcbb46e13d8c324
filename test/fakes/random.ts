import * as crypto from "node:crypto";
import { unwrapSecrets } from "./tls";

// Facts about the real provider come from hashicorp/terraform-provider-random (main branch,
// internal/random/string.go, internal/provider/validators.go and resource_id.go), which
// @pulumi/random v4 wraps.

type Inputs = Record<string, any>;
type Outputs = Record<string, unknown>;

const upperChars = "ABCDEFGHIJKLMNOPQRSTUVWXYZ";
const lowerChars = "abcdefghijklmnopqrstuvwxyz";
const numericChars = "0123456789";
const defaultSpecialChars = "!@#$%&*()-_=+[]{}<>:?";

/**
 * Returns the outputs that @pulumi/random v4 computes for a resource, honouring the inputs that
 * shape the value (length, character classes, minimums, byte lengths, prefixes).
 */
export function fakeRandomOutputs(type: string, rawInputs: Record<string, any>): Record<string, unknown> {
  const inputs = unwrapSecrets(rawInputs) as Inputs;
  switch (type) {
    case "random:index/randomPassword:RandomPassword":
      // NOTE: the real provider also returns `bcryptHash`. No bcrypt library is installed, so the
      // fake omits it rather than return a value that no bcrypt check would accept.
      return randomStringOutputs(inputs);
    case "random:index/randomString:RandomString":
      return randomStringOutputs(inputs);
    case "random:index/randomBytes:RandomBytes":
      return randomBytesOutputs(inputs);
    case "random:index/randomId:RandomId":
      return randomIdOutputs(inputs);
    case "random:index/randomInteger:RandomInteger":
      return randomIntegerOutputs(inputs);
    case "random:index/randomUuid:RandomUuid":
    case "random:index/randomUuid4:RandomUuid4":
      return { result: crypto.randomUUID() };
    default:
      return {};
  }
}

/** Settings of RandomString and RandomPassword after the provider's defaults. */
export interface StringSettings {
  length: number;
  upper: boolean;
  lower: boolean;
  numeric: boolean;
  special: boolean;
  minUpper: number;
  minLower: number;
  minNumeric: number;
  minSpecial: number;
  overrideSpecial: string;
}

function stringSettings(inputs: Inputs): StringSettings {
  return {
    length: Number(inputs.length),
    upper: inputs.upper ?? true,
    lower: inputs.lower ?? true,
    // `number` is the deprecated name of `numeric`, so the fake accepts either.
    numeric: inputs.numeric ?? inputs.number ?? true,
    special: inputs.special ?? true,
    minUpper: Number(inputs.minUpper ?? 0),
    minLower: Number(inputs.minLower ?? 0),
    minNumeric: Number(inputs.minNumeric ?? 0),
    minSpecial: Number(inputs.minSpecial ?? 0),
    overrideSpecial: inputs.overrideSpecial ?? "",
  };
}

function randomStringOutputs(inputs: Inputs): Outputs {
  const settings = stringSettings(inputs);
  return {
    result: generateString(settings),
    upper: settings.upper,
    lower: settings.lower,
    numeric: settings.numeric,
    number: settings.numeric,
    special: settings.special,
    minUpper: settings.minUpper,
    minLower: settings.minLower,
    minNumeric: settings.minNumeric,
    minSpecial: settings.minSpecial,
  };
}

/**
 * Generates a string as the provider does: first the minimum count from each class (even a
 * class that is turned off), then the rest from the union of enabled classes, then a shuffle.
 */
export function generateString(settings: StringSettings): string {
  const { length, minUpper, minLower, minNumeric, minSpecial } = settings;
  if (!Number.isInteger(length) || length < 1) {
    throw new Error(`Attribute "length" must be an integer of at least 1, got ${length}`);
  }
  const minimums = minUpper + minLower + minNumeric + minSpecial;
  if (length < minimums) {
    throw new Error(
      `Attribute "length" (${length}) cannot be less than min_upper + min_lower + min_numeric + min_special (${minimums}).`,
    );
  }

  const specialChars = settings.overrideSpecial !== "" ? settings.overrideSpecial : defaultSpecialChars;
  let pool = "";
  pool += settings.upper ? upperChars : "";
  pool += settings.lower ? lowerChars : "";
  pool += settings.numeric ? numericChars : "";
  pool += settings.special ? specialChars : "";

  const characters = [
    ...pick(upperChars, minUpper),
    ...pick(lowerChars, minLower),
    ...pick(numericChars, minNumeric),
    ...pick(specialChars, minSpecial),
  ];
  const remaining = length - characters.length;
  if (remaining > 0 && pool === "") {
    throw new Error("At least one of upper, lower, numeric and special must be true to fill the remaining length");
  }
  characters.push(...pick(pool, remaining));

  // Fisher-Yates shuffle, so the required characters do not sit at fixed positions.
  for (let i = characters.length - 1; i > 0; i--) {
    const j = crypto.randomInt(i + 1);
    [characters[i], characters[j]] = [characters[j]!, characters[i]!];
  }
  return characters.join("");
}

function pick(charset: string, count: number): string[] {
  return Array.from({ length: count }, () => charset[crypto.randomInt(charset.length)]!);
}

function randomBytesOutputs(inputs: Inputs): Outputs {
  const length = Number(inputs.length);
  if (!Number.isInteger(length) || length < 1) {
    throw new Error(`Attribute "length" must be an integer of at least 1, got ${inputs.length}`);
  }
  const bytes = crypto.randomBytes(length);
  return { base64: bytes.toString("base64"), hex: bytes.toString("hex") };
}

function randomIdOutputs(inputs: Inputs): Outputs {
  const byteLength = Number(inputs.byteLength);
  if (!Number.isInteger(byteLength) || byteLength < 1) {
    throw new Error(`Attribute "byteLength" must be an integer of at least 1, got ${inputs.byteLength}`);
  }
  const bytes = crypto.randomBytes(byteLength);
  // The provider prepends the prefix as given to every encoding.
  const prefix = String(inputs.prefix ?? "");
  return {
    b64Url: prefix + bytes.toString("base64url"),
    b64Std: prefix + bytes.toString("base64"),
    hex: prefix + bytes.toString("hex"),
    dec: prefix + BigInt(`0x${bytes.toString("hex")}`).toString(10),
  };
}

function randomIntegerOutputs(inputs: Inputs): Outputs {
  const min = Number(inputs.min);
  const max = Number(inputs.max);
  if (!Number.isSafeInteger(min) || !Number.isSafeInteger(max) || max < min) {
    throw new Error(`Minimum value needs to be smaller than or equal to maximum value, got min ${inputs.min} and max ${inputs.max}`);
  }
  return { result: min + crypto.randomInt(max - min + 1) };
}
