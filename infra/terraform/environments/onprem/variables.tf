variable "region" {
  description = "OCI region, e.g. eu-frankfurt-1 (your home region for Always Free A1 capacity)."
  type        = string
}

variable "oci_profile" {
  description = "Profile of ~/.oci/config to authenticate with."
  type        = string
  default     = "DEFAULT"
}

variable "tenancy_ocid" {
  description = "OCID of the tenancy."
  type        = string
}

variable "compartment_id" {
  description = "OCID of the compartment everything goes into (the tenancy's root compartment works)."
  type        = string
}

variable "name" {
  description = "Prefix of every display name."
  type        = string
  default     = "tenantry-onprem"
}

variable "ssh_public_key" {
  description = "Public key for the ubuntu user on every node."
  type        = string
}

variable "ssh_allowed_cidrs" {
  description = "Sources allowed to reach the nodes' SSH port."
  type        = list(string)
}

variable "api_allowed_cidrs" {
  description = "Sources allowed to reach the Kubernetes API directly; empty means through an SSH tunnel only."
  type        = list(string)
  default     = []
}

variable "availability_domain_index" {
  description = "Availability domain of the nodes; try another when the A1 shape is out of capacity."
  type        = number
  default     = 0
}

variable "kubernetes_version" {
  description = "Exact Kubernetes version of the nodes' packages and the control plane."
  type        = string
  default     = "1.34.1"
}

variable "worker_count" {
  description = "Number of workers (1 OCPU and 6 GB each by default: 3 fill the Always Free allowance with the control plane)."
  type        = number
  default     = 3
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

variable "acme_challenge_nameservers" {
  description = "The RFC 2136 server(s) of clusters/overlays/onprem, to which the API hosts' _acme-challenge names are delegated."
  type        = list(string)
  default     = []
}

variable "kubeconfig_path" {
  description = "Where kubeconfig_command writes the credentials (the bootstrap reads the same path)."
  type        = string
  default     = "~/.kube/tenantry-onprem.yaml"
}
