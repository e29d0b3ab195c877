variable "name" {
  description = "Prefix of every resource name, e.g. tenantry-prod."
  type        = string
}

variable "location" {
  description = "Azure region, as a short name (westeurope), which the load balancer's DNS label also uses."
  type        = string
}

variable "address_space" {
  description = "The virtual network's range."
  type        = string
  default     = "10.20.0.0/16"
}

variable "node_subnet_cidr" {
  description = "The nodes' subnet. Pods get overlay addresses, so this only needs one address per node."
  type        = string
  default     = "10.20.0.0/22"
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
