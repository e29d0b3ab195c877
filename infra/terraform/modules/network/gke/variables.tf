variable "name" {
  description = "Prefix of every resource name, e.g. tenantry-prod."
  type        = string
}

variable "region" {
  description = "The region of the subnet, the router and the cluster."
  type        = string
}

variable "node_cidr" {
  description = "The nodes' primary range."
  type        = string
  default     = "10.40.0.0/20"
}

variable "pod_cidr" {
  description = "Secondary range for pods (VPC-native cluster)."
  type        = string
  default     = "10.44.0.0/14"
}

variable "service_cidr" {
  description = "Secondary range for Services."
  type        = string
  default     = "10.48.0.0/20"
}
