variable "name" {
  description = "Cluster name (also the prefix of the nodes' service account, so at most 24 characters)."
  type        = string

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{4,23}$", var.name))
    error_message = "name must be 5 to 24 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "project_id" {
  description = "The Google Cloud project."
  type        = string
}

variable "region" {
  description = "Region of the (regional) cluster."
  type        = string
}

variable "network_id" {
  description = "The VPC network."
  type        = string
}

variable "subnetwork_id" {
  description = "The nodes' subnet."
  type        = string
}

variable "pods_range_name" {
  description = "Secondary range of the subnet for pods."
  type        = string
}

variable "services_range_name" {
  description = "Secondary range of the subnet for Services."
  type        = string
}

variable "release_channel" {
  description = "GKE release channel, which picks and upgrades the Kubernetes version."
  type        = string
  default     = "REGULAR"

  validation {
    condition     = contains(["RAPID", "REGULAR", "STABLE"], var.release_channel)
    error_message = "release_channel must be RAPID, REGULAR or STABLE."
  }
}

variable "master_ipv4_cidr_block" {
  description = "The /28 of the control plane's private endpoint."
  type        = string
  default     = "172.16.0.0/28"
}

variable "master_authorized_cidrs" {
  description = "Sources allowed to reach the public API endpoint."
  type        = list(string)
}

variable "machine_type" {
  description = "Machine type of the node pool."
  type        = string
  default     = "e2-standard-4"
}

variable "min_nodes_per_zone" {
  description = "Fewest nodes per zone (a regional pool spans three zones)."
  type        = number
  default     = 1
}

variable "max_nodes_per_zone" {
  description = "Most nodes per zone."
  type        = number
  default     = 2
}

variable "deletion_protection" {
  description = "Refuse terraform destroy of the cluster until this is set to false and applied."
  type        = bool
  default     = true
}
