import { describe, expect, it } from 'vitest'
import { parse, parseAllDocuments } from 'yaml'
import { renderTemplate, scanTemplate } from './templates.ts'
import { load, read } from './tree.ts'

/**
 * The onprem nodes' cloud-init (modules/cluster/kubeadm-oci/templates): each template
 * rendered with the values main.tf computes for the module's defaults is a
 * cloud-config, and the files it writes are what kubeadm and the kubelet read.
 */

// biome-ignore lint/suspicious/noExplicitAny: parsed YAML and HCL, checked field by field
type Doc = Record<string, any>
const DIR = 'modules/cluster/kubeadm-oci'

async function defaults(): Promise<Doc> {
  const file = (await load(DIR)).files['variables.tf'] as Doc
  return Object.fromEntries(
    Object.entries(file.variable as Record<string, Doc[]>).map(([name, [block]]) => [
      name,
      block?.default,
    ]),
  )
}

const TOKEN = 'abcdef.0123456789abcdef'
const CA_B64 = Buffer.from(
  '-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n',
).toString('base64')
// cidrhost(subnet_cidr, 10) for the network module's default subnet, 10.0.1.0/24.
const CONTROL_PLANE_IP = '10.0.1.10'

/** The values main.tf passes to each template, computed as main.tf computes them. */
async function valuesFor(template: string): Promise<Record<string, string>> {
  const d = await defaults()
  const version: string = d.kubernetes_version
  const all: Record<string, string> = {
    kubernetes_minor: version.split('.').slice(0, 2).join('.'),
    kubernetes_package_version: `${version}-${d.kubernetes_package_revision}`,
    kubernetes_version: version,
    control_plane_ip: CONTROL_PLANE_IP,
    pod_cidr: d.pod_cidr,
    service_cidr: d.service_cidr,
    cert_sans: JSON.stringify(['127.0.0.1', 'localhost', CONTROL_PLANE_IP]),
    bootstrap_token: TOKEN,
    ca_cert_b64: CA_B64,
    ca_key_b64: Buffer.from('key').toString('base64'),
    calico_version: d.calico_version,
  }
  const names = scanTemplate(read(`${DIR}/templates/${template}`)).names
  return Object.fromEntries(names.map((name) => [name, all[name] ?? '']))
}

async function render(template: string): Promise<{ text: string; config: Doc }> {
  const text = renderTemplate(read(`${DIR}/templates/${template}`), await valuesFor(template))
  return { text, config: parse(text) }
}

const fileAt = (config: Doc, path: string): Doc | undefined =>
  (config.write_files as Doc[]).find((file) => file.path === path)

const docsOf = (content: string): Doc[] => parseAllDocuments(content).map((doc) => doc.toJS())

