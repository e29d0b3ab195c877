variable "name" {
  description = "Cluster name, also its DNS prefix."
  type        = string
}

variable "resource_group_name" {
  description = "Resource group of the cluster (the network module's)."
  type        = string
}

variable "location" {
  description = "Azure region."
  type        = string
}

variable "node_subnet_id" {
  description = "Subnet the nodes join."
  type        = string
}

variable "kubernetes_version" {
  description = "Kubernetes minor version; AKS picks its latest patch and the patch channel keeps it current."
  type        = string
  default     = "1.34"
}

variable "sku_tier" {
  description = "Free, Standard (with the uptime SLA) or Premium."
  type        = string
  default     = "Free"

  validation {
    condition     = contains(["Free", "Standard", "Premium"], var.sku_tier)
    error_message = "sku_tier must be Free, Standard or Premium."
  }
}

variable "node_vm_size" {
  description = "VM size of the system node pool, which also runs the workloads."
  type        = string
  default     = "Standard_D4s_v5"
}

variable "node_min_count" {
  description = "Fewest nodes the autoscaler keeps."
  type        = number
  default     = 2
}

variable "node_max_count" {
  description = "Most nodes the autoscaler adds."
  type        = number
  default     = 5
}

variable "pod_cidr" {
  description = "Overlay range for pods; it is not routed in the virtual network."
  type        = string
  default     = "10.244.0.0/16"
}

variable "service_cidr" {
  description = "Range for Services; must not overlap the virtual network."
  type        = string
  default     = "10.21.0.0/16"
}

variable "dns_service_ip" {
  description = "Address of the cluster DNS Service, inside service_cidr."
  type        = string
  default     = "10.21.0.10"
}

variable "tags" {
  description = "Tags on every resource."
  type        = map(string)
  default     = {}
}
