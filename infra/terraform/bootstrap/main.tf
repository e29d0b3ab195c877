# Argo CD from its Helm chart, then one Application that syncs
# argocd/overlays/<provider> from this repository: the AppProjects, the argocd-cm
# additions and the root app-of-apps tenantry-platform, which syncs
# clusters/overlays/<provider> (docs/deploy/README.md). The overlays name this
# repository at main; the Application's kustomize patches point them, and the
# functions' ApplicationSet inside, at repo_url, revision and environment.

resource "kubernetes_namespace_v1" "argocd" {
  metadata {
    name = "argocd"

    labels = {
      "app.kubernetes.io/part-of" = "tenantry"
    }
  }
}

resource "helm_release" "argocd" {
  name       = "argocd"
  namespace  = kubernetes_namespace_v1.argocd.metadata[0].name
  repository = "https://argoproj.github.io/argo-helm"
  chart      = "argo-cd"
  version    = var.argocd_chart_version
  timeout    = 600

  values = [file("${path.module}/values/argocd.yaml")]
}

# Argo CD reads repository credentials from Secrets with this label.
resource "kubernetes_secret_v1" "repository" {
  count = var.repo_ssh_private_key == null ? 0 : 1

  metadata {
    name      = "tenantry-repository"
    namespace = kubernetes_namespace_v1.argocd.metadata[0].name

    labels = {
      "argocd.argoproj.io/secret-type" = "repository"
    }
  }

  data = {
    type          = "git"
    url           = var.repo_url
    sshPrivateKey = var.repo_ssh_private_key
  }
}

locals {
  root_app = yamldecode(templatefile("${path.module}/templates/root-app.yaml.tftpl", {
    provider_name = var.provider_name
    environment   = var.environment
    repo_url      = var.repo_url
    revision      = var.revision
  }))
}

# The root Application goes in through the argocd-apps chart rather than a
# kubernetes_manifest: a kubernetes_manifest needs the Application CRD at plan
# time, before the release above has installed it. The chart takes an Application
# as a map entry of its name; the manifest stays whole in the template.
resource "helm_release" "root" {
  name       = "tenantry-root"
  namespace  = kubernetes_namespace_v1.argocd.metadata[0].name
  repository = "https://argoproj.github.io/argo-helm"
  chart      = "argocd-apps"
  version    = var.argocd_apps_chart_version

  values = [yamlencode({
    applications = {
      (local.root_app.metadata.name) = merge(local.root_app.spec, {
        namespace        = local.root_app.metadata.namespace
        additionalLabels = local.root_app.metadata.labels
      })
    }
  })]

  depends_on = [helm_release.argocd, kubernetes_secret_v1.repository]
}
