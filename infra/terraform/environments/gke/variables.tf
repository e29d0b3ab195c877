variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "region" {
  description = "Region of the cluster and its network."
  type        = string
  default     = "europe-west1"
}

variable "name" {
  description = "Prefix of every resource name, and the cluster's name (at most 17 characters: the service accounts add suffixes)."
  type        = string
  default     = "tenantry-gke"
}

variable "release_channel" {
  description = "GKE release channel."
  type        = string
  default     = "REGULAR"
}

variable "master_authorized_cidrs" {
  description = "Sources allowed to reach the API server's public endpoint."
  type        = list(string)
}

variable "machine_type" {
  description = "Machine type of the nodes."
  type        = string
  default     = "e2-standard-4"
}

variable "dns_zone_name" {
  description = "The public zone of the API hosts, e.g. tenantry.example."
  type        = string
}

variable "api_records" {
  description = "API host records, once the gateway's load balancer has an address: e.g. { api = { type = \"A\", ttl = 300, values = [\"<address>\"] } }."
  type = map(object({
    type   = string
    ttl    = number
    values = list(string)
  }))
  default = {}
}

variable "kubeconfig_path" {
  description = "Where kubeconfig_command writes the credentials (the bootstrap reads the same path)."
  type        = string
  default     = "~/.kube/tenantry-gke.yaml"
}
