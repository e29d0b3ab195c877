variable "subscription_id" {
  description = "The Azure subscription."
  type        = string
}

variable "name" {
  description = "Prefix of every resource name."
  type        = string
  default     = "tenantry-aks"
}

variable "location" {
  description = "Azure region as a short name (westeurope); the load balancer's DNS name uses it."
  type        = string
  default     = "westeurope"

  validation {
    condition     = can(regex("^[a-z0-9]+$", var.location))
    error_message = "location must be a short region name such as westeurope."
  }
}

variable "kubernetes_version" {
  description = "Kubernetes minor version."
  type        = string
  default     = "1.34"
}

variable "node_vm_size" {
  description = "VM size of the nodes."
  type        = string
  default     = "Standard_D4s_v5"
}

variable "node_min_count" {
  description = "Fewest nodes."
  type        = number
  default     = 2
}

variable "node_max_count" {
  description = "Most nodes."
  type        = number
  default     = 5
}

variable "dns_zone_name" {
  description = "The public zone of the API hosts, e.g. tenantry.example."
  type        = string
}

variable "api_record_names" {
  description = "API host names in the zone that this cluster serves (api for prod, api.staging, api.dev)."
  type        = list(string)
  default     = ["api"]
}

variable "lb_dns_label" {
  description = "The public gateway's DNS label: the value of service.beta.kubernetes.io/azure-dns-label-name in clusters/overlays/aks."
  type        = string
  default     = "tenantry-api"
}

variable "kubeconfig_path" {
  description = "Where kubeconfig_command writes the credentials (the bootstrap reads the same path)."
  type        = string
  default     = "~/.kube/tenantry-aks.yaml"
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default = {
    project = "tenantry"
  }
}
