import * as k8s from "@pulumi/kubernetes";
import * as pulumi from "@pulumi/pulumi";
import { validateGatewayArgs } from "./gateway-validation";
import type { Platform } from "./platform";
import type { Route } from "./routes";
import {
  clientCaSecretKey,
  defaultTlsResourceName,
  forwardAuthMiddlewareName,
  forwardAuthMiddlewareSpec,
  gatewayLabelKey,
  ingressRouteSpec,
  mtlsTlsOptionName,
  servicePorts,
  stripPrefixMiddlewareName,
  stripPrefixMiddlewareSpec,
  tlsOptionSpec,
  traefikArguments,
  backendAlias,
  backendDnsName,
  traefikPorts,
  type BackendService,
} from "./traefik-config";
import { defaultImages, traefikCrdUrl } from "./versions";
import {
  configHash,
  configHashAnnotation,
  resourceRequirements,
  restrictedContainerSecurityContext,
  restrictedPodSecurityContext,
  createNamespace,
} from "./workload";

export interface GatewayArgs {
  /** Cluster that Traefik is installed into. */
  platform: Platform;
  /** Every route of the program. Each one becomes an IngressRoute named after the route. */
  routes: Route[];
  /** PEM of the CA that signs staff client certificates, such as `MtlsCA.caCertificatePem`. */
  mtlsCaCertificatePem: pulumi.Input<string>;
  /**
   * URL of Oathkeeper's decisions API that Traefik's forwardAuth calls, such as
   * `http://oathkeeper-api.auth.svc.cluster.local:4456/decisions`.
   */
  forwardAuthUrl: pulumi.Input<string>;
  /**
   * Certificate and key that Traefik serves by default. Required when
   * `platform.publicCertificate.kind` is `issued-by-program`, and rejected otherwise, because the
   * platform's Secret is then the certificate.
   */
  defaultCertificate?: { certificatePem: pulumi.Input<string>; privateKeyPem: pulumi.Input<string> };
  /**
   * Traefik image.
   * @default defaultImages.traefik
   */
  image?: string;
  /**
   * Namespace that contains Traefik and all of its routing objects.
   * @default "gateway"
   */
  namespace?: string;
}

/** Fixed names of objects that other objects, clients or docs refer to. */
const names = {
  serviceAccount: "traefik",
  // Clients and EKS DNS records reach Traefik through this Service name.
  service: "traefik",
  // The HorizontalPodAutoscaler and `kubectl logs deploy/traefik` refer to the Deployment by name.
  deployment: "traefik",
  clientCaSecret: "staff-client-ca",
  defaultCertificateSecret: "default-certificate",
};

/** UID and GID of the Traefik process, the conventional non-root "nonroot" user. */
const traefikUserId = 65532;

/**
 * Traefik Proxy v3 as the API gateway: one IngressRoute per route, forwardAuth to Oathkeeper for
 * `session` routes, a client certificate for `mtls` routes, and TLS termination for all of them.
 */
export class Gateway extends pulumi.ComponentResource {
  /** Namespace that contains Traefik and its routing objects. */
  public readonly namespace: pulumi.Output<string>;
  /** Name of Traefik's Service in {@link namespace}. */
  public readonly serviceName: pulumi.Output<string>;
  /**
   * Hostname of the cloud load balancer in front of Traefik, for DNS records. Undefined on
   * platforms that expose node ports and on load balancers that report only an IP address.
   */
  public readonly loadBalancerHostname: pulumi.Output<string | undefined>;
  /** Name of the TLSOption that requires a staff client certificate, in {@link namespace}. */
  public readonly mtlsTlsOptionName: string = mtlsTlsOptionName;
  /** Name of the forwardAuth Middleware that sends session requests to Oathkeeper, in {@link namespace}. */
  public readonly forwardAuthMiddlewareName: string = forwardAuthMiddlewareName;