describe('cloud-init of the kubeadm nodes', () => {
  it.each(['node.yaml.tftpl', 'control-plane.yaml.tftpl', 'worker.yaml.tftpl'])(
    '%s renders to a cloud-config that parses',
    async (template) => {
      const { text, config } = await render(template)
      expect(text.startsWith('#cloud-config\n')).toBe(true)
      expect(Array.isArray(config.write_files)).toBe(true)
      expect(config.runcmd?.length).toBeGreaterThan(0)
      // Every script it writes and runs is there.
      for (const [command] of config.runcmd as string[][]) {
        expect(fileAt(config, command ?? '')?.permissions).toBe('0755')
      }
    },
  )

  it('installs containerd and kubeadm, kubelet and kubectl at one pinned, held version', async () => {
    const { config } = await render('node.yaml.tftpl')
    const { kubernetes_version: version, kubernetes_package_revision: revision } = await defaults()
    const minor = version.split('.').slice(0, 2).join('.')
    expect(config.packages).toContain('containerd')
    const script: string = fileAt(config, '/usr/local/sbin/tenantry-node-setup')?.content ?? ''
    expect(script).toContain(`https://pkgs.k8s.io/core:/stable:/v${minor}/deb/`)
    for (const pkg of ['kubelet', 'kubeadm', 'kubectl']) {
      expect(script).toContain(`${pkg}=${version}-${revision}`)
    }
    expect(script).toContain('apt-mark hold kubelet kubeadm kubectl')
    expect(script).toMatch(/^set -euo pipefail$/m)
  })

  it('gives the control plane the CA, the token and a kubeadm config kubeadm reads', async () => {
    const { config } = await render('control-plane.yaml.tftpl')
    expect(fileAt(config, '/etc/kubernetes/pki/ca.crt')).toMatchObject({
      encoding: 'b64',
      content: CA_B64,
    })
    expect(fileAt(config, '/etc/kubernetes/pki/ca.key')).toMatchObject({
      encoding: 'b64',
      permissions: '0600',
    })
    const docs = docsOf(fileAt(config, '/etc/tenantry/kubeadm.yaml')?.content ?? '')
    expect(docs.map((doc) => `${doc.apiVersion}/${doc.kind}`)).toEqual([
      'kubeadm.k8s.io/v1beta4/InitConfiguration',
      'kubeadm.k8s.io/v1beta4/ClusterConfiguration',
      'kubelet.config.k8s.io/v1beta1/KubeletConfiguration',
    ])
    const [init, cluster, kubelet] = docs
    expect(init?.bootstrapTokens[0]).toMatchObject({ token: TOKEN, ttl: '24h0m0s' })
    expect(init?.localAPIEndpoint.advertiseAddress).toBe(CONTROL_PLANE_IP)
    const { kubernetes_version: version, pod_cidr, calico_version } = await defaults()
    expect(cluster).toMatchObject({
      kubernetesVersion: `v${version}`,
      controlPlaneEndpoint: `${CONTROL_PLANE_IP}:6443`,
      networking: { podSubnet: pod_cidr },
    })
    // The SSH tunnel's address must be in the API server's certificate.
    expect(cluster?.apiServer.certSANs).toContain('127.0.0.1')
    expect(kubelet?.cgroupDriver).toBe('systemd')
    const script: string = fileAt(config, '/usr/local/sbin/tenantry-control-plane')?.content ?? ''
    expect(script).toContain('kubeadm init --config /etc/tenantry/kubeadm.yaml')
    expect(script).toContain(`projectcalico/calico/${calico_version}/manifests/calico.yaml`)
  })

  it('has the workers join with the same token, checking the API server against the CA', async () => {
    const { config } = await render('worker.yaml.tftpl')
    const [join] = docsOf(fileAt(config, '/etc/tenantry/kubeadm.yaml')?.content ?? '')
    expect(`${join?.apiVersion}/${join?.kind}`).toBe('kubeadm.k8s.io/v1beta4/JoinConfiguration')
    expect(join?.discovery.tlsBootstrapToken).toBe(TOKEN)
    const discoveryPath: string = join?.discovery.file.kubeConfigPath
    const [discovery] = docsOf(fileAt(config, discoveryPath)?.content ?? '')
    const cluster = discovery?.clusters.find((c: Doc) =>
      discovery.contexts.some(
        (ctx: Doc) => ctx.name === discovery['current-context'] && ctx.context.cluster === c.name,
      ),
    )
    expect(cluster?.cluster).toEqual({
      server: `https://${CONTROL_PLANE_IP}:6443`,
      'certificate-authority-data': CA_B64,
    })
  })

  it('fits the Always Free A1 allowance with its defaults', async () => {
    const d = await defaults()
    const nodes = 1 + d.worker_count
    expect(d.control_plane.ocpus + d.worker_count * d.worker.ocpus).toBeLessThanOrEqual(4)
    expect(
      d.control_plane.memory_in_gbs + d.worker_count * d.worker.memory_in_gbs,
    ).toBeLessThanOrEqual(24)
    expect(nodes * d.boot_volume_size_in_gbs).toBeLessThanOrEqual(200)
  })
})
