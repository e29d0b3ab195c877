import { Cluster } from '@kubernetes-models/cloudnative-pg/postgresql.cnpg.io/v1/Cluster'
import {
  AuditAnnotation,
  MatchCondition,
  MatchResources,
  Validation,
  Variable,
} from 'kubernetes-models/admissionregistration.k8s.io/v1'
import {
  bool,
  embedded,
  int,
  list,
  map,
  model,
  obj,
  oneOf,
  openObj,
  type Shape,
  str,
} from './shape.ts'

/**
 * Kinds the deployment uses that no installed package models, each with a hand-written
 * check of the fields we use (field names and types from the projects' API references):
 *
 * - policies.kyverno.io ValidatingPolicy / ImageValidatingPolicy / GeneratingPolicy:
 *   Kyverno's CEL policy types (1.14+, GeneratingPolicy 1.15+); @kubernetes-models/kyverno
 *   0.3.4 only models kyverno.io.
 * - barmancloud.cnpg.io ObjectStore: the barman-cloud plugin's CRD; the cloudnative-pg
 *   package models only postgresql.cnpg.io.
 * - metallb.io IPAddressPool / L2Advertisement: MetalLB (kind and on-prem load balancers);
 *   no @kubernetes-models package covers MetalLB.
 *
 * Where a part of these is a type a package does model (admission CEL types, CloudNativePG's
 * barman object store configuration), that part goes through the model and its closed check.
 */

const metadata = openObj({ name: str, namespace: str, labels: map(str), annotations: map(str) }, [
  'name',
])

const enabled = obj({ enabled: bool })

/** Fields ValidatingPolicy shares with Kubernetes' ValidatingAdmissionPolicy, plus Kyverno's. */
const policyCommon: Record<string, Shape> = {
  matchConstraints: model(MatchResources),
  matchConditions: list(model(MatchCondition)),
  variables: list(model(Variable)),
  validations: list(model(Validation)),
  auditAnnotations: list(model(AuditAnnotation)),
  validationActions: list(oneOf('Deny', 'Audit', 'Warn')),
  failurePolicy: oneOf('Fail', 'Ignore'),
  webhookConfiguration: obj({ timeoutSeconds: int }),
  evaluation: obj({
    mode: oneOf('Kubernetes', 'JSON'),
    admission: enabled,
    background: enabled,
  }),
  autogen: obj({
    podControllers: obj({ controllers: list(str) }),
    validatingAdmissionPolicy: enabled,
  }),
}

const validatingPolicy = obj(
  { apiVersion: str, kind: str, metadata, spec: obj(policyCommon, ['validations']) },
  ['metadata', 'spec'],
)

/** GeneratingPolicy: `generate` entries are CEL expressions; evaluation has its own switches. */
const generatingPolicy = obj(
  {
    apiVersion: str,
    kind: str,
    metadata,
    spec: obj(
      {
        matchConstraints: model(MatchResources),
        matchConditions: list(model(MatchCondition)),
        variables: list(model(Variable)),
        webhookConfiguration: obj({ timeoutSeconds: int }),
        evaluation: obj({
          admission: enabled,
          generateExisting: enabled,
          synchronize: enabled,
          orphanDownstreamOnPolicyDelete: enabled,
        }),
        generate: list(obj({ expression: str }, ['expression'])),
      },
      ['generate'],
    ),
  },
  ['metadata', 'spec'],
)

/** Cosign attestors: keyless identities (issuer, subject or their regexps), or a key. */
const cosign = openObj({
  keyless: openObj({
    identities: list(obj({ issuer: str, subject: str, issuerRegExp: str, subjectRegExp: str })),
    roots: str,
  }),
  key: openObj({ data: str, kms: str, hashAlgorithm: str, expression: str }),
  ctlog: openObj({ url: str, insecureIgnoreTlog: bool, insecureIgnoreSCT: bool }),
})

const imageValidatingPolicy = obj(
  {
    apiVersion: str,
    kind: str,
    metadata,
    spec: obj(
      {
        ...policyCommon,
        matchImageReferences: list(obj({ glob: str, expression: str })),
        images: list(obj({ name: str, expression: str }, ['name', 'expression'])),
        attestors: list(openObj({ name: str, cosign, notary: openObj({}) }, ['name'])),
        attestations: list(openObj({ name: str }, ['name'])),
        credentials: openObj({ allowInsecureRegistry: bool, providers: list(str) }),
        validationConfigurations: obj({ mutateDigest: bool, verifyDigest: bool, required: bool }),
      },
      ['matchImageReferences', 'attestors', 'validations'],
    ),
  },
  ['metadata', 'spec'],
)

/**
 * The plugin's `spec.configuration` is CloudNativePG's barman object store configuration,
 * which the Cluster model describes at spec.backup.barmanObjectStore.
 */
const objectStore = obj(
  {
    apiVersion: str,
    kind: str,
    metadata,
    spec: obj(
      {
        configuration: embedded(Cluster, ['spec', 'backup', 'barmanObjectStore']),
        retentionPolicy: str,
        instanceSidecarConfiguration: openObj({
          env: list(openObj({ name: str }, ['name'])),
          retentionPolicyIntervalSeconds: int,
        }),
      },
      ['configuration'],
    ),
  },
  ['metadata', 'spec'],
)

const labelSelector = obj({
  matchLabels: map(str),
  matchExpressions: list(obj({ key: str, operator: str, values: list(str) }, ['key', 'operator'])),
})

/** MetalLB: a pool of addresses (ranges or CIDRs) and where to announce it on layer 2. */
const ipAddressPool = obj(
  {
    apiVersion: str,
    kind: str,
    metadata,
    spec: obj(
      {
        addresses: list(str),
        autoAssign: bool,
        avoidBuggyIPs: bool,
        serviceAllocation: obj({
          priority: int,
          namespaces: list(str),
          namespaceSelectors: list(labelSelector),
          serviceSelectors: list(labelSelector),
        }),
      },
      ['addresses'],
    ),
  },
  ['metadata', 'spec'],
)

const l2Advertisement = obj(
  {
    apiVersion: str,
    kind: str,
    metadata,
    spec: obj({
      ipAddressPools: list(str),
      ipAddressPoolSelectors: list(labelSelector),
      nodeSelectors: list(labelSelector),
      interfaces: list(str),
    }),
  },
  ['metadata'],
)

export const UNCOVERED: Readonly<Record<string, Shape>> = {
  'policies.kyverno.io/v1/ValidatingPolicy': validatingPolicy,
  'policies.kyverno.io/v1/ImageValidatingPolicy': imageValidatingPolicy,
  'policies.kyverno.io/v1/GeneratingPolicy': generatingPolicy,
  'barmancloud.cnpg.io/v1/ObjectStore': objectStore,
  'metallb.io/v1beta1/IPAddressPool': ipAddressPool,
  'metallb.io/v1beta1/L2Advertisement': l2Advertisement,
}