  constructor(name: string, args: GatewayArgs, opts?: pulumi.ComponentResourceOptions) {
    super("apigw:index:Gateway", name, {}, opts);
    validateGatewayArgs(args, this);

    const namespaceName = args.namespace ?? "gateway";
    const image = args.image ?? defaultImages.traefik;
    const { platform } = args;
    const inCluster = { parent: this, provider: platform.kubernetesProvider };
    const labels = { "app.kubernetes.io/name": "traefik", "app.kubernetes.io/instance": name };
    // Traefik reads only the custom resources that carry this label.
    const routingLabels = { ...labels, [gatewayLabelKey]: namespaceName };

    // NOTE: CRDs are cluster-wide, so two Gateways in one cluster would both own them. Running one
    // Gateway per cluster avoids the conflict.
    const crds = new k8s.yaml.v2.ConfigFile(`${name}-crds`, { file: traefikCrdUrl }, inCluster);

    // The Service DNS name and every route's TLS option reference contain the namespace name.
    const namespace = createNamespace(`${name}-ns`, namespaceName, inCluster, labels);
    const inNamespace = { ...inCluster, dependsOn: [namespace] };
    const customResourceOptions = { ...inCluster, dependsOn: [namespace, crds] };

    // Routing objects, which Traefik reads from the Kubernetes API and reloads when they change.

    // Opaque, not kubernetes.io/tls, because the Secret contains only the CA certificate.
    const clientCaSecret = new k8s.core.v1.Secret(
      `${name}-client-ca`,
      {
        // The mtls TLSOption names this Secret.
        metadata: { name: names.clientCaSecret, namespace: namespaceName, labels },
        type: "Opaque",
        stringData: { [clientCaSecretKey]: args.mtlsCaCertificatePem },
      },
      inNamespace,
    );

    const mtlsOption = new k8s.apiextensions.CustomResource(
      `${name}-mtls-options`,
      {
        apiVersion: "traefik.io/v1alpha1",
        kind: "TLSOption",
        // Every mtls IngressRoute names this TLSOption. It must never be `default`, which would
        // demand a client certificate on every host.
        metadata: { name: mtlsTlsOptionName, namespace: namespaceName, labels: routingLabels },
        spec: tlsOptionSpec(names.clientCaSecret),
      },
      { ...customResourceOptions, dependsOn: [namespace, crds, clientCaSecret] },
    );

    // Traefik applies the TLSOption named `default` to every router without options of its own, so
    // no public or session host accepts TLS below 1.2.
    const defaultOption = new k8s.apiextensions.CustomResource(
      `${name}-default-options`,
      {
        apiVersion: "traefik.io/v1alpha1",
        kind: "TLSOption",
        metadata: { name: defaultTlsResourceName, namespace: namespaceName, labels: routingLabels },
        spec: tlsOptionSpec(),
      },
      customResourceOptions,
    );

    const tlsStore = this.createTlsStore(name, args, namespaceName, routingLabels, labels, inNamespace, customResourceOptions);

    const forwardAuth = new k8s.apiextensions.CustomResource(
      `${name}-forward-auth`,
      {
        apiVersion: "traefik.io/v1alpha1",
        kind: "Middleware",
        // Every session IngressRoute names this Middleware.
        metadata: { name: forwardAuthMiddlewareName, namespace: namespaceName, labels: routingLabels },
        spec: forwardAuthMiddlewareSpec(args.forwardAuthUrl),
      },
      customResourceOptions,
    );

    // Traefik watches only its own namespace, so each backend Service elsewhere gets an
    // ExternalName alias here. Traefik then sends traffic to the backend's cluster DNS name.
    const aliases = new Map<string, { backend: BackendService; ports: Set<number> }>();
    for (const route of args.routes) {
      if (route.backend.kind !== "service") {
        continue;
      }
      const alias = backendAlias(route.backend);
      const entry = aliases.get(alias) ?? { backend: route.backend, ports: new Set<number>() };
      entry.ports.add(route.backend.port);
      aliases.set(alias, entry);
    }
    const backendAliases = [...aliases].map(
      ([alias, { backend, ports }]) =>
        new k8s.core.v1.Service(
          `${name}-backend-${alias}`,
          {
            // The IngressRoutes name this Service.
            metadata: { name: alias, namespace: namespaceName, labels },
            spec: {
              type: "ExternalName",
              externalName: backendDnsName(backend),
              ports: [...ports].sort((a, b) => a - b).map((port) => ({ name: `port-${port}`, port, protocol: "TCP" })),
            },
          },
          inNamespace,
        ),
    );

    for (const route of args.routes) {
      if (route.stripPrefix === true) {
        new k8s.apiextensions.CustomResource(
          `${name}-strip-prefix-${route.name}`,
          {
            apiVersion: "traefik.io/v1alpha1",
            kind: "Middleware",
            // The route's IngressRoute names this Middleware.
            metadata: { name: stripPrefixMiddlewareName(route), namespace: namespaceName, labels: routingLabels },
            spec: stripPrefixMiddlewareSpec(route),
          },
          customResourceOptions,
        );
      }
      new k8s.apiextensions.CustomResource(
        `${name}-route-${route.name}`,
        {
          apiVersion: "traefik.io/v1alpha1",
          kind: "IngressRoute",
          // Named after the route, so the router names in Traefik's logs and dashboard match it.
          metadata: { name: route.name, namespace: namespaceName, labels: routingLabels },
          spec: ingressRouteSpec(route, namespaceName),
        },
        { ...customResourceOptions, dependsOn: [namespace, crds, forwardAuth, mtlsOption, ...backendAliases] },
      );
    }

    // Access for Traefik's Kubernetes CRD provider.

    const serviceAccount = new k8s.core.v1.ServiceAccount(
      `${name}-sa`,
      // The RoleBindings below name this ServiceAccount.
      { metadata: { name: names.serviceAccount, namespace: namespaceName, labels } },
      inNamespace,
    );

    // A Role, not a ClusterRole, because Traefik reads nothing outside its own namespace.
    const role = new k8s.rbac.v1.Role(
      `${name}-crd-provider`,
      {
        // The RoleBinding names this Role.
        metadata: { name: "traefik-crd-provider", namespace: namespaceName, labels },
        rules: traefikProviderRules(),
      },
      inNamespace,
    );
    const roleBinding = new k8s.rbac.v1.RoleBinding(
      `${name}-crd-provider-binding`,
      {
        metadata: { name: "traefik-crd-provider", namespace: namespaceName, labels },
        roleRef: { apiGroup: "rbac.authorization.k8s.io", kind: "Role", name: role.metadata.name },
        subjects: [{ kind: "ServiceAccount", name: names.serviceAccount, namespace: namespaceName }],
      },
      { ...inNamespace, dependsOn: [namespace, serviceAccount] },
    );

    // Traefik itself.

    const availability = platform.availability;
    const autoscaled = availability.gatewayMaxReplicas !== undefined;
    const exposure = platform.gatewayExposure;

    // Traefik watches Secrets, TLSOptions and TLSStores and reloads them without a restart. The hash
    // still rolls the pods when the CA or default certificate changes, because users of Traefik v2
    // reported that it kept serving its self-signed certificate until a restart when the default
    // TLSStore appeared after Traefik started.
    const tlsHash = configHash(
      args.mtlsCaCertificatePem,
      args.defaultCertificate?.certificatePem ?? "",
      platform.publicCertificate.kind === "secret" ? platform.publicCertificate.secretName : "",
    );

    const deployment = new k8s.apps.v1.Deployment(
      `${name}-deployment`,
      {
        metadata: { name: names.deployment, namespace: namespaceName, labels },
        spec: {
          // With an autoscaler the replica count is its business, and setting it here would undo
          // its scaling on every update.
          replicas: autoscaled ? undefined : availability.replicas,
          selector: { matchLabels: labels },
          // A new pod must be ready before an old one goes, because on one replica there is no other.
          strategy: { type: "RollingUpdate", rollingUpdate: { maxUnavailable: 0, maxSurge: 1 } },
          template: {
            metadata: { labels, annotations: { [configHashAnnotation]: tlsHash } },
            spec: {
              serviceAccountName: names.serviceAccount,
              securityContext: restrictedPodSecurityContext(traefikUserId),
              topologySpreadConstraints: availability.spreadAcrossZones ? topologySpread(labels) : undefined,
              containers: [
                {
                  name: "traefik",
                  image,
                  args: traefikArguments({
                    namespace: namespaceName,
                    proxyProtocolTrustedIPs: exposure.proxyProtocolTrustedIPs,
                  }),
                  ports: [
                    { name: "web", containerPort: traefikPorts.web, protocol: "TCP" },
                    { name: "websecure", containerPort: traefikPorts.websecure, protocol: "TCP" },
                    { name: "traefik", containerPort: traefikPorts.traefik, protocol: "TCP" },
                  ],
                  securityContext: restrictedContainerSecurityContext(),
                  // Estimates for a small gateway. Memory grows with the number of routes and connections.
                  resources: resourceRequirements(100, 256, 1000),
                  readinessProbe: {
                    httpGet: { path: "/ping", port: "traefik" },
                    periodSeconds: 5,
                    failureThreshold: 2,
                  },
                  livenessProbe: {
                    httpGet: { path: "/ping", port: "traefik" },
                    initialDelaySeconds: 5,
                    periodSeconds: 10,
                    failureThreshold: 3,
                  },
                  // The root filesystem is read-only, and /tmp is the one place Traefik may write.
                  volumeMounts: [{ name: "tmp", mountPath: "/tmp" }],
                },
              ],
              volumes: [{ name: "tmp", emptyDir: { sizeLimit: "64Mi" } }],
            },
          },
        },
      },
      // Traefik starts only after its access and its TLS objects exist.
      { ...inCluster, dependsOn: [namespace, roleBinding, mtlsOption, defaultOption, tlsStore] },
    );

    const service = new k8s.core.v1.Service(
      `${name}-service`,
      {
        metadata: { name: names.service, namespace: namespaceName, labels, annotations: exposure.serviceAnnotations },
        spec: {
          type: exposure.serviceType,
          externalTrafficPolicy: exposure.externalTrafficPolicy,
          selector: labels,
          ports: [
            {
              name: "web",
              port: servicePorts.http,
              targetPort: "web",
              protocol: "TCP",
              nodePort: exposure.nodePorts?.http,
            },
            {
              name: "websecure",
              port: servicePorts.https,
              targetPort: "websecure",
              protocol: "TCP",
              nodePort: exposure.nodePorts?.https,
            },
          ],
        },
      },
      inNamespace,
    );

    if (availability.spreadAcrossZones) {
      new k8s.policy.v1.PodDisruptionBudget(
        `${name}-pdb`,
        {
          metadata: { namespace: namespaceName, labels },
          spec: { maxUnavailable: 1, selector: { matchLabels: labels } },
        },
        inNamespace,
      );
    }

    if (availability.gatewayMaxReplicas !== undefined) {
      new k8s.autoscaling.v2.HorizontalPodAutoscaler(
        `${name}-hpa`,
        {
          metadata: { namespace: namespaceName, labels },
          spec: {
            scaleTargetRef: { apiVersion: "apps/v1", kind: "Deployment", name: deployment.metadata.name },
            minReplicas: availability.replicas,
            maxReplicas: availability.gatewayMaxReplicas,
            metrics: [
              { type: "Resource", resource: { name: "cpu", target: { type: "Utilization", averageUtilization: 70 } } },
            ],
          },
        },
        inNamespace,
      );
    }

    this.namespace = namespace.metadata.name;
    this.serviceName = service.metadata.name;
    this.loadBalancerHostname = service.status.apply((status) => status?.loadBalancer?.ingress?.[0]?.hostname);
    this.registerOutputs({
      namespace: this.namespace,
      serviceName: this.serviceName,
      loadBalancerHostname: this.loadBalancerHostname,
      mtlsTlsOptionName: this.mtlsTlsOptionName,
      forwardAuthMiddlewareName: this.forwardAuthMiddlewareName,
    });
  }

