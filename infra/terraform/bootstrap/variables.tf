variable "provider_name" {
  description = "Which provider overlay the cluster runs: argocd/overlays/<provider_name> and clusters/overlays/<provider_name>."
  type        = string

  validation {
    condition     = contains(["kind", "aks", "eks", "gke", "onprem"], var.provider_name)
    error_message = "provider_name must be one of kind, aks, eks, gke, onprem."
  }
}

variable "environment" {
  description = "The one environment this cluster runs (the functions' ApplicationSet keeps only it)."
  type        = string
  default     = "dev"

  validation {
    condition     = contains(["dev", "staging", "prod"], var.environment)
    error_message = "environment must be dev, staging or prod."
  }
}

variable "repo_url" {
  description = "The Git repository Argo CD syncs from: this one, or your fork."
  type        = string
  default     = "https://github.com/tenantry/tenantry.git"

  validation {
    condition     = can(regex("^(https://|ssh://|git@)[^\\s\"]+$", var.repo_url))
    error_message = "repo_url must be an https://, ssh:// or git@ URL."
  }
}

variable "revision" {
  description = "Branch, tag or commit of repo_url that every Tenantry Application tracks."
  type        = string
  default     = "main"

  validation {
    condition     = can(regex("^[A-Za-z0-9._/-]+$", var.revision))
    error_message = "revision must be a branch, tag or commit name."
  }
}

variable "repo_ssh_private_key" {
  description = "SSH key for a private repo_url (ssh:// or git@). Null for a public repository. Ends up in the state."
  type        = string
  default     = null
  sensitive   = true
}

variable "kubeconfig_path" {
  description = "Kubeconfig of the cluster: the environment's kubeconfig_path output, or kind's."
  type        = string
  default     = "~/.kube/config"
}

variable "kubeconfig_context" {
  description = "Context in that kubeconfig; null for its current context."
  type        = string
  default     = null
}

variable "argocd_chart_version" {
  description = "Version of the argo-cd chart (10.3.3 ships Argo CD v3.5.1, the version docs/deploy/sync-waves.md was checked against)."
  type        = string
  default     = "10.3.3"
}

variable "argocd_apps_chart_version" {
  description = "Version of the argocd-apps chart that carries the root Application."
  type        = string
  default     = "2.0.5"
}
