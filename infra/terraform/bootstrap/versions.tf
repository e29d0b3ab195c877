terraform {
  required_version = ">= 1.12.0"

  # The bootstrap manages only what lives in the cluster, so its state lives there
  # too: a Secret in kube-system, locked with a Lease. The kubeconfig comes from
  # KUBE_CONFIG_PATH (and KUBE_CTX), as for the providers below; see the README.
  backend "kubernetes" {
    secret_suffix = "tenantry-bootstrap"
    namespace     = "kube-system"
  }

  required_providers {
    helm = {
      source  = "hashicorp/helm"
      version = "3.1.2"
    }
    kubernetes = {
      source  = "hashicorp/kubernetes"
      version = "3.2.1"
    }
  }
}