  /** Creates the TLSStore named `default`, and the Secret it serves when the program issues it. */
  private createTlsStore(
    name: string,
    args: GatewayArgs,
    namespaceName: string,
    routingLabels: Record<string, string>,
    labels: Record<string, string>,
    inNamespace: pulumi.CustomResourceOptions,
    customResourceOptions: pulumi.CustomResourceOptions,
  ): k8s.apiextensions.CustomResource {
    const source = args.platform.publicCertificate;
    let secretName: string;
    let dependsOn: pulumi.Resource[];
    if (source.kind === "secret") {
      secretName = source.secretName;
      dependsOn = source.dependsOn;
    } else {
      // validateGatewayArgs has checked that the certificate is present.
      const certificate = args.defaultCertificate!;
      secretName = names.defaultCertificateSecret;
      const secret = new k8s.core.v1.Secret(
        `${name}-default-cert`,
        {
          // The TLSStore names this Secret.
          metadata: { name: secretName, namespace: namespaceName, labels },
          type: "kubernetes.io/tls",
          stringData: { "tls.crt": certificate.certificatePem, "tls.key": pulumi.secret(certificate.privateKeyPem) },
        },
        inNamespace,
      );
      dependsOn = [secret];
    }

    return new k8s.apiextensions.CustomResource(
      `${name}-tls-store`,
      {
        apiVersion: "traefik.io/v1alpha1",
        kind: "TLSStore",
        // Traefik only uses the TLSStore named `default`.
        metadata: { name: defaultTlsResourceName, namespace: namespaceName, labels: routingLabels },
        spec: { defaultCertificate: { secretName } },
      },
      { ...customResourceOptions, dependsOn: [...(customResourceOptions.dependsOn as pulumi.Resource[]), ...dependsOn] },
    );
  }
}

