/**
 * The identity database on EKS: RDS for PostgreSQL in the private subnets, reachable only from
 * the nodes, with a generated password and a DSN for Kratos that stays a Pulumi secret.
 */
import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { EksSettings } from "./eks-config";

/** Database, user and port that Kratos uses. */
export const identityDatabaseName = "kratos";
const identityDatabaseUser = "kratos";
const postgresPort = 5432;

type DatabaseSettings = EksSettings["database"];

/** The database instance and the connection string Kratos reads. */
export interface EksDatabase {
  readonly instance: aws.rds.Instance;
  /** `postgres://` DSN with the URL-encoded password, a Pulumi secret. */
  readonly dsn: pulumi.Output<string>;
}

/**
 * Maps the settings to the RDS arguments that decide availability and data safety, so a test can
 * check them without a deployment.
 */
export function databaseSafetyArgs(settings: DatabaseSettings) {
  return {
    multiAz: settings.multiAz,
    backupRetentionPeriod: settings.backupRetentionDays,
    deletionProtection: settings.deletionProtection,
    skipFinalSnapshot: !settings.finalSnapshot,
    storageEncrypted: true,
    publiclyAccessible: false,
  };
}

/**
 * Resource options of the database instance. `protect` is not visible to the mock runtime, so
 * this decision lives in a function a test can call.
 */
export function databaseResourceOptions(settings: DatabaseSettings, parent: pulumi.Resource): pulumi.CustomResourceOptions {
  return { parent, protect: settings.protect };
}

/** Builds the DSN with the password URL-encoded and the whole string kept secret. */
export function postgresDsn(password: pulumi.Input<string>, address: pulumi.Input<string>, port: pulumi.Input<number>): pulumi.Output<string> {
  const encodedPassword = pulumi.output(password).apply(encodeURIComponent);
  // RDS for PostgreSQL 15 and later sets rds.force_ssl, so the connection must use TLS.
  // NOTE: sslmode=require encrypts but does not check the server certificate. verify-full would
  // need the RDS CA bundle mounted into the Kratos pods.
  return pulumi.secret(
    pulumi.interpolate`postgres://${identityDatabaseUser}:${encodedPassword}@${address}:${port}/${identityDatabaseName}?sslmode=require`,
  );
}

/** Creates the subnet group, the security group, the password and the database instance. */
export function createDatabase(
  name: string,
  settings: DatabaseSettings,
  network: { vpcId: pulumi.Input<string>; privateSubnetIds: pulumi.Input<string[]> },
  nodeSecurityGroupId: pulumi.Input<string>,
  tags: Record<string, string>,
  parent: pulumi.Resource,
): EksDatabase {
  const subnetGroup = new aws.rds.SubnetGroup(`${name}-db-subnets`, { subnetIds: network.privateSubnetIds, tags }, { parent });

  const securityGroup = new aws.ec2.SecurityGroup(
    `${name}-db-sg`,
    { vpcId: network.vpcId, description: "Identity database: PostgreSQL from the EKS nodes only", tags },
    { parent },
  );
  // Pods use the node's security group with the VPC CNI, so this rule admits Kratos and nothing
  // outside the cluster.
  new aws.vpc.SecurityGroupIngressRule(
    `${name}-db-from-nodes`,
    {
      securityGroupId: securityGroup.id,
      referencedSecurityGroupId: nodeSecurityGroupId,
      ipProtocol: "tcp",
      fromPort: postgresPort,
      toPort: postgresPort,
      description: "PostgreSQL from EKS nodes",
    },
    { parent },
  );

  // Letters and digits only: RDS rejects '/', '@', '"' and spaces in master passwords.
  const password = new random.RandomPassword(`${name}-db-password`, { length: 40, special: false }, { parent });
  // A fixed snapshot name would collide with the snapshot of an earlier stack of the same name.
  const snapshotSuffix = new random.RandomId(`${name}-db-snapshot-suffix`, { byteLength: 4 }, { parent });

  const instance = new aws.rds.Instance(
    `${name}-db`,
    {
      engine: "postgres",
      engineVersion: settings.engineVersion,
      autoMinorVersionUpgrade: true,
      instanceClass: settings.instanceClass,
      allocatedStorage: settings.allocatedStorageGiB,
      maxAllocatedStorage: settings.maxAllocatedStorageGiB,
      storageType: "gp3",
      dbName: identityDatabaseName,
      username: identityDatabaseUser,
      password: password.result,
      port: postgresPort,
      dbSubnetGroupName: subnetGroup.name,
      vpcSecurityGroupIds: [securityGroup.id],
      ...databaseSafetyArgs(settings),
      finalSnapshotIdentifier: settings.finalSnapshot ? pulumi.interpolate`${name}-kratos-final-${snapshotSuffix.hex}` : undefined,
      copyTagsToSnapshot: true,
      tags,
    },
    databaseResourceOptions(settings, parent),
  );

  return { instance, dsn: postgresDsn(password.result, instance.address, instance.port) };
}