/**
 * Builds the rules Traefik's Kubernetes CRD provider needs in the namespace it watches. It lists
 * and watches the kinds below (docs/content/reference/dynamic-configuration/kubernetes-crd-rbac.yml,
 * without the Ingress, Node and Pod rules that other providers and OpenTelemetry need).
 * ConfigMaps contain CA certificates for ServersTransports.
 *
 * NOTE: a pull request to traefik/traefik makes the CRD provider write status conditions to its
 * resources, which needs `update` on their `/status` subresources. Whether v3.7.13 ships it was not
 * confirmed. Without the permission Traefik logs a warning and still routes.
 */
export function traefikProviderRules(): k8s.types.input.rbac.v1.PolicyRule[] {
  return [
    { apiGroups: [""], resources: ["services", "secrets", "configmaps"], verbs: ["get", "list", "watch"] },
    { apiGroups: ["discovery.k8s.io"], resources: ["endpointslices"], verbs: ["list", "watch"] },
    {
      apiGroups: ["traefik.io"],
      resources: [
        "ingressroutes",
        "ingressroutetcps",
        "ingressrouteudps",
        "middlewares",
        "middlewaretcps",
        "serverstransports",
        "serverstransporttcps",
        "tlsoptions",
        "tlsstores",
        "traefikservices",
      ],
      verbs: ["get", "list", "watch"],
    },
  ];
}

/** Spreads Traefik's pods over zones first and nodes second, without blocking scheduling. */
function topologySpread(labels: Record<string, string>): k8s.types.input.core.v1.TopologySpreadConstraint[] {
  // ScheduleAnyway, because a rollout that waits for capacity in one full zone is worse than two
  // pods sharing a zone for a while.
  return ["topology.kubernetes.io/zone", "kubernetes.io/hostname"].map((topologyKey) => ({
    maxSkew: 1,
    topologyKey,
    whenUnsatisfiable: "ScheduleAnyway",
    labelSelector: { matchLabels: labels },
  }));
}
